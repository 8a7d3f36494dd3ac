"""Stage 1: load a ``kernel_config.py`` and validate it against the real Triton kernels into ``KernelSpec``s.

Every problem found is collected (not just the first) and reported as ``file:line: error: ...``.
"""
from __future__ import annotations

import ast
import contextlib
import dataclasses
import difflib
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
# arguments of every function in functional.py / onnx_plugins.py, and names the ONNX parser reads from a node
_RESERVED_ARGUMENTS = frozenset({"network", "inputs", "outputs", "name", "np"})
_ONNX_ATTRIBUTES = frozenset({"plugin_version", "plugin_namespace", "tensorrt_plugin_shape_input_indices", "aot"})
# module-level names of functional.py / onnx_plugins.py a kernel function must not replace
_RESERVED_KERNEL_NAMES = frozenset({"register_plugins", "np", "Path", "LIBRARY_PATH", "PLUGINS", "DOMAIN", "make",
                                    "make_model", "infer_output_shapes"})
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
        if self.kind is ArgKind.CONSTEXPR:
            return "constexpr"
        return ("*" if self.is_tensor else "") + self.dtype.value.triton


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


@dataclasses.dataclass(frozen=True)
class KernelSpec:
    kernel_name: str
    plugin_name: str
    version: str
    namespace: str
    kernel_file: Path
    source_key: str  # Triton's hash of the kernel's source and of the jit functions it calls
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
def _plugin_gen_compat() -> Iterator[None]:
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


def _error_in_file(exc: BaseException, path: Path, what: str) -> ConfigError:
    """A ConfigError for an exception raised while executing ``path``, placed at the deepest frame in that file."""
    if isinstance(exc, PluginGenError):
        return exc if isinstance(exc, ConfigError) else ConfigError(exc.message, exc.loc, exc.hint)
    if isinstance(exc, SyntaxError):
        return ConfigError(f"syntax error in {what}: {exc.msg}",
                           Location(exc.filename or str(path), exc.lineno or 0, exc.offset or 0))
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
        raise ConfigError(f"cannot read {what}: {exc.strerror}: {path}")
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


class _SourceMap:
    """Where each field of a ``KernelMetaData(...)`` call is written, so errors point at the line of the mistake.

    Found from the syntax tree of the file that made the call (the config, or a helper it imports); anything
    computed rather than written out falls back to the nearest thing that is: the field, then the call.
    """

    def __init__(self) -> None:
        self._trees: Dict[str, Optional[ast.AST]] = {}

    def _tree(self, file: str) -> Optional[ast.AST]:
        if file not in self._trees:
            try:
                self._trees[file] = ast.parse(Path(file).read_text())
            except (OSError, SyntaxError, ValueError):
                self._trees[file] = None
        return self._trees[file]

    def _field(self, loc: Location, name: str) -> Optional[ast.AST]:
        """The syntax node that gives field ``name`` in the KernelMetaData call at ``loc``."""
        tree = self._tree(loc.file)
        for call in ast.walk(tree) if tree is not None else ():
            if isinstance(call, ast.Call) and call.lineno == loc.line and \
                    getattr(call.func, "id", getattr(call.func, "attr", "")) == "KernelMetaData":
                for argument in call.keywords:
                    if argument.arg == name:
                        return argument
                position = dsl.FIELDS.index(name) if name in dsl.FIELDS else len(call.args)
                if position < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args):
                    return call.args[position]
        return None

    def field(self, loc: Location, name: str) -> Location:
        node = self._field(loc, name)
        return Location(loc.file, node.lineno, node.col_offset + 1) if node is not None else loc

    def item(self, loc: Location, name: str, index: int, text: object = None) -> Location:
        """Where element ``index`` of a list/tuple field is written (a string's column is its first character).

        ``text`` finds a string built elsewhere (``rules = [...]``; ``shape_infer_rules=rules``) by its value.
        """
        node = self._field(loc, name)
        value = node.value if isinstance(node, ast.keyword) else node
        items = getattr(value, "elts", [])
        if index < len(items) and not any(isinstance(e, ast.Starred) for e in items):
            node = items[index]
        elif isinstance(text, str) and self._tree(loc.file) is not None:
            node = next((n for n in ast.walk(self._tree(loc.file))
                         if isinstance(n, ast.Constant) and n.value == text), node)
        if node is None:
            return loc
        quoted = isinstance(node, ast.Constant) and isinstance(node.value, str)
        return Location(loc.file, node.lineno, node.col_offset + (2 if quoted else 1))

    def assignment(self, file: str, name: str) -> Location:
        """The last top-level ``name = ...`` of ``file``."""
        tree = self._tree(file)
        line = 0
        for node in getattr(tree, "body", []):
            targets = getattr(node, "targets", [getattr(node, "target", None)])
            if any(getattr(t, "id", None) == name for t in targets):
                line = node.lineno
        return Location(file, line)


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


