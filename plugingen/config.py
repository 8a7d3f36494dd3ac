"""Stage 1: load a ``kernel_config.py`` and validate it against the real Triton kernels into ``KernelSpec``s.

Every problem found is collected (not just the first) and reported as ``file:line: error: ...``.
"""
from __future__ import annotations

import ast
import contextlib
import dataclasses
import hashlib
import importlib.util
import keyword
import re
import sys
import types
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from . import dsl, expr
from .dsl import ArgKind, DType
from .errors import ConfigError, Location, PluginGenError

VALID_HINTS = ("16", "1", "")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NAMESPACE = re.compile(r"[A-Za-z0-9_.:]*\Z")


# ----------------------------------------------------------------------------------------------- the model
@dataclasses.dataclass(frozen=True)
class Param:
    """One Triton kernel parameter, in kernel order, and what feeds it."""

    name: str
    kind: ArgKind
    dtype: Optional[DType]  # None for constexprs
    is_tensor: bool
    hints: Tuple[str, ...]  # one per variant (empty: no hint in any variant)
    slot: int  # position among the params of the same kind (input #, output #, field #, dim-size #)
    loc: Location = dataclasses.field(compare=False)
    value: Union[int, float, bool, None] = None  # constexpr value

    @property
    def is_int_scalar(self) -> bool:
        return not self.is_tensor and self.dtype is not None and not self.dtype.value.is_float

    def triton_type(self) -> str:
        return "constexpr" if self.kind is ArgKind.CONSTEXPR else ("*" if self.is_tensor else "") + self.dtype.value.triton


@dataclasses.dataclass(frozen=True)
class OutputShape:
    """How one output's shape follows from the inputs: a pattern of a shape rule, with input slots resolved."""

    output: int  # output slot
    rule: expr.ShapeRule
    pattern: expr.OutputPattern
    input_slots: Tuple[int, ...]  # plugin input slot of each left-hand pattern of the rule
    loc: Location = dataclasses.field(compare=False)


@dataclasses.dataclass(frozen=True)
class DimSizeValue:
    """How one DimSizeArg is computed from input shapes."""

    dim_size: int  # dim-size slot
    rule: expr.DimSizeRule
    input_slots: Tuple[int, ...]
    loc: Location = dataclasses.field(compare=False)


@dataclasses.dataclass(frozen=True)
class Variant:
    """One AOT specialisation: the hint of every kernel parameter ('' = none)."""

    hints: Tuple[str, ...]  # aligned with KernelSpec.params

    @property
    def rank(self) -> int:
        return sum(1 for h in self.hints if h)

    @property
    def suffix(self) -> str:
        """Short stable tag: parameter index + 'd' (divisible by 16) or 'c' (equal to 1)."""
        tags = [f"{i}{'d' if h == '16' else 'c'}" for i, h in enumerate(self.hints) if h]
        return "".join(tags) or "generic"


@dataclasses.dataclass(frozen=True)
class KernelSpec:
    kernel_name: str
    plugin_name: str
    version: str
    namespace: str
    kernel_file: Path
    params: Tuple[Param, ...]
    output_shapes: Tuple[OutputShape, ...]  # one per output, in output order
    dim_size_values: Tuple[DimSizeValue, ...]  # one per DimSizeArg, in order
    grid: Tuple[expr.Expr, expr.Expr, expr.Expr]
    num_warps: int
    num_stages: int
    variants: Tuple[Variant, ...]  # most specialised first
    loc: Location = dataclasses.field(compare=False)

    def of_kind(self, kind: ArgKind) -> Tuple[Param, ...]:
        return tuple(p for p in self.params if p.kind is kind)

    @property
    def inputs(self) -> Tuple[Param, ...]:
        return self.of_kind(ArgKind.INPUT)

    @property
    def outputs(self) -> Tuple[Param, ...]:
        return self.of_kind(ArgKind.OUTPUT)

    @property
    def fields(self) -> Tuple[Param, ...]:
        return self.of_kind(ArgKind.PARAM)

    @property
    def dim_sizes(self) -> Tuple[Param, ...]:
        return self.of_kind(ArgKind.DIM_SIZE)


