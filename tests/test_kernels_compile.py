"""Every example and test kernel compiles, per hint variant, for sm_90 and sm_80 (CPU only, no GPU).

For each ``KernelMetaData`` in ``examples/*/kernel_config.py`` and ``tests/kernels/*_config.py`` this builds the
Triton signature straight from the config (types, ``'16'`` hints as ``tt.divisibility``, constexpr values),
compiles it with ``triton.compile`` for an explicit ``GPUTarget`` and checks that a cubin comes out. This proves
the kernels and their configs agree independently of the plugingen pipeline.

Configs say ``from plugingen import *``. When ``plugingen.config`` is importable the real DSL is used;
until then a small private stand-in (``_Shim*`` below) is installed as ``plugingen`` while a config runs.
"""
from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import os
import sys
import types
from pathlib import Path
from typing import Any, Iterator, List, Optional, Sequence, Tuple

import pytest
import triton
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource

from conftest import config_archs

REPO = Path(__file__).resolve().parent.parent
# configs of decorated kernels (@triton.autotune / @triton.heuristics) and of config heuristics: their ios leave out
# what the decorators (or heuristics) set,
# so they compile through plugingen's own pipeline only (tests/test_tuning.py, tests/test_library_styles.py); so do
# host tensor descriptors, whose Triton type holds a block shape the config computes (tests/test_tensor_descriptors.py)
CONFIGS = [c for c in sorted(REPO.glob("examples/*/kernel_config.py")) + sorted(REPO.glob("tests/kernels/*_config.py"))
           if c.stem not in ("tuned_matmul_config", "tuned_accumulate_config", "heuristic_rows_config", "liger_rows_config",
                             "tensor_descriptors_config", "tensor_descriptors_portable_config", "swiglu_config",
                             "act_pkg_config")]
ARCHS = (90, 80)
# Largest opt-in shared memory per block, bytes (CUDA programming guide, compute capabilities table).
MAX_SHARED = {80: 163 * 1024, 90: 227 * 1024}

# ---------------------------------------------------------------------------------------------------------
# Private stand-in for the config DSL (PluginGen's names and signatures), used only if plugingen.config is
# not importable yet.
# ---------------------------------------------------------------------------------------------------------

_SCALARS = ("fp16", "bf16", "fp32", "fp64", "i8", "i32", "i64")


class _ShimType:
    def __init__(self, text: str) -> None:
        self.is_tensor = text.startswith("tensor[") and text.endswith("]")
        self.abbr = text[len("tensor["):-1] if self.is_tensor else text
        if self.abbr not in _SCALARS:
            raise ValueError(f"unknown type {text!r}")

    def to_triton_sig(self) -> str:
        return ("*" if self.is_tensor else "") + self.abbr


@dataclasses.dataclass
class _ShimArg:
    name: str
    dtype: _ShimType
    hints: List[str] = dataclasses.field(default_factory=list)


class _ShimInputArg(_ShimArg):
    pass


class _ShimOutputArg(_ShimArg):
    pass


class _ShimParamArg(_ShimArg):
    pass


class _ShimDimSizeArg(_ShimArg):
    def __init__(self, name: str, hints: Optional[List[str]] = None, dtype: Optional[_ShimType] = None) -> None:
        super().__init__(name, dtype or _ShimType("i32"), list(hints or []))


@dataclasses.dataclass
class _ShimConstexpr:
    value: int


@dataclasses.dataclass
class _ShimKernelMetaData:
    kernel_name: str
    ios: list
    shape_infer_rules: list
    version: int = 1
    kernel_file: str = ""
    num_warps: int = 1
    num_stages: int = 1
    grid_dims: tuple = ("1", "1", "1")


def _shim_module() -> types.ModuleType:
    mod = types.ModuleType("plugingen")
    names = {
        "KernelMetaData": _ShimKernelMetaData,
        "InputArg": _ShimInputArg,
        "OutputArg": _ShimOutputArg,
        "ParamArg": _ShimParamArg,
        "DimSizeArg": _ShimDimSizeArg,
        "Constexpr": _ShimConstexpr,
        "Type": _ShimType,
    }
    mod.__dict__.update(names)
    mod.__all__ = list(names)
    return mod


def _real_dsl_available() -> bool:
    """True once ``plugingen.config`` exists and ``from plugingen import *`` gives the DSL."""
    try:
        importlib.import_module("plugingen.config")
    except ImportError:
        return False
    return hasattr(sys.modules["plugingen"], "KernelMetaData")