def _jit_kernel_names(module: types.ModuleType) -> List[str]:
    import triton

    kernels = (triton.runtime.jit.JITFunction, triton.runtime.Autotuner, triton.runtime.Heuristics)
    return sorted(name for name, value in vars(module).items() if isinstance(value, kernels))


def _kernel_function(kernel_name: str, kernel_file: Path, loc: Location) -> Any:
    import triton  # deferred: importing Triton costs time and is only needed here and in aot

    digest = hashlib.sha256(str(kernel_file).encode()).hexdigest()[:12]
    module = _run_file(kernel_file, f"plugingen_kernel_{digest}", f"kernel file {kernel_file.name}")
    fn = getattr(module, kernel_name, None)
    if fn is None:
        found = ", ".join(_jit_kernel_names(module)) or "none"
        raise ConfigError(f"kernel '{kernel_name}' is not defined in {kernel_file} (its Triton kernels: {found})", loc)
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


def _a(kind: ArgKind) -> str:
    """'an InputArg', 'a ParamArg'."""
    return ("an " if kind.value[0] in "AEIOU" else "a ") + kind.value


def _check_params(meta: dsl.KernelMetaData, fn: Any, src: _SourceMap, chk: _Checker) -> List[Param]:
    """Match ``ios`` against the kernel's signature; return the params in kernel order."""
    ios = meta.ios
    if not isinstance(ios, list):
        chk.error(f"ios of kernel '{meta.kernel_name}' must be a list, got {type(ios).__name__}",
                  src.field(meta.loc, "ios"))
        return []
    for index, arg in enumerate(ios):
        if not isinstance(arg, (dsl.Argument, dsl.Constexpr)):
            chk.error(f"ios[{index}] of kernel '{meta.kernel_name}' is {arg!r}, not an InputArg, OutputArg, "
                      "ParamArg, DimSizeArg or Constexpr", src.item(meta.loc, "ios", index))
    if chk.errors:
        return []
    kernel_params = list(fn.params)
    if len(ios) != len(kernel_params):
        names = ", ".join(p.name for p in kernel_params)
        given = {a.name for a in ios if a.kind is not ArgKind.CONSTEXPR}
        constexprs = sum(a.kind is ArgKind.CONSTEXPR for a in ios)
        missing = [p.name for p in kernel_params if not p.is_constexpr and p.name not in given]
        missing += [p.name for p in kernel_params if p.is_constexpr][constexprs:]
        extra = sorted(given - {p.name for p in kernel_params})
        detail = "".join([f"; missing: {', '.join(missing)}" if missing else "",
                          f"; not kernel parameters: {', '.join(extra)}" if extra else ""])
        chk.error(f"kernel '{meta.kernel_name}' has {len(kernel_params)} parameters ({names}) but ios lists "
                  f"{len(ios)} entries{detail}", src.field(meta.loc, "ios"),
                  "ios must follow the kernel's parameters one to one, in order")
        return []
    params: List[Param] = []
    slots: Dict[ArgKind, int] = {}
    seen: Dict[str, Location] = {}
    for arg, kparam in zip(ios, kernel_params):
        kind = arg.kind
        name = kparam.name if kind is ArgKind.CONSTEXPR else arg.name
        if kind is not ArgKind.CONSTEXPR:
            if not isinstance(name, str) or not _IDENTIFIER.match(name) or keyword.iskeyword(name):
                chk.error(f"argument name {name!r} is not a valid identifier", arg.loc)
            elif kind in (ArgKind.PARAM, ArgKind.INPUT) and name in _RESERVED_ARGUMENTS:
                chk.error(f"{kind.value} name '{name}' is reserved: it is an argument of the generated Python "
                          "functions", arg.loc, "rename the kernel parameter")
            elif kind is ArgKind.PARAM and name in _ONNX_ATTRIBUTES:
                chk.error(f"ParamArg name '{name}' is reserved: TensorRT's ONNX parser gives that attribute its own "
                          "meaning", arg.loc, "rename the kernel parameter")
            elif name in seen:
                chk.error(f"duplicate argument name '{name}' (first at line {seen[name].line}) at the position of "
                          f"kernel parameter '{kparam.name}'", arg.loc)
            elif name != kparam.name:
                chk.error(f"{kind.value} '{name}' is at the position of kernel parameter '{kparam.name}'", arg.loc,
                          "ios must use the kernel's parameter names, in order")
            seen.setdefault(name, arg.loc)
        if kparam.is_constexpr and kind is not ArgKind.CONSTEXPR:
            chk.error(f"kernel parameter '{kparam.name}' is tl.constexpr but ios gives {_a(kind)}", arg.loc,
                      f"use Constexpr(<value>) for '{kparam.name}'")
        if kind is ArgKind.CONSTEXPR and not kparam.is_constexpr:
            chk.error(f"Constexpr({arg.value!r}) is given for kernel parameter '{kparam.name}', which is not "
                      "tl.constexpr", arg.loc, f"annotate '{kparam.name}: tl.constexpr' or pass it as an argument")
        _check_arg_type(arg, chk)
        slot = slots.get(kind, 0)
        slots[kind] = slot + 1
        params.append(Param(
            name=name, kind=kind, dtype=None if kind is ArgKind.CONSTEXPR else arg.dtype.dtype,
            is_tensor=kind is not ArgKind.CONSTEXPR and arg.dtype.is_tensor, hints=tuple(arg.hints), slot=slot,
            loc=arg.loc, value=arg.value if kind is ArgKind.CONSTEXPR else None))
    if not slots.get(ArgKind.INPUT):
        chk.error(f"kernel '{meta.kernel_name}' has no InputArg; a plugin needs at least one input",
                  src.field(meta.loc, "ios"))
    if not slots.get(ArgKind.OUTPUT):
        chk.error(f"kernel '{meta.kernel_name}' has no OutputArg; a plugin needs at least one output",
                  src.field(meta.loc, "ios"))
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
            valid = ", ".join(d.abbr for d in DType if d.value.field is not None)
            chk.error(f"ParamArg '{arg.name}' has type {arg.dtype}, which has no TensorRT plugin field type "
                      f"(valid: {valid})", arg.loc)
    elif kind is ArgKind.DIM_SIZE:
        if is_tensor or dtype not in (DType.INT32, DType.INT64):
            chk.error(f"DimSizeArg '{arg.name}' has type {arg.dtype}; a dim size is i32 or i64", arg.loc)