@dataclasses.dataclass(frozen=True)
class ConfigSpec:
    config_file: Path
    kernels: Tuple[KernelSpec, ...]


class ConfigErrors(ConfigError):
    """Several config errors at once; prints one line each."""

    def __init__(self, errors: Sequence[PluginGenError]) -> None:
        super().__init__(errors[0].message, errors[0].loc, errors[0].hint)
        self.errors = list(errors)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


# ----------------------------------------------------------------------------------------------- loading
def _shim_modules() -> Dict[str, types.ModuleType]:
    """Module objects that make ``from tensorrt_llm.tools.plugin_gen.core import *`` resolve to our DSL."""
    names = ["tensorrt_llm", "tensorrt_llm.tools", "tensorrt_llm.tools.plugin_gen", "tensorrt_llm.tools.plugin_gen.core"]
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
def _plugin_gen_compat() -> Iterator[None]:
    """Make TensorRT-LLM's PluginGen import path load our DSL, unless TensorRT-LLM itself is installed."""
    if importlib.util.find_spec("tensorrt_llm") is not None:
        yield
        return
    shims = _shim_modules()
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


def _error_in_file(exc: BaseException, path: Path, what: str) -> ConfigError:
    """A ConfigError for an exception raised while executing ``path``, placed at the deepest frame in that file."""
    if isinstance(exc, PluginGenError):
        return exc if isinstance(exc, ConfigError) else ConfigError(exc.message, exc.loc, exc.hint)
    if isinstance(exc, SyntaxError):
        return ConfigError(f"syntax error in {what}: {exc.msg}",
                           Location(str(path), exc.lineno or 0, exc.offset or 0))
    line = 0
    tb = exc.__traceback__
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename).resolve() == path.resolve():
            line = tb.tb_lineno
        tb = tb.tb_next
    return ConfigError(f"{what} raised {type(exc).__name__}: {exc}", Location(str(path), line))


def _run_file(path: Path, module_name: str, what: str) -> types.ModuleType:
    """Execute a user Python file as a module (its folder importable while it runs)."""
    try:
        source = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{what} not found: {path}")
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror}")
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    sys.modules[module_name] = module  # dataclasses and Triton's source lookup need the module registered
    try:
        code = compile(source, str(path), "exec")
        exec(code, module.__dict__)
    except BaseException as exc:  # noqa: B902 — any failure in user code is a user error
        sys.modules.pop(module_name, None)
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise _error_in_file(exc, path, what) from exc
    finally:
        sys.path.remove(str(path.parent))
    return module


def _string_literals(source: str) -> Dict[str, List[Tuple[int, int]]]:
    """Line and column of every string literal in ``source``, to place rule errors on their own line."""
    found: Dict[str, List[Tuple[int, int]]] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.setdefault(node.value, []).append((node.lineno, node.col_offset + 2))
    return found


