"""Running the user's Python files: the kernel config (with TensorRT-LLM's PluginGen module mapped onto our DSL) and
the kernel files, and finding a Triton kernel in one. Used by ``config``, the AOT workers and the benchmarks.

User files run against a **build target**, not a GPU: while they run, ``triton.runtime.driver.active`` and (where the
files use torch) ``torch.cuda``'s device queries answer for the arch being built, so kernel files that ask the
device at import (autotune config builders, ``DEVICE = ...``) load on a machine without one, and give the same
answers on every machine.

Any failure inside a user file is a ``ConfigError`` at the deepest line of that file.
"""
from __future__ import annotations

import ast
import contextlib
import dataclasses
import hashlib
import importlib.util
import re
import sys
import types
from pathlib import Path
from typing import Any, Callable, Dict, FrozenSet, Iterator, List, Optional, Tuple

from . import dsl, triton_compat
from .errors import ConfigError, Location, PluginGenError


def _shim_modules() -> Dict[str, types.ModuleType]:
    """Module objects that make ``from tensorrt_llm.tools.plugin_gen.core import *`` resolve to our DSL."""
    names = ["tensorrt_llm", "tensorrt_llm.tools", "tensorrt_llm.tools.plugin_gen",
             "tensorrt_llm.tools.plugin_gen.core"]
    modules = {}
    for name in names:
        module = types.ModuleType(name)
        module.__path__ = []  # a package, so submodules resolve
        modules[name] = module
    core = modules[names[-1]]
    for symbol in dsl.__all__:
        setattr(core, symbol, getattr(dsl, symbol))
    core.__all__ = list(dsl.__all__)
    for parent, child in zip(names, names[1:]):
        setattr(modules[parent], child.rsplit(".", 1)[1], modules[child])
    return modules


@contextlib.contextmanager
def plugin_gen_compat() -> Iterator[None]:
    """Make ``from tensorrt_llm.tools.plugin_gen.core import *`` load our DSL while a config runs.

    Where TensorRT-LLM is installed only that module is replaced (a from-import finds it in ``sys.modules``
    without importing its parents), so the rest of TensorRT-LLM stays importable.
    """
    shims = _shim_modules()
    if importlib.util.find_spec("tensorrt_llm") is not None:
        shims = {name: module for name, module in shims.items() if name.endswith(".core")}
    saved = {name: sys.modules.get(name) for name in shims}
    sys.modules.update(shims)
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


# ------------------------------------------------------------------------------------------------ build target
# What a device query answers for each arch: a representative part's properties (the shared memory and register
# limits are the arch's; SM counts and clocks vary between parts of one arch, so they must not shape a plugin).
_DEVICE_PROPERTIES = {  # arch: (max_shared_mem opt-in bytes, multiprocessor_count, part)
    75: (65536, 40, "T4"), 80: (166912, 108, "A100"), 86: (101376, 72, "A10"), 87: (166912, 16, "Jetson AGX Orin"),
    89: (101376, 142, "L40S"), 90: (232448, 132, "H100 SXM"), 100: (232448, 148, "B200"),
    103: (232448, 148, "B300"), 120: (101376, 170, "RTX 5090"), 121: (101376, 48, "GB10"),
}


def _device_properties(arch: int):
    """(shared memory, SMs, part) of ``arch``'s representative part; an arch not listed answers as sm_90."""
    return _DEVICE_PROPERTIES.get(arch, _DEVICE_PROPERTIES[90])


class BuildTargetQuery(AttributeError):
    """A device question user code asked that has no build-time answer."""


class GPUWork(BuildTargetQuery):
    """User code launching a kernel or timing one (a stream, a launcher, a benchmark) while it is imported."""


_GPU_WORK = frozenset({"get_current_stream", "launcher_cls", "get_empty_cache_for_benchmark", "clear_cache"})


class _BuildTargetUtils:
    def __init__(self, target: "BuildTargetDriver") -> None:
        self.target = target

    def get_device_properties(self, device: int = 0) -> Dict[str, int]:
        self.target.asked = True
        shared, sms, _ = _device_properties(self.target.arch)
        return {"max_shared_mem": shared, "max_num_regs": 65536, "multiprocessor_count": sms, "warpSize": 32,
                "sm_clock_rate": 0, "mem_clock_rate": 0, "mem_bus_width": 0}

    def __getattr__(self, name: str) -> Any:
        raise BuildTargetQuery(f"triton.runtime.driver.active.utils.{name} needs a GPU; plugingen builds without "
                               "one (at import, only get_device_properties answers)")