def _check_hints(params: List[Param], meta: dsl.KernelMetaData, chk: _Checker) -> Tuple[Variant, ...]:
    hinted = [p for p in params if p.hints]
    if any(len(p.hints) != len(hinted[0].hints) for p in hinted):
        detail = ", ".join(f"{p.name}: {len(p.hints)}" for p in hinted)
        odd = next(p for p in hinted if len(p.hints) != len(hinted[0].hints))
        chk.error(f"hint lists of kernel '{meta.kernel_name}' have different lengths ({detail})", odd.loc,
                  "every hinted argument needs one hint per variant")
        return ()
    for p in params:
        for hint in p.hints:
            if hint not in VALID_HINTS:
                chk.error(f"hint {hint!r} of '{p.name}' is not one of '16', '1', ''", p.loc,
                          "'16' = divisible by 16, '1' = equal to 1, '' = no assumption")
            elif hint and p.dtype is not None and not p.is_tensor and p.dtype.value.is_float:
                chk.error(f"hint {hint!r} on floating-point '{p.name}' is meaningless", p.loc,
                          "hints apply to pointers and integers; use '' or drop hints")
            elif hint == "1" and p.is_tensor:
                chk.error(f"hint '1' on tensor '{p.name}': a pointer cannot equal 1", p.loc, "use '16' for alignment")
    count = len(hinted[0].hints) if hinted else 1
    variants = []
    for i in range(count):
        hints = tuple(p.hints[i] if p.hints else "" for p in params)
        variant = Variant(hints)
        if variant not in variants:
            variants.append(variant)
    # most specialised first; ties keep config order (sorted() is stable)
    return tuple(sorted(variants, key=lambda v: -v.rank))