# ----------------------------------------------------------------------------------------------- validation
class _Checker:
    """Collects every error of one config instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: List[PluginGenError] = []

    def error(self, message: str, loc: Optional[Location], hint: str = "") -> None:
        self.errors.append(ConfigError(message, loc, hint))

    @contextlib.contextmanager
    def collecting(self) -> Iterator[None]:
        try:
            yield
        except PluginGenError as exc:
            self.errors.append(exc)


def _kernel_function(kernel_name: str, kernel_file: Path, loc: Location) -> Any:
    import triton  # deferred: importing Triton costs time and is only needed here and in aot

    digest = hashlib.sha256(str(kernel_file).encode()).hexdigest()[:12]
    module = _run_file(kernel_file, f"plugingen_kernel_{digest}", f"kernel file {kernel_file.name}")
    fn = getattr(module, kernel_name, None)
    if fn is None:
        raise ConfigError(f"kernel '{kernel_name}' is not defined in {kernel_file}", loc)
    while not isinstance(fn, triton.runtime.jit.JITFunction):
        if isinstance(fn, triton.runtime.Autotuner):
            raise ConfigError(f"kernel '{kernel_name}' is wrapped by @triton.autotune; a plugin runs one "
                              "configuration", loc, "remove the decorator and set num_warps, num_stages and the "
                              "Constexpr values in the config")
        inner = getattr(fn, "fn", None)
        if inner is None:
            raise ConfigError(f"'{kernel_name}' in {kernel_file} is not a @triton.jit kernel", loc)
        fn = inner
    return fn


def _resolve_kernel_file(meta: dsl.KernelMetaData, config_file: Path, loc: Location) -> Path:
    if not isinstance(meta.kernel_file, (str, Path)) or not str(meta.kernel_file):
        raise ConfigError(f"kernel '{meta.kernel_name}' has no kernel_file", loc,
                          "set kernel_file to the .py file that defines the @triton.jit kernel")
    path = Path(meta.kernel_file).expanduser()
    if not path.is_absolute():
        path = config_file.parent / path
    return path.resolve()


def _check_params(meta: dsl.KernelMetaData, fn: Any, chk: _Checker) -> List[Param]:
    """Match ``ios`` against the kernel's signature; return the params in kernel order."""
    ios = meta.ios
    if not isinstance(ios, list) or not all(isinstance(a, (dsl.Argument, dsl.Constexpr)) for a in ios):
        chk.error(f"ios of kernel '{meta.kernel_name}' must be a list of InputArg/OutputArg/ParamArg/DimSizeArg/"
                  "Constexpr", meta.loc)
        return []
    kernel_params = list(fn.params)
    if len(ios) != len(kernel_params):
        names = ", ".join(p.name for p in kernel_params)
        chk.error(f"kernel '{meta.kernel_name}' has {len(kernel_params)} parameters ({names}) but ios lists "
                  f"{len(ios)} entries", meta.loc, "ios must follow the kernel's parameters one to one, in order")
        return []
    params: List[Param] = []
    slots: Dict[ArgKind, int] = {}
    seen: Dict[str, Location] = {}
    for arg, kparam in zip(ios, kernel_params):
        kind = arg.kind
        name = kparam.name if kind is ArgKind.CONSTEXPR else arg.name
        if kind is not ArgKind.CONSTEXPR and arg.name != kparam.name:
            chk.error(f"{kind.value} '{arg.name}' is at the position of kernel parameter '{kparam.name}'", arg.loc,
                      "ios must use the kernel's parameter names, in order")
        if kparam.is_constexpr and kind is not ArgKind.CONSTEXPR:
            chk.error(f"kernel parameter '{kparam.name}' is tl.constexpr but ios gives a {kind.value}", arg.loc,
                      f"use Constexpr(<value>) for '{kparam.name}'")
        if kind is ArgKind.CONSTEXPR and not kparam.is_constexpr:
            chk.error(f"Constexpr({arg.value!r}) is given for kernel parameter '{kparam.name}', which is not "
                      "tl.constexpr", arg.loc, f"annotate '{kparam.name}: tl.constexpr' or pass it as an argument")
        if kind is not ArgKind.CONSTEXPR:
            if not isinstance(name, str) or not _IDENTIFIER.match(name) or keyword.iskeyword(name):
                chk.error(f"argument name {name!r} is not a valid identifier", arg.loc)
            elif name in seen:
                chk.error(f"duplicate argument name '{name}' (first at line {seen[name].line})", arg.loc)
            seen.setdefault(name, arg.loc)
        _check_arg_type(arg, chk)
        slot = slots.get(kind, 0)
        slots[kind] = slot + 1
        params.append(Param(
            name=name, kind=kind, dtype=None if kind is ArgKind.CONSTEXPR else arg.dtype.dtype,
            is_tensor=kind is not ArgKind.CONSTEXPR and arg.dtype.is_tensor, hints=tuple(arg.hints), slot=slot,
            loc=arg.loc, value=arg.value if kind is ArgKind.CONSTEXPR else None))
    if not slots.get(ArgKind.INPUT):
        chk.error(f"kernel '{meta.kernel_name}' has no InputArg; a plugin needs at least one input", meta.loc)
    if not slots.get(ArgKind.OUTPUT):
        chk.error(f"kernel '{meta.kernel_name}' has no OutputArg; a plugin needs at least one output", meta.loc)
    return params