class BuildTargetDriver:
    """``triton.runtime.driver.active`` while user files run: the build target's answers, never a GPU's.
    ``asked`` records whether user code asked anything (if not, the files are the same for every arch)."""

    backend = "cuda"

    def __init__(self, arch: int) -> None:
        self.arch = arch
        self.asked = False
        self.utils = _BuildTargetUtils(self)

    def get_current_target(self) -> Any:
        from triton.backends.compiler import GPUTarget

        self.asked = True
        return GPUTarget("cuda", self.arch, 32)

    def get_current_device(self) -> int:
        return 0

    def set_current_device(self, device: int) -> None:
        pass

    def get_active_torch_device(self) -> Any:
        import torch

        return torch.device("cuda", 0)

    def get_device_interface(self) -> Any:
        import torch

        self.asked = True
        return torch.cuda

    @staticmethod
    def is_active() -> bool:
        return True

    def get_benchmarker(self) -> Callable[..., Any]:
        """Triton 3.3's ``@triton.autotune`` asks for it when applied; plugins are timed by TensorRT instead."""
        def benchmark(*_: Any, **__: Any) -> Any:
            raise GPUWork("benchmarking a kernel needs a GPU; plugingen builds without one (TensorRT times "
                                   "the plugin's tactics)")
        return benchmark

    def __getattr__(self, name: str) -> Any:
        raise (GPUWork if name in _GPU_WORK else BuildTargetQuery)(
            f"triton.runtime.driver.active.{name} needs a GPU; plugingen builds without one (at import, only "
            "get_current_target, get_active_torch_device and utils.get_device_properties answer, for the arch being "
            "built)")


def _torch_answers(target: BuildTargetDriver) -> Dict[str, Any]:
    """``torch.cuda``'s device queries, answered for the build target."""
    major, minor = divmod(target.arch, 10)
    shared, sms, part = _device_properties(target.arch)
    properties = types.SimpleNamespace(major=major, minor=minor,
                                       name=f"{part} (plugingen build target sm_{target.arch})",
                                       multi_processor_count=sms, shared_memory_per_block_optin=shared,
                                       warp_size=32, total_memory=0)

    def answer(value: Any) -> Callable[..., Any]:
        def query(*_: Any, **__: Any) -> Any:
            target.asked = True
            return value
        return query

    return {"is_available": answer(True), "device_count": answer(1), "current_device": answer(0),
            "get_device_capability": answer((major, minor)), "get_device_name": answer(properties.name),
            "get_device_properties": answer(properties)}


_targets: List[BuildTargetDriver] = []  # the build targets of the files running now (innermost last)
OUTSIDE_A_BUILD = 80  # the target kernel files see when loaded outside a build (the lowest default arch)


@contextlib.contextmanager
def build_target(arch: int) -> Iterator[BuildTargetDriver]:
    """Run user files against ``arch``: Triton's active driver, and torch.cuda's device queries where torch is
    already imported or the file imports it (``run_file`` patches then)."""
    target = BuildTargetDriver(arch)
    with triton_compat.active_driver(target):
        _targets.append(target)
        try:
            yield target
        finally:
            _targets.pop()