def _check_grid(meta: dsl.KernelMetaData, params: List[Param], src: _SourceMap,
                chk: _Checker) -> Tuple[expr.Expr, ...]:
    grid = meta.grid_dims
    if isinstance(grid, str) or not isinstance(grid, (list, tuple)) or len(grid) != 3:
        chk.error(f"grid_dims of kernel '{meta.kernel_name}' must be 3 expressions (x, y, z), got {grid!r}",
                  src.field(meta.loc, "grid_dims"))
        return ()
    usable = {p.name for p in params if p.kind is ArgKind.DIM_SIZE or (p.kind is ArgKind.PARAM and p.is_int_scalar)}
    usable |= {p.name for p in params if p.kind is ArgKind.CONSTEXPR and isinstance(p.value, int)}
    by_name = {p.name: p for p in params}
    exprs = []
    for index, (axis, text) in enumerate(zip("xyz", grid)):
        text = str(text) if isinstance(text, int) else text
        loc = src.item(meta.loc, "grid_dims", index, text)
        if not isinstance(text, str):
            chk.error(f"grid_dims {axis} must be a string expression, got {text!r}", loc)
            continue
        with chk.collecting():
            parsed = expr.parse_expr(text, loc, what=f"grid_dims {axis}")
            for name in sorted(expr.names(parsed) - usable):
                p = by_name.get(name)
                what = f"{p.kind.value} '{name}' of type {p.triton_type()}, not an integer scalar" if p \
                    else f"unknown name '{name}'"
                chk.error(f"grid_dims {axis} '{text}' uses {what}", loc,
                          "grid expressions may use DimSizeArgs, integer ParamArgs and integer constexpr parameters"
                          f" ({', '.join(sorted(usable)) or 'none here'})")
            exprs.append(parsed)
    return tuple(exprs)