def _check_arg_type(arg: Any, chk: _Checker) -> None:
    kind = arg.kind
    if kind is ArgKind.CONSTEXPR:
        if not isinstance(arg.value, (int, float, bool)):
            chk.error(f"Constexpr value must be an int, float or bool, got {arg.value!r}", arg.loc)
        return
    dtype, is_tensor = arg.dtype.dtype, arg.dtype.is_tensor
    if kind in (ArgKind.INPUT, ArgKind.OUTPUT):
        if not is_tensor:
            chk.error(f"{kind.value} '{arg.name}' has scalar type {arg.dtype}; plugin inputs and outputs are tensors",
                      arg.loc, "write Type('tensor[...]'); use ParamArg for a build-time scalar or DimSizeArg for "
                               "a shape-derived one")
        elif dtype.value.trt is None:
            chk.error(f"{kind.value} '{arg.name}' has type {arg.dtype}, which TensorRT has no tensor type for",
                      arg.loc)
    elif kind is ArgKind.PARAM:
        if is_tensor:
            chk.error(f"ParamArg '{arg.name}' has tensor type {arg.dtype}; ParamArgs are scalars stored as plugin "
                      "fields", arg.loc, "use InputArg for a tensor")
        elif dtype.value.field is None:
            chk.error(f"ParamArg '{arg.name}' has type {arg.dtype}, which has no TensorRT plugin field type",
                      arg.loc)
    elif kind is ArgKind.DIM_SIZE:
        if is_tensor or dtype not in (DType.INT32, DType.INT64):
            chk.error(f"DimSizeArg '{arg.name}' has type {arg.dtype}; a dim size is i32 or i64", arg.loc)


def _check_hints(params: List[Param], meta: dsl.KernelMetaData, chk: _Checker) -> Tuple[Variant, ...]:
    counts = {len(p.hints) for p in params if p.hints}
    if len(counts) > 1:
        detail = ", ".join(f"{p.name}: {len(p.hints)}" for p in params if p.hints)
        chk.error(f"hint lists of kernel '{meta.kernel_name}' have different lengths ({detail})", meta.loc,
                  "every hinted argument needs one hint per variant")
        return ()
    for p in params:
        for hint in p.hints:
            if hint not in VALID_HINTS:
                chk.error(f"hint {hint!r} of '{p.name}' is not one of '16', '1', ''", p.loc,
                          "'16' = divisible by 16, '1' = equal to 1, '' = no assumption")
            elif hint and p.dtype is not None and not p.is_tensor and p.dtype.value.is_float:
                chk.error(f"hint {hint!r} on floating-point '{p.name}' is meaningless", p.loc)
            elif hint == "1" and p.is_tensor:
                chk.error(f"hint '1' on tensor '{p.name}': a pointer cannot equal 1", p.loc, "use '16' for alignment")
    count = counts.pop() if counts else 1
    variants = []
    for i in range(count):
        hints = tuple(p.hints[i] if p.hints else "" for p in params)
        variant = Variant(hints)
        if variant not in variants:
            variants.append(variant)
    # most specialised first; ties keep config order (sorted() is stable)
    return tuple(sorted(variants, key=lambda v: -v.rank))