@contextlib.contextmanager
def _torch_patched(source: bytes) -> Iterator[None]:
    """torch.cuda's device queries answer for the current build target while a file that mentions torch runs."""
    if not _targets or b"torch" not in source or importlib.util.find_spec("torch") is None:
        yield
        return
    import torch.cuda

    answers = _torch_answers(_targets[-1])
    saved = {name: getattr(torch.cuda, name) for name in answers}
    for name, value in answers.items():
        setattr(torch.cuda, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(torch.cuda, name, value)


def _error_in_file(exc: BaseException, path: Path, what: str) -> ConfigError:
    """A ConfigError for an exception raised while executing ``path``, placed at the deepest frame in that file."""
    if isinstance(exc, PluginGenError):
        return exc if isinstance(exc, ConfigError) else ConfigError(exc.message, exc.loc, exc.hint)
    if isinstance(exc, SyntaxError):
        return ConfigError(f"syntax error in {what}: {exc.msg}",
                           Location(exc.filename or str(path), exc.lineno or 0, exc.offset or 0))
    lines = []  # the lines of ``path`` the traceback passes, outermost (the module-level statement) first
    tb = exc.__traceback__
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename).resolve() == path.resolve():
            lines.append(tb.tb_lineno)
        tb = tb.tb_next
    if isinstance(exc, ImportError) and "no known parent package" in str(exc):
        return ConfigError(f"{what} raised {type(exc).__name__}: {exc}", Location(str(path), lines[-1] if lines else 0),
                           f"a file with relative imports belongs to a package: put an __init__.py beside {path.name} "
                           "(plugingen then imports it as a module of that package)")
    cause = f"{type(exc).__name__}: {exc}"
    if _runs_gpu_work(exc):
        if isinstance(exc, GPUWork):
            cause = str(exc).split(";")[0]  # 'triton.runtime.driver.active.get_current_stream needs a GPU'
        hint = "put the file's test code under 'if __name__ == \"__main__\":'"
        if what.startswith("kernel file"):
            hint += ", or move the kernel into a module of its own and name that in kernel_file"
        return ConfigError(f"{what} runs GPU work when imported ({cause}); plugingen imports it without a GPU",
                           Location(str(path), lines[0] if lines else 0), hint)
    return ConfigError(f"{what} raised {cause}", Location(str(path), lines[-1] if lines else 0))


def _runs_gpu_work(exc: BaseException) -> bool:
    """Whether user code failed for want of a GPU: a launch, stream or benchmark asked of the build target, or torch's
    CUDA (the Triton tutorials run their tests at import: ``Torch not compiled with CUDA enabled``)."""
    if isinstance(exc, BuildTargetQuery):
        return isinstance(exc, GPUWork)
    if isinstance(exc, ImportError):
        return False
    tb = exc.__traceback__
    while tb is not None:
        if "torch/cuda/" in tb.tb_frame.f_code.co_filename.replace("\\", "/"):
            return True
        tb = tb.tb_next
    return bool(re.search(r"\bCUDA\b|\bcuda\b|NVIDIA driver", str(exc)))