def _check_rules(meta: dsl.KernelMetaData, params: List[Param], src: _SourceMap, chk: _Checker):
    rules = meta.shape_infer_rules
    if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
        chk.error(f"shape_infer_rules of kernel '{meta.kernel_name}' must be a list of strings, got {rules!r}",
                  src.field(meta.loc, "shape_infer_rules"))
        return (), ()
    by_name = {p.name: p for p in params if p.kind is not ArgKind.CONSTEXPR}

    def expect(name: str, kind: ArgKind, role: str, purpose: str, text: str, loc: Location) -> Param:
        """The argument a rule names in ``role``, which must be of ``kind``."""
        p = by_name.get(name)
        if p is None or p.kind is not kind:
            what = f"is {_a(p.kind)}" if p else "is not an argument of this kernel"
            valid = ", ".join(q.name for q in params if q.kind is kind) or "none"
            raise ConfigError(f"rule '{text}': {role} '{name}' {what}; {purpose} ({kind.value}s: {valid})", loc)
        return p

    outputs: Dict[int, OutputShape] = {}
    dim_sizes: Dict[int, DimSizeValue] = {}
    errors = len(chk.errors)
    for index, text in enumerate(rules):
        loc = src.item(meta.loc, "shape_infer_rules", index, text)
        with chk.collecting():
            rule = expr.parse_rule(text, loc)
            slots = []
            for pattern in rule.inputs:
                p = expect(pattern.name, ArgKind.INPUT, "left-hand tensor", "rules read InputArgs", text, loc)
                slots.append(p.slot)
            if isinstance(rule, expr.DimSizeRule):
                p = expect(rule.target, ArgKind.DIM_SIZE, "target", "a ':' rule computes a DimSizeArg", text, loc)
                if p.slot in dim_sizes:
                    raise ConfigError(f"DimSizeArg '{rule.target}' has two rules (first at line "
                                      f"{dim_sizes[p.slot].loc.line})", loc)
                dim_sizes[p.slot] = DimSizeValue(p.slot, rule, tuple(slots), loc)
                continue
            for pattern in rule.outputs:
                p = expect(pattern.name, ArgKind.OUTPUT, "right-hand tensor", "shape rules define OutputArgs", text,
                           loc)
                if p.slot in outputs:
                    raise ConfigError(f"output '{pattern.name}' has two shape rules (first at line "
                                      f"{outputs[p.slot].loc.line})", loc)
                outputs[p.slot] = OutputShape(p.slot, rule, pattern, tuple(slots), loc)
    if len(chk.errors) > errors:  # a broken rule was probably meant for what now looks rule-less
        return (), ()
    for p in params:
        if p.kind is ArgKind.OUTPUT and p.slot not in outputs:
            chk.error(f"OutputArg '{p.name}' has no shape rule", p.loc,
                      f"add a rule like '<input>[...] -> {p.name}[...]' to shape_infer_rules")
        if p.kind is ArgKind.DIM_SIZE and p.slot not in dim_sizes:
            chk.error(f"DimSizeArg '{p.name}' has no rule", p.loc,
                      f"add a rule like '<input>[a, b, *] : a * b -> {p.name}' to shape_infer_rules")
    return (tuple(outputs[k] for k in sorted(outputs)), tuple(dim_sizes[k] for k in sorted(dim_sizes)))


