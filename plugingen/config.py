"""Stage 1: validate a ``kernel_config.py`` against the real Triton kernels into the model's ``ConfigSpec``.

Every problem found is collected (not just the first) and reported as ``file:line: error: ...``.
"""
from __future__ import annotations

import contextlib
import difflib
import keyword
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from . import dsl, expr, loader
from .errors import ConfigError, Location, PluginGenError
from .model import (ArgKind, ConfigSpec, DimSizeValue, DType, Hint, KernelArg, KernelSpec, OutputShape, Variant,
                    grid_names)
from .sourcemap import SourceMap

VALID_HINTS = tuple(h.value for h in Hint)
# arguments of every function in functional.py / onnx_plugins.py, and names the ONNX parser reads from a node
_RESERVED_ARGUMENTS = frozenset({"network", "inputs", "outputs", "name", "np"})
_ONNX_ATTRIBUTES = frozenset({"plugin_version", "plugin_namespace", "tensorrt_plugin_shape_input_indices", "aot"})
# module-level names of functional.py / onnx_plugins.py a kernel function must not replace
_RESERVED_KERNEL_NAMES = frozenset({"register_plugins", "np", "Path", "LIBRARY_PATH", "PLUGINS", "DOMAIN", "make",
                                    "make_model", "infer_output_shapes"})
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NAMESPACE = re.compile(r"[A-Za-z0-9_.:]*\Z")


class ConfigErrors(ConfigError):
    """Several config errors at once; prints one line each."""

    def __init__(self, errors: Sequence[PluginGenError]) -> None:
        super().__init__(errors[0].message, errors[0].loc, errors[0].hint)
        self.errors = list(errors)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


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


def _check_params(meta: dsl.KernelMetaData, fn: Any, src: SourceMap, chk: _Checker) -> List[KernelArg]:
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
    params: List[KernelArg] = []
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
        params.append(KernelArg(
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
        elif dtype.trt is None:
            chk.error(f"{kind.value} '{arg.name}' has type {arg.dtype}, which TensorRT has no tensor type for",
                      arg.loc)
    elif kind is ArgKind.PARAM:
        if is_tensor:
            chk.error(f"ParamArg '{arg.name}' has tensor type {arg.dtype}; ParamArgs are scalars stored as plugin "
                      "fields", arg.loc, "use InputArg for a tensor")
        elif dtype.field is None:
            valid = ", ".join(d.abbr for d in DType if d.field is not None)
            chk.error(f"ParamArg '{arg.name}' has type {arg.dtype}, which has no TensorRT plugin field type "
                      f"(valid: {valid})", arg.loc)
    elif kind is ArgKind.DIM_SIZE:
        if is_tensor or dtype not in (DType.INT32, DType.INT64):
            chk.error(f"DimSizeArg '{arg.name}' has type {arg.dtype}; a dim size is i32 or i64", arg.loc)


def _check_hints(params: List[KernelArg], meta: dsl.KernelMetaData, chk: _Checker) -> Tuple[Variant, ...]:
    hinted = [p for p in params if p.hints]
    if any(len(p.hints) != len(hinted[0].hints) for p in hinted):
        detail = ", ".join(f"{p.name}: {len(p.hints)}" for p in hinted)
        odd = next(p for p in hinted if len(p.hints) != len(hinted[0].hints))
        chk.error(f"hint lists of kernel '{meta.kernel_name}' have different lengths ({detail})", odd.loc,
                  "every hinted argument needs one hint per variant")
        return ()
    errors = len(chk.errors)
    for p in params:
        for hint in p.hints:
            if hint not in VALID_HINTS:
                chk.error(f"hint {hint!r} of '{p.name}' is not one of '16', '1', ''", p.loc,
                          "'16' = divisible by 16, '1' = equal to 1, '' = no assumption")
            elif hint and p.dtype is not None and not p.is_tensor and p.dtype.is_float:
                chk.error(f"hint {hint!r} on floating-point '{p.name}' is meaningless", p.loc,
                          "hints apply to pointers and integers; use '' or drop hints")
            elif hint == "1" and p.is_tensor:
                chk.error(f"hint '1' on tensor '{p.name}': a pointer cannot equal 1", p.loc, "use '16' for alignment")
    if len(chk.errors) > errors:
        return ()
    count = len(hinted[0].hints) if hinted else 1
    variants = []
    for i in range(count):
        hints = tuple(Hint(p.hints[i]) if p.hints else Hint.NONE for p in params)
        variant = Variant(hints)
        if variant not in variants:
            variants.append(variant)
    # most specialised first; ties keep config order (sorted() is stable)
    return tuple(sorted(variants, key=lambda v: -v.rank))


def _check_grid(meta: dsl.KernelMetaData, params: List[KernelArg], src: SourceMap,
                chk: _Checker) -> Tuple[expr.Expr, ...]:
    grid = meta.grid_dims
    if isinstance(grid, str) or not isinstance(grid, (list, tuple)) or len(grid) != 3:
        chk.error(f"grid_dims of kernel '{meta.kernel_name}' must be 3 expressions (x, y, z), got {grid!r}",
                  src.field(meta.loc, "grid_dims"))
        return ()
    usable = set(grid_names(params))
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


def _check_rules(meta: dsl.KernelMetaData, params: List[KernelArg], src: SourceMap, chk: _Checker):
    rules = meta.shape_infer_rules
    if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
        chk.error(f"shape_infer_rules of kernel '{meta.kernel_name}' must be a list of strings, got {rules!r}",
                  src.field(meta.loc, "shape_infer_rules"))
        return (), ()
    by_name = {p.name: p for p in params if p.kind is not ArgKind.CONSTEXPR}

    def expect(name: str, kind: ArgKind, role: str, purpose: str, text: str, loc: Location) -> KernelArg:
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


def _check_meta(meta: dsl.KernelMetaData, config_file: Path, src: SourceMap, chk: _Checker) -> Optional[KernelSpec]:
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
            fn = loader.load_kernel(kernel_file, meta.kernel_name, at("kernel_name"))
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
        namespace=meta.namespace, kernel_file=kernel_file, source_key=fn.cache_key, args=tuple(params),
        output_shapes=outputs,
        dim_size_values=dim_sizes, grid=grid, num_warps=meta.num_warps, num_stages=meta.num_stages,
        variants=variants, loc=meta.loc)


def load_config(config_file: Union[str, Path]) -> ConfigSpec:
    """Run ``config_file`` and validate its ``KERNELS`` against the Triton kernels they name."""
    path = Path(config_file).expanduser().resolve()
    if path.suffix != ".py":
        raise ConfigError(f"kernel config must be a .py file, got {path.name}", Location(str(config_file)))
    module = loader.run_config(path)
    src = SourceMap()
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