def package_of(path: Path) -> Tuple[Path, str]:
    """Where a file is imported from and its module name: a file with an ``__init__.py`` beside it is a module of that
    package (its parents too, up to the first folder without one), imported from the folder above the outermost
    package (``attorch/layer_norm_kernels.py`` -> ``attorch.layer_norm_kernels``); any other file is a module of its
    own, imported from its folder (name '')."""
    parts = [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file() and folder.name.isidentifier():
        parts.insert(0, folder.name)
        folder = folder.parent
    return folder, ".".join(parts) if len(parts) > 1 else ""


_packages_run: set = set()  # the top-level packages of kernel files this process imported (and may import afresh)


def _forget_package(top: str) -> None:
    """Drop package ``top`` and its modules from ``sys.modules``, so they run afresh (against this build target);
    unless something else imported it first (Triton's own tutorials, say: the package is then used as it is)."""
    if top in sys.modules and top not in _packages_run:
        return
    _packages_run.add(top)
    for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
        del sys.modules[name]


def run_file(path: Path, module_name: str, what: str) -> types.ModuleType:
    """Execute a user Python file as a module: inside a package (``package_of``) as that package's module, so its
    relative imports work, with the folder above the package importable; else as ``module_name``, with its own
    folder importable."""
    try:
        source = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{what} not found: {path}")
    except OSError as exc:
        raise ConfigError(f"cannot read {what}: {exc.strerror}: {path}")
    root, package_name = package_of(path)
    sys.path.insert(0, str(root))
    try:
        code = compile(source, str(path), "exec")
        with _torch_patched(source):
            if package_name:  # the enclosing packages' __init__.py run first, as an import runs them
                module_name = package_name
                _forget_package(package_name.split(".")[0])
                importlib.import_module(package_name.rpartition(".")[0])
            spec = importlib.util.spec_from_file_location(module_name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module  # dataclasses and Triton's source lookup need the module registered
            exec(code, module.__dict__)
    except BaseException as exc:  # noqa: B902 — any failure in user code is a user error
        sys.modules.pop(module_name, None)
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise _error_in_file(exc, path, what) from exc
    finally:
        sys.path.remove(str(root))
    return module


def _module_name(kind: str, path: Path) -> str:
    return f"plugingen_{kind}_{hashlib.sha256(str(path).encode()).hexdigest()[:12]}"


def run_config(path: Path) -> types.ModuleType:
    """Execute a kernel config (PluginGen's TensorRT-LLM import resolving to our DSL)."""
    from . import dsl

    with plugin_gen_compat():
        try:
            return run_file(path, _module_name("config", path), "kernel config")
        except ConfigError as exc:
            name = getattr(exc.__cause__, "name", None)
            if isinstance(exc.__cause__, NameError) and name in dsl.__all__:
                raise ConfigError(exc.message, exc.loc, "add 'from plugingen import *' at the top of the config")
            raise


def _jit_kernel_names(module: types.ModuleType) -> List[str]:
    import triton

    kernels = (triton.runtime.jit.JITFunction, triton.runtime.Autotuner, triton.runtime.Heuristics)
    return sorted(name for name, value in vars(module).items() if isinstance(value, kernels))


@dataclasses.dataclass(frozen=True)
class KernelDef:
    """A kernel as its file defines it: the ``JITFunction`` and the decorators around it, outermost first
    (``triton.runtime.Autotuner`` / ``triton.runtime.Heuristics`` objects)."""

    fn: Any
    decorators: Tuple[Any, ...]


def load_kernel_def(kernel_file: Path, kernel_name: str, loc: Optional[Location] = None) -> KernelDef:
    """The kernel ``kernel_name`` of ``kernel_file`` (the file executed afresh) with its decorators; run against the
    current build target, or (outside a build: tests, benchmarks) against ``OUTSIDE_A_BUILD``."""
    import triton  # deferred: importing Triton costs time and is only needed by the stages that compile

    with contextlib.nullcontext() if _targets else build_target(OUTSIDE_A_BUILD):
        module = run_file(kernel_file, _module_name("kernel", kernel_file), f"kernel file {kernel_file.name}")
    fn = getattr(module, kernel_name, None)
    if fn is None:
        found = ", ".join(_jit_kernel_names(module)) or "none"
        raise ConfigError(f"kernel '{kernel_name}' is not defined in {kernel_file} (its Triton kernels: {found})", loc)
    decorators = []
    while not isinstance(fn, triton.runtime.jit.JITFunction):
        inner = getattr(fn, "fn", None)
        if not isinstance(fn, (triton.runtime.Autotuner, triton.runtime.Heuristics)) or inner is None:
            raise ConfigError(f"'{kernel_name}' in {kernel_file} is not a @triton.jit kernel", loc)
        decorators.append(fn)
        fn = inner
    return KernelDef(fn, tuple(decorators))


def load_kernel(kernel_file: Path, kernel_name: str, loc: Optional[Location] = None) -> Any:
    """The ``triton.JITFunction`` ``kernel_name`` of ``kernel_file``, without its decorators."""
    return load_kernel_def(kernel_file, kernel_name, loc).fn


def names_in_body(fn: Any) -> FrozenSet[str]:
    """Every name the body of the ``JITFunction`` ``fn`` mentions. A parameter not among them is never read, so no
    specialisation of it can change the compiled code. A source that does not parse counts every parameter read."""
    try:
        [definition] = ast.parse(fn.src).body
    except (SyntaxError, ValueError):
        return frozenset(p.name for p in fn.params)
    return frozenset(node.id for statement in definition.body for node in ast.walk(statement)
                     if isinstance(node, ast.Name))


def source_key(fn: Any, kernel_file: Path) -> str:
    """Triton's hash of the kernel's source and of the jit functions it calls; a clear error when this Triton cannot
    read the kernel (a name from a newer Triton, ``tl.make_tensor_descriptor`` on 3.3)."""
    try:
        return fn.cache_key
    except Exception as exc:  # Triton's dependency walk raises whatever resolving a name raises
        import inspect
        import triton

        try:
            line = inspect.getsourcelines(fn.fn)[1]
        except (OSError, TypeError):
            line = 0
        raise ConfigError(f"Triton {triton.__version__} cannot read kernel '{fn.__name__}': "
                          f"{type(exc).__name__}: {exc}", Location(str(kernel_file), line),
                          "the kernel may be written for another Triton version") from None