def _check_meta(meta: dsl.KernelMetaData, config_file: Path, src: _SourceMap, chk: _Checker) -> Optional[KernelSpec]:
    def at(field: str) -> Location:
        return src.field(meta.loc, field)

    for name in meta.unknown:
        close = difflib.get_close_matches(name, dsl.FIELDS, 1)
        chk.error(f"KernelMetaData has no field '{name}' (valid: {', '.join(dsl.FIELDS)})", at(name),
                  f"did you mean {close[0]}?" if close else "")
    if not isinstance(meta.kernel_name, str) or not _IDENTIFIER.match(meta.kernel_name) \
            or keyword.iskeyword(meta.kernel_name):
        chk.error(f"kernel_name {meta.kernel_name!r} is not a valid identifier", at("kernel_name"))
        return None
    if meta.kernel_name in _RESERVED_KERNEL_NAMES or meta.kernel_name.startswith("_"):
        chk.error(f"kernel_name '{meta.kernel_name}' is reserved: the generated Python modules use that name",
                  at("kernel_name"), "rename the kernel (names starting with '_' are reserved too)")
        return None
    if isinstance(meta.version, bool) or not isinstance(meta.version, int) or meta.version < 0:
        chk.error(f"version of kernel '{meta.kernel_name}' must be a non-negative integer, got {meta.version!r}",
                  at("version"))
    for name in ("num_warps", "num_stages"):
        value = getattr(meta, name)
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= (1 if name == "num_warps" else 0)
        if ok and name == "num_warps" and (value & (value - 1) or value > 32):
            ok = False
        if not ok:
            need = "a power of two from 1 to 32" if name == "num_warps" else "a non-negative integer"
            chk.error(f"{name} of kernel '{meta.kernel_name}' must be {need}, got {value!r}", at(name))
    if not isinstance(meta.namespace, str) or not _NAMESPACE.match(meta.namespace):
        chk.error(f"namespace {meta.namespace!r} may hold only letters, digits, '_', '.' and ':'", at("namespace"))
    kernel_file = None
    fn = None
    with chk.collecting():
        try:
            kernel_file = _resolve_kernel_file(meta, config_file, at("kernel_file"))
            fn = _kernel_function(meta.kernel_name, kernel_file, at("kernel_name"))
        except PluginGenError as exc:
            raise exc.with_loc(at("kernel_file"))
    if fn is None:
        return None
    errors = len(chk.errors)
    params = _check_params(meta, fn, src, chk)
    if not params:
        return None
    variants = _check_hints(params, meta, chk)
    if any(p.kind is ArgKind.INPUT for p in params):  # without inputs every rule would fail too
        outputs, dim_sizes = _check_rules(meta, params, src, chk)
        grid = _check_grid(meta, params, src, chk)
    if len(chk.errors) > errors:
        return None
    return KernelSpec(
        kernel_name=meta.kernel_name, plugin_name=f"{meta.kernel_name}Plugin", version=str(meta.version),
        namespace=meta.namespace, kernel_file=kernel_file, source_key=fn.cache_key, params=tuple(params),
        output_shapes=outputs,
        dim_size_values=dim_sizes, grid=grid, num_warps=meta.num_warps, num_stages=meta.num_stages,
        variants=variants, loc=meta.loc)


def load_config(config_file: Union[str, Path]) -> ConfigSpec:
    """Run ``config_file`` and validate its ``KERNELS`` against the Triton kernels they name."""
    path = Path(config_file).expanduser().resolve()
    if path.suffix != ".py":
        raise ConfigError(f"kernel config must be a .py file, got {path.name}", Location(str(config_file)))
    with _plugin_gen_compat():
        module = _run_file(path, f"plugingen_config_{hashlib.sha256(str(path).encode()).hexdigest()[:12]}",
                           "kernel config")
    src = _SourceMap()
    where = src.assignment(str(path), "KERNELS")
    kernels = getattr(module, "KERNELS", None)
    if kernels is None:
        close = difflib.get_close_matches("KERNELS", [n for n in vars(module) if not n.startswith("__")], 1, 0.6)
        raise ConfigError("kernel config defines no KERNELS list", where,
                          f"did you mean {close[0]}?" if close else "add KERNELS = [KernelMetaData(...), ...]")
    if not isinstance(kernels, (list, tuple)):
        raise ConfigError(f"KERNELS must be a list of KernelMetaData, got {type(kernels).__name__}", where,
                          "write KERNELS = [KernelMetaData(...), ...]")
    for index, meta in enumerate(kernels):
        if not isinstance(meta, dsl.KernelMetaData):
            raise ConfigError(f"KERNELS[{index}] is {type(meta).__name__} {meta!r}, not a KernelMetaData", where)
    if not kernels:
        raise ConfigError("KERNELS is empty", where, "add at least one KernelMetaData")
    chk = _Checker()
    specs = []
    first_seen: Dict[str, Location] = {}
    for meta in kernels:
        if meta.kernel_name in first_seen:
            chk.error(f"duplicate kernel_name '{meta.kernel_name}' (first at line {first_seen[meta.kernel_name].line})",
                      src.field(meta.loc, "kernel_name"), "each kernel becomes a plugin class; give each a unique name")
            continue
        first_seen[meta.kernel_name] = meta.loc
        spec = _check_meta(meta, path, src, chk)
        if spec is not None:
            specs.append(spec)
    if chk.errors:
        raise ConfigErrors(chk.errors)
    return ConfigSpec(config_file=path, kernels=tuple(specs))