def _check_grid(meta: dsl.KernelMetaData, params: List[Param], rule_loc, chk: _Checker) -> Tuple[expr.Expr, ...]:
    grid = meta.grid_dims
    if isinstance(grid, str) or not isinstance(grid, (list, tuple)) or len(grid) != 3:
        chk.error(f"grid_dims of kernel '{meta.kernel_name}' must be 3 expressions (x, y, z), got {grid!r}",
                  meta.loc)
        return ()
    usable = {p.name for p in params if p.kind is ArgKind.DIM_SIZE or (p.kind is ArgKind.PARAM and p.is_int_scalar)}
    usable |= {p.name for p in params if p.kind is ArgKind.CONSTEXPR and isinstance(p.value, int)}
    exprs = []
    for axis, text in zip("xyz", grid):
        text = str(text) if isinstance(text, int) else text
        if not isinstance(text, str):
            chk.error(f"grid_dims[{axis}] must be a string expression, got {text!r}", meta.loc)
            continue
        loc = rule_loc(text)
        with chk.collecting():
            parsed = expr.parse_expr(text, loc, what=f"grid_dims {axis} '{text}'")
            unknown = sorted(expr.names(parsed) - usable)
            if unknown:
                chk.error(f"grid_dims {axis} '{text}' uses unknown name '{unknown[0]}'", loc,
                          "grid expressions may use DimSizeArgs, integer ParamArgs and integer constexpr parameters"
                          f" ({', '.join(sorted(usable)) or 'none here'})")
            exprs.append(parsed)
    return tuple(exprs)


def _check_rules(meta: dsl.KernelMetaData, params: List[Param], rule_loc, chk: _Checker):
    rules = meta.shape_infer_rules
    if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
        chk.error(f"shape_infer_rules of kernel '{meta.kernel_name}' must be a list of strings", meta.loc)
        return (), ()
    by_name = {p.name: p for p in params if p.kind is not ArgKind.CONSTEXPR}
    outputs: Dict[int, OutputShape] = {}
    dim_sizes: Dict[int, DimSizeValue] = {}
    for text in rules:
        loc = rule_loc(text)
        with chk.collecting():
            rule = expr.parse_rule(text, loc)
            slots = []
            for pattern in rule.inputs:
                p = by_name.get(pattern.name)
                if p is None or p.kind is not ArgKind.INPUT:
                    what = f"is a {p.kind.value}" if p else "is not an argument of this kernel"
                    raise ConfigError(f"rule '{text}': left-hand tensor '{pattern.name}' {what}; rules read InputArgs",
                                      loc)
                slots.append(p.slot)
            if isinstance(rule, expr.DimSizeRule):
                p = by_name.get(rule.target)
                if p is None or p.kind is not ArgKind.DIM_SIZE:
                    what = f"is a {p.kind.value}" if p else "is not an argument of this kernel"
                    raise ConfigError(f"rule '{text}': target '{rule.target}' {what}; a ':' rule computes a "
                                      "DimSizeArg", loc)
                if p.slot in dim_sizes:
                    raise ConfigError(f"DimSizeArg '{rule.target}' has two rules", loc)
                dim_sizes[p.slot] = DimSizeValue(p.slot, rule, tuple(slots), loc)
                continue
            for pattern in rule.outputs:
                p = by_name.get(pattern.name)
                if p is None or p.kind is not ArgKind.OUTPUT:
                    what = f"is a {p.kind.value}" if p else "is not an argument of this kernel"
                    raise ConfigError(f"rule '{text}': right-hand tensor '{pattern.name}' {what}; shape rules "
                                      "define OutputArgs", loc)
                if p.slot in outputs:
                    raise ConfigError(f"output '{pattern.name}' has two shape rules", loc)
                outputs[p.slot] = OutputShape(p.slot, rule, pattern, tuple(slots), loc)
    for p in params:
        if p.kind is ArgKind.OUTPUT and p.slot not in outputs:
            chk.error(f"OutputArg '{p.name}' has no shape rule", p.loc,
                      f"add a rule like '<input>[...] -> {p.name}[...]' to shape_infer_rules")
        if p.kind is ArgKind.DIM_SIZE and p.slot not in dim_sizes:
            chk.error(f"DimSizeArg '{p.name}' has no rule", p.loc,
                      f"add a rule like '<input>[a, b, *] : a * b -> {p.name}' to shape_infer_rules")
    return (tuple(outputs[k] for k in sorted(outputs)), tuple(dim_sizes[k] for k in sorted(dim_sizes)))