@contextlib.contextmanager
def _dsl() -> Iterator[None]:
    """Make ``from plugingen import *`` work while a config runs."""
    if _real_dsl_available():
        yield
        return
    saved = sys.modules.get("plugingen")
    sys.modules["plugingen"] = _shim_module()
    try:
        yield
    finally:
        if saved is None:
            sys.modules.pop("plugingen", None)
        else:
            sys.modules["plugingen"] = saved


def _exec_file(path: Path, module_name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load_kernels(config: Path) -> list:
    with _dsl():
        module = _exec_file(config, f"_cfg_{config.parent.name}_{config.stem}")
    return list(module.KERNELS)


# ---------------------------------------------------------------------------------------------------------
# Reading a KernelMetaData (real or shim) by duck typing: name, hints, Triton type string, constexpr value.
# ---------------------------------------------------------------------------------------------------------


def _is_constexpr(io: Any) -> bool:
    return type(io).__name__ in ("Constexpr", "_ShimConstexpr")


def _sig_type(io: Any, signature: dict) -> str:
    """Triton's type of ``io``; a type variable (``tensor[T]``) as ``signature`` sets it, in Triton's spelling."""
    dtype = io.dtype
    var = getattr(dtype, "type_var", None)
    if var:
        from plugingen.model import DType
        return ("*" if dtype.is_tensor else "") + DType.named(signature[var]).triton
    if hasattr(dtype, "to_triton_sig"):
        return dtype.to_triton_sig()
    raise AssertionError(f"cannot get a Triton type string from {dtype!r}; update _sig_type")


def _signatures(meta: Any) -> List[dict]:
    """Every dtype signature of a KernelMetaData (``[{}]`` without type variables), as plain dicts."""
    import itertools

    dtypes = getattr(meta, "dtypes", None) or {}
    listed = getattr(meta, "signatures", None)
    return listed or [dict(zip(dtypes, combo)) for combo in itertools.product(*dtypes.values())]


def _min_arch(meta: Any, signature: dict) -> int:
    """fp8e4nv (e4m3) needs sm_89; Triton refuses it below."""
    names = [signature.get(io.dtype.type_var, "") if getattr(io.dtype, "type_var", None) else str(io.dtype)
             for io in meta.ios if not _is_constexpr(io)]
    return 89 if any("fp8" in name for name in names) else 0


def _with_ios(meta: Any, ios: list) -> Any:
    copy = types.SimpleNamespace(**vars(meta))
    copy.ios = ios
    return copy


def _num_variants(ios: Sequence[Any]) -> int:
    counts = {len(io.hints) for io in ios if not _is_constexpr(io) and io.hints}
    assert len(counts) <= 1, f"hint lists of different lengths: {sorted(counts)}"
    return counts.pop() if counts else 1


def _variant(fn: Any, ios: Sequence[Any], index: int, types: dict) -> Tuple[dict, dict, dict]:
    """(signature, constexprs, attrs) for ASTSource, for hint variant ``index`` of dtype signature ``types``."""
    signature, constexprs, attrs = {}, {}, {}
    for pos, (io, arg_name) in enumerate(zip(ios, fn.arg_names)):
        if _is_constexpr(io):
            signature[arg_name] = "constexpr"
            constexprs[arg_name] = io.value
            continue
        hint = io.hints[index] if io.hints else ""
        if hint == "1":  # Triton's AOT convention: "equal to 1" is folded in as a constant
            signature[arg_name] = "constexpr"
            constexprs[arg_name] = 1
            continue
        signature[arg_name] = _sig_type(io, types)
        if hint == "16":
            attrs[(pos,)] = [["tt.divisibility", 16]]
        else:
            assert hint == "", f"{io.name}: unexpected hint {hint!r}"
    return signature, constexprs, attrs


# ---------------------------------------------------------------------------------------------------------
# Test cases
# ---------------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Case:
    config: Path
    kernel_index: int
    kernel_name: str
    variant: int
    arch: int
    signature: Tuple[Tuple[str, str], ...] = ()

    @property
    def id(self) -> str:
        rel = self.config.relative_to(REPO).parent.name + "/" + self.config.stem
        types = "".join(f":{var}={dtype}" for var, dtype in self.signature)
        return f"{rel}:{self.kernel_name}{types}:v{self.variant}:sm{self.arch}"


def _cases() -> List[_Case]:
    cases = []
    for config in CONFIGS:
        for k, meta in enumerate(_load_kernels(config)):
            for signature in _signatures(meta):
                for v in range(_num_variants(meta.ios)):
                    for arch in ARCHS:
                        if arch >= _min_arch(meta, signature) and str(arch) in config_archs(config).split(","):
                            cases.append(_Case(config, k, meta.kernel_name, v, arch, tuple(signature.items())))
    return cases


_CASES = _cases()


@pytest.fixture(scope="session", autouse=True)
def _private_triton_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Compile into a fresh cache so the test really compiles, and never writes to ~/.triton."""
    keys = ("TRITON_CACHE_DIR", "TRITON_HOME")
    saved = {k: os.environ.get(k) for k in keys}
    root = tmp_path_factory.mktemp("triton")
    os.environ["TRITON_CACHE_DIR"] = str(root / "cache")
    os.environ["TRITON_HOME"] = str(root)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.mark.parametrize("config", CONFIGS, ids=[f"{c.parent.name}/{c.stem}" for c in CONFIGS])
def test_config_validates(config: Path) -> None:
    """The real config loader (names, types, hints, rules, grid vs the kernel signature) accepts the config."""
    if not _real_dsl_available():
        pytest.skip("plugingen.config is not available yet; the compile tests below use the private stand-in")
    from plugingen.config import load_config

    spec = load_config(config)
    assert [k.kernel_name for k in spec.kernels] == [m.kernel_name for m in _load_kernels(config)]


def test_every_config_is_covered() -> None:
    assert len(CONFIGS) >= 9, [str(c) for c in CONFIGS]
    assert {c.config for c in _CASES} == set(CONFIGS)


@pytest.mark.parametrize("case", _CASES, ids=[c.id for c in _CASES])
def test_kernel_compiles(case: _Case) -> None:
    meta = _load_kernels(case.config)[case.kernel_index]
    kernel_path = case.config.parent / meta.kernel_file
    module = _exec_file(kernel_path, f"_kern_{case.config.parent.name}_{kernel_path.stem}")
    fn = getattr(module, meta.kernel_name)
    # an in-place OutputArg that is not a kernel parameter (the kernel updates its input) has no position
    ios = [io for io in meta.ios if _is_constexpr(io) or not getattr(io, "alias", None) or io.name in fn.arg_names]
    meta = dataclasses.replace(meta, ios=ios) if dataclasses.is_dataclass(meta) else _with_ios(meta, ios)

    # The config's ios are exactly the kernel's parameters, in order, with constexprs where the kernel has them.
    assert len(meta.ios) == len(fn.arg_names), (fn.arg_names, meta.ios)
    for io, param in zip(meta.ios, fn.params):
        # Constexpr(None), an absent optional input, may stand at any parameter (Triton's JIT takes None there)
        assert _is_constexpr(io) == param.is_constexpr or (_is_constexpr(io) and io.value is None), \
            f"{param.name}: constexpr mismatch"
        if not _is_constexpr(io):
            assert io.name == param.name, f"config names {io.name!r} where the kernel has {param.name!r}"

    signature, constexprs, attrs = _variant(fn, meta.ios, case.variant, dict(case.signature))
    src = ASTSource(fn=fn, signature=signature, constexprs=constexprs, attrs=attrs)
    compiled = triton.compile(
        src,
        target=GPUTarget("cuda", case.arch, 32),
        options={"num_warps": meta.num_warps, "num_stages": meta.num_stages,
                 **{name: getattr(meta, name) for name in ("num_ctas", "launch_pdl", "launch_cooperative_grid")
                    if getattr(meta, name, None)}},
    )
    cubin = compiled.asm.get("cubin")
    assert isinstance(cubin, bytes) and cubin[:4] == b"\x7fELF", "no cubin produced"
    assert compiled.metadata.name == meta.kernel_name
    assert compiled.metadata.num_warps == meta.num_warps
    # Global scratch comes from TensorRT's workspace; only the TMA kernel needs it, and only on Hopper.
    needs_scratch = meta.kernel_name == "tma_scale_kernel" and case.arch >= 90
    assert (getattr(compiled.metadata, "global_scratch_size", 0) > 0) == needs_scratch
    assert compiled.metadata.shared <= MAX_SHARED[case.arch], compiled.metadata.shared