def _check_meta(meta: dsl.KernelMetaData, config_file: Path, literals, chk: _Checker) -> Optional[KernelSpec]:
    loc = meta.loc

    def rule_loc(text: str) -> Location:
        places = literals.get(text, [])
        after = [p for p in places if p[0] >= loc.line]
        line, col = (after or places or [(loc.line, 0)])[0]
        return Location(loc.file, line, col)

    if not isinstance(meta.kernel_name, str) or not _IDENTIFIER.match(meta.kernel_name):
        chk.error(f"kernel_name {meta.kernel_name!r} is not a valid identifier", loc)
        return None
    if isinstance(meta.version, bool) or not isinstance(meta.version, int) or meta.version < 0:
        chk.error(f"version of kernel '{meta.kernel_name}' must be a non-negative integer, got {meta.version!r}", loc)
    for name in ("num_warps", "num_stages"):
        value = getattr(meta, name)
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= (1 if name == "num_warps" else 0)
        if ok and name == "num_warps" and (value & (value - 1) or value > 32):
            ok = False
        if not ok:
            need = "a power of two from 1 to 32" if name == "num_warps" else "a non-negative integer"
            chk.error(f"{name} of kernel '{meta.kernel_name}' must be {need}, got {value!r}", loc)
    if not isinstance(meta.namespace, str) or not _NAMESPACE.match(meta.namespace):
        chk.error(f"namespace {meta.namespace!r} may hold only letters, digits, '_', '.' and ':'", loc)
    kernel_file = None
    fn = None
    with chk.collecting():
        kernel_file = _resolve_kernel_file(meta, config_file, loc)
        fn = _kernel_function(meta.kernel_name, kernel_file, loc)
    if fn is None:
        return None
    params = _check_params(meta, fn, chk)
    if not params:
        return None
    variants = _check_hints(params, meta, chk)
    outputs, dim_sizes = _check_rules(meta, params, rule_loc, chk)
    grid = _check_grid(meta, params, rule_loc, chk)
    if chk.errors:
        return None
    return KernelSpec(
        kernel_name=meta.kernel_name, plugin_name=f"{meta.kernel_name}Plugin", version=str(meta.version),
        namespace=meta.namespace, kernel_file=kernel_file, params=tuple(params), output_shapes=outputs,
        dim_size_values=dim_sizes, grid=grid, num_warps=meta.num_warps, num_stages=meta.num_stages,
        variants=variants, loc=loc)


def load_config(config_file: Union[str, Path]) -> ConfigSpec:
    """Run ``config_file`` and validate its ``KERNELS`` against the Triton kernels they name."""
    path = Path(config_file).expanduser().resolve()
    if path.suffix != ".py":
        raise ConfigError(f"kernel config must be a .py file, got {path.name}", Location(str(config_file)))
    with _plugin_gen_compat():
        module = _run_file(path, f"plugingen_config_{hashlib.sha256(str(path).encode()).hexdigest()[:12]}",
                           "kernel config")
    where = Location(str(path))
    kernels = getattr(module, "KERNELS", None)
    if kernels is None:
        raise ConfigError("kernel config defines no KERNELS list", where,
                          "add KERNELS = [KernelMetaData(...), ...]")
    if not isinstance(kernels, (list, tuple)) or not all(isinstance(k, dsl.KernelMetaData) for k in kernels):
        raise ConfigError("KERNELS must be a list of KernelMetaData", where)
    if not kernels:
        raise ConfigError("KERNELS is empty", where, "add at least one KernelMetaData")
    literals = _string_literals(path.read_text())
    chk = _Checker()
    specs = []
    first_seen: Dict[str, Location] = {}
    for meta in kernels:
        if meta.kernel_name in first_seen:
            chk.error(f"duplicate kernel_name '{meta.kernel_name}' (first at line {first_seen[meta.kernel_name].line})",
                      meta.loc, "each kernel becomes a plugin class; give each a unique name")
            continue
        first_seen[meta.kernel_name] = meta.loc
        spec = _check_meta(meta, path, literals, chk)
        if spec is not None:
            specs.append(spec)
    if chk.errors:
        raise ConfigErrors(chk.errors)
    return ConfigSpec(config_file=path, kernels=tuple(specs))
