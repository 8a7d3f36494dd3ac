"""Stage 1: validate a ``kernel_config.py`` against the real Triton kernels into the model's ``ConfigSpec``.

Every problem found is collected (not just the first) and reported as ``file:line: error: ...``.
"""
from __future__ import annotations

import ast
import contextlib
import dataclasses
import difflib
import itertools
import keyword
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List, NoReturn, Optional, Sequence, Tuple, Union

from . import aot, domains, dsl, expr, loader, specialise, tuning
from .errors import ConfigError, ConfigWarning, Location, PluginGenError
from .model import (NUM_SMS, ArgKind, ConfigSpec, Constraint, DimSizeValue, DType, Hint, KernelArg, KernelSpec,
                    OutputShape, Signature, Tactic, Variant, default_plugin_name, function_name, integer_meta,
                    scalar_names)
from .sourcemap import SourceMap

VALID_HINTS = tuple(h.value for h in Hint)
# arguments of every function in functional.py / onnx_plugins.py, and names the ONNX parser reads from a node
_RESERVED_ARGUMENTS = frozenset({"network", "inputs", "outputs", "name", "np"})
_ONNX_ATTRIBUTES = frozenset({"plugin_version", "plugin_namespace", "tensorrt_plugin_shape_input_indices", "aot"})
# module-level names of functional.py / onnx_plugins.py a kernel function must not replace
_RESERVED_KERNEL_NAMES = frozenset({"register_plugins", "np", "Path", "LIBRARY_PATH", "PLUGINS", "DOMAIN", "make",
                                    "make_model", "infer_output_shapes"})
_SETTERS = {ArgKind.TUNED: "the autotune configs", ArgKind.HEURISTIC: "@triton.heuristics"}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NAMESPACE = re.compile(r"[A-Za-z0-9_.:]*\Z")


class ConfigErrors(ConfigError):
    """Several config errors at once; prints one line each, once (a factory's plugins share their mistakes)."""

    def __init__(self, errors: Sequence[PluginGenError]) -> None:
        super().__init__(errors[0].message, errors[0].loc, errors[0].hint)
        self.errors = list({str(e): e for e in errors}.values())

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


# ----------------------------------------------------------------------------------------------- validation
class _Checker:
    """Collects every error of one config instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: List[PluginGenError] = []
        self.warnings: List[ConfigWarning] = []

    def error(self, message: str, loc: Optional[Location], hint: str = "") -> None:
        self.errors.append(ConfigError(message, loc, hint))

    def warn(self, message: str, loc: Optional[Location], hint: str = "") -> None:
        self.warnings.append(ConfigWarning(message, loc, hint))

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


def _check_params(meta: dsl.KernelMetaData, fn: Any, set_names: Dict[str, ArgKind], src: SourceMap,
                  chk: _Checker) -> List[KernelArg]:
    """Match ``ios`` against the kernel's signature (less the parameters the decorators set, ``set_names``);
    return every parameter in kernel order."""
    ios = meta.ios
    errors = len(chk.errors)  # this kernel's own errors stop it; another kernel's do not
    if not isinstance(ios, list):
        chk.error(f"ios of kernel '{meta.kernel_name}' must be a list, got {type(ios).__name__}",
                  src.field(meta.loc, "ios"))
        return []
    for index, arg in enumerate(ios):
        if not isinstance(arg, (dsl.Argument, dsl.Constexpr)):
            chk.error(f"ios[{index}] of kernel '{meta.kernel_name}' is {arg!r}, not an InputArg, OutputArg, "
                      "ParamArg, DimSizeArg or Constexpr", src.item(meta.loc, "ios", index))
        elif isinstance(arg, dsl.Argument) and not isinstance(arg.name, str):
            chk.error(f"{arg.kind.value} name must be a string, got {arg.name!r}", arg.loc)
    if len(chk.errors) > errors:
        return []
    all_params = list(fn.params)
    # an in-place output need not be a kernel parameter: the kernel updates its input through the input's parameter
    kernel_names = {p.name for p in all_params}
    beside = [a for a in ios if isinstance(a, dsl.OutputArg) and a.alias and a.name not in kernel_names]
    ios = [a for a in ios if not any(a is b for b in beside)]
    for p in all_params:
        if p.name in set_names and not p.is_constexpr:
            chk.error(f"{_SETTERS[set_names[p.name]]} of kernel '{meta.kernel_name}' set '{p.name}', which is not "
                      "tl.constexpr", src.field(meta.loc, "kernel_name"),
                      "configs and heuristics set meta-parameters; run-time values come through ios")
    if len(chk.errors) > errors:
        return []
    kernel_params = [p for p in all_params if p.name not in set_names]
    listed = [a.name for a in ios if a.kind is not ArgKind.CONSTEXPR and a.name in set_names]
    if set_names and (listed or len(ios) == len(all_params)):
        names = listed or [p.name for p in all_params if p.name in set_names]
        setters = " and ".join(sorted({_SETTERS[set_names[n]] for n in names}))
        chk.error(f"ios of kernel '{meta.kernel_name}' gives {', '.join(names)}, which {setters} set",
                  src.field(meta.loc, "ios"), "leave out of ios what the decorators (or configs) set, as "
                                              "kernel[grid](...) does")
        return []
    if len(ios) != len(kernel_params):
        names = ", ".join(p.name for p in kernel_params)
        given = {a.name for a in ios if a.kind is not ArgKind.CONSTEXPR}
        constexprs = sum(a.kind is ArgKind.CONSTEXPR for a in ios)
        missing = [p.name for p in kernel_params if not p.is_constexpr and p.name not in given]
        missing += [p.name for p in kernel_params if p.is_constexpr][constexprs:]
        extra = sorted(given - {p.name for p in kernel_params})
        detail = "".join([f"; missing: {', '.join(missing)}" if missing else "",
                          f"; not kernel parameters: {', '.join(extra)}" if extra else ""])
        set_by = f" (besides {', '.join(set_names)}, set by its decorators)" if set_names else ""
        chk.error(f"kernel '{meta.kernel_name}' takes {len(kernel_params)} parameters from ios ({names}){set_by} "
                  f"but ios lists {len(ios)} entries{detail}", src.field(meta.loc, "ios"),
                  "ios must follow the kernel's parameters one to one, in order")
        return []
    params: List[KernelArg] = []
    slots: Dict[ArgKind, int] = {}
    seen: Dict[str, Location] = {}
    read = loader.names_in_body(fn)
    given_args = iter(ios)
    for kparam in all_params:
        if kparam.name in set_names:
            kind = set_names[kparam.name]
            slot = slots.get(kind, 0)
            slots[kind] = slot + 1
            params.append(KernelArg(name=kparam.name, kind=kind, dtype=None, is_tensor=False, hints=(), slot=slot,
                                    loc=meta.loc))
            continue
        arg = next(given_args)
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
        if kind is ArgKind.CONSTEXPR and not kparam.is_constexpr and arg.value is not None:
            chk.error(f"Constexpr({arg.value!r}) is given for kernel parameter '{kparam.name}', which is not "
                      "tl.constexpr", arg.loc, f"annotate '{kparam.name}: tl.constexpr' or pass it as an argument")
        _check_arg_type(arg, chk)
        slot = slots.get(kind, 0)
        slots[kind] = slot + 1
        params.append(KernelArg(
            name=name, kind=kind, dtype=None if kind is ArgKind.CONSTEXPR else arg.dtype.dtype,
            is_tensor=kind is not ArgKind.CONSTEXPR and arg.dtype.is_tensor, hints=tuple(arg.hints), slot=slot,
            loc=arg.loc, value=arg.value if kind is ArgKind.CONSTEXPR else None,
            type_var=None if kind is ArgKind.CONSTEXPR else arg.dtype.type_var, alias=getattr(arg, "alias", None),
            is_read=kparam.name in read,
            is_descriptor=kind is not ArgKind.CONSTEXPR and arg.dtype.is_descriptor))
    for arg in beside:
        _check_arg_type(arg, chk)
        if arg.hints:
            chk.error(f"OutputArg '{arg.name}' is not a kernel parameter (it is InputArg '{arg.alias}' updated in "
                      "place), so hints on it mean nothing", arg.loc, "drop its hints")
        if not isinstance(arg.name, str) or not _IDENTIFIER.match(arg.name) or arg.name in seen:
            chk.error(f"OutputArg name {arg.name!r} is not a valid identifier or is taken", arg.loc)
        seen.setdefault(arg.name, arg.loc)
        slot = slots.get(ArgKind.OUTPUT, 0)
        slots[ArgKind.OUTPUT] = slot + 1
        params.append(KernelArg(name=arg.name, kind=ArgKind.OUTPUT, dtype=arg.dtype.dtype, is_tensor=arg.dtype.is_tensor,
                                hints=(), slot=slot, loc=arg.loc, type_var=arg.dtype.type_var, alias=arg.alias,
                                is_parameter=False))
    if not slots.get(ArgKind.INPUT):
        chk.error(f"kernel '{meta.kernel_name}' has no InputArg; a plugin needs at least one input",
                  src.field(meta.loc, "ios"))
    if not slots.get(ArgKind.OUTPUT):
        chk.error(f"kernel '{meta.kernel_name}' has no OutputArg; a plugin needs at least one output",
                  src.field(meta.loc, "ios"))
    return params


def _check_descriptors(meta: dsl.KernelMetaData, params: List[KernelArg], tactics: Tuple[Tactic, ...],
                       chk: _Checker) -> List[KernelArg]:
    """``params`` with the ``block_shape`` of every host tensor descriptor parsed (expressions over integer
    constexprs and meta-parameters); errors for one without a block shape, or a block_shape on another argument."""
    written = {a.name: a for a in meta.ios if isinstance(a, (dsl.InputArg, dsl.OutputArg))}
    constexprs = {p.name for p in params if p.kind.is_constexpr}
    result = []
    for p in params:
        given = getattr(written.get(p.name), "block_shape", None)
        if not p.is_descriptor:
            if given is not None:
                chk.error(f"{p.kind.value} '{p.name}' has a block_shape but type {p.type_text}; block_shape is for "
                          "host tensor descriptors", p.loc, f"write Type('tensordesc[...]') if the kernel takes "
                                                            f"'{p.name}' as a TensorDescriptor")
            result.append(p)
            continue
        if p.hints and any(p.hints):
            chk.error(f"{p.kind.value} '{p.name}' is a tensor descriptor: hints mean nothing for it (Triton does not "
                      "specialise descriptors)", p.loc, "drop its hints")
        if p.alias:
            chk.error(f"OutputArg '{p.name}' is a tensor descriptor and updates '{p.alias}' in place, which plugingen "
                      "does not support", p.loc)
        hooked = [t for t in tactics if p.name in dict(t.block_shapes)]
        if given is None:
            if not tactics or len(hooked) != len(tactics):
                chk.error(f"{p.kind.value} '{p.name}' is a tensor descriptor without a block_shape", p.loc,
                          "give block_shape=['BLOCK_M', 'BLOCK_K'] (expressions over constexprs and meta-parameters), "
                          "or set it in the configs' pre_hook")
            result.append(p)
            continue
        if hooked:
            chk.error(f"{p.kind.value} '{p.name}' has a block_shape and the configs' pre_hook sets one too",
                      p.loc, "keep one of them")
        if isinstance(given, (str, bytes)) or not isinstance(given, (list, tuple)) or not 1 <= len(given) <= 5:
            chk.error(f"block_shape of '{p.name}' must be a list of 1 to 5 dims, got {given!r}", p.loc)
            result.append(p)
            continue
        dims = []
        with chk.collecting():
            for index, dim in enumerate(given):
                text = str(dim) if isinstance(dim, int) and not isinstance(dim, bool) else dim
                if not isinstance(text, str):
                    raise ConfigError(f"block_shape[{index}] of '{p.name}' must be an int or an expression, got "
                                      f"{dim!r}", p.loc)
                parsed = expr.parse_expr(text, p.loc, what=f"block_shape[{index}] of '{p.name}'")
                unknown = sorted(expr.names(parsed) - constexprs)
                if unknown:
                    raise ConfigError(f"block_shape[{index}] '{text}' of '{p.name}' uses '{unknown[0]}', which is not "
                                      "a constexpr", p.loc, "a block is fixed at build time: use constexprs and "
                                                            "meta-parameters (" + ", ".join(sorted(constexprs)) + ")")
                dims.append(parsed)
        result.append(dataclasses.replace(p, block_shape=tuple(dims)))
    return result


def _check_arg_type(arg: Any, chk: _Checker) -> None:
    kind = arg.kind
    if kind is ArgKind.CONSTEXPR:
        if arg.value is not None and not isinstance(arg.value, (int, float, bool, str)):
            chk.error(f"Constexpr value must be an int, float, bool, str or None, got {arg.value!r}", arg.loc)
        return
    if kind is ArgKind.DIM_SIZE and arg.dtype.type_var:
        chk.error(f"DimSizeArg '{arg.name}' has type {arg.dtype}; a dim size is i32 or i64", arg.loc)
        return
    problem = _type_problem(kind, arg.name, str(arg.dtype), arg.dtype.dtype, arg.dtype.is_tensor)
    if problem:
        chk.error(problem[0], arg.loc, problem[1])


def _type_problem(kind: ArgKind, name: str, written: str, dtype: Optional[DType],
                  is_tensor: bool) -> Optional[Tuple[str, str]]:
    """Why an argument of ``kind`` cannot have this type (``dtype`` None: a type variable, checked per signature),
    with a hint; None when it can."""
    if kind in (ArgKind.INPUT, ArgKind.OUTPUT):
        if not is_tensor:
            return (f"{kind.value} '{name}' has scalar type {written}; plugin inputs and outputs are tensors",
                    "write Type('tensor[...]'); use ParamArg for a build-time scalar or DimSizeArg for a shape-derived "
                    "one")
        if dtype is None:
            return None
        if dtype.trt is None:
            hint = "pass it as i8 and bitcast in the kernel (x.to(tl.float8e5, bitcast=True))" \
                if dtype is DType.FP8E5M2 else ""
            return f"{kind.value} '{name}' has type {written}, which TensorRT has no tensor type for", hint
        if not dtype.plugin_io:
            return (f"{kind.value} '{name}' has type {written}: TensorRT does not support {dtype.trt.cpp} for plugin "
                    "inputs and outputs (NvInferRuntime.h, PluginTensorDesc::type)",
                    "pass it as i8 (or i32) and convert in the kernel")
    elif kind is ArgKind.PARAM:
        if is_tensor:
            return (f"ParamArg '{name}' has tensor type {written}; ParamArgs are scalars stored as plugin fields",
                    "use InputArg for a tensor")
        if dtype is not None and dtype.field is None:
            valid = ", ".join(d.abbr for d in DType if d.field is not None)
            return f"ParamArg '{name}' has type {written}, which has no TensorRT plugin field type (valid: {valid})", ""
    elif kind is ArgKind.DIM_SIZE:
        if is_tensor or dtype not in (DType.INT32, DType.INT64):
            return f"DimSizeArg '{name}' has type {written}; a dim size is i32 or i64", ""
    return None


def _check_signatures(meta: dsl.KernelMetaData, params: List[KernelArg], src: SourceMap,
                      chk: _Checker) -> Tuple[Signature, ...]:
    """The dtype signatures ``dtypes`` (and ``signatures``) declare, each checked against the arguments it types;
    ``(Signature(()),)`` for a kernel without type variables."""
    declared_at, listed_at = src.field(meta.loc, "dtypes"), src.field(meta.loc, "signatures")
    typed = [p for p in params if p.type_var]
    valid = ", ".join(d.abbr for d in DType)
    if meta.dtypes is None:
        for p in typed:
            chk.error(f"unknown dtype '{p.type_var}' of {p.kind.value} '{p.name}' (valid: {valid})", p.loc,
                      f"or declare '{p.type_var}' as a type variable: dtypes={{'{p.type_var}': ['fp16', 'fp32']}}")
        if meta.signatures is not None:
            chk.error(f"signatures of kernel '{meta.kernel_name}' without dtypes", listed_at,
                      "declare the type variables in dtypes={'T': [...]}; signatures only restricts their combinations")
        return (Signature(()),)
    errors = len(chk.errors)
    if not isinstance(meta.dtypes, dict) or not meta.dtypes:
        chk.error(f"dtypes of kernel '{meta.kernel_name}' must be a dict like {{'T': ['fp16', 'fp32']}}, got "
                  f"{meta.dtypes!r}", declared_at)
        return ()
    declared: Dict[str, List[DType]] = {}
    for var, names in meta.dtypes.items():
        if not isinstance(var, str) or not _IDENTIFIER.match(var) or DType.named(var):
            chk.error(f"type variable {var!r} of kernel '{meta.kernel_name}' must be a name that is not a dtype",
                      declared_at, "e.g. 'T'")
            continue
        if not isinstance(names, (list, tuple)) or not names:
            chk.error(f"dtypes['{var}'] of kernel '{meta.kernel_name}' must be a non-empty list of dtypes, got "
                      f"{names!r}", declared_at)
            continue
        declared[var] = []
        for name in names:
            dtype = DType.named(name) if isinstance(name, str) else None
            if dtype is None:
                chk.error(f"unknown dtype {name!r} in dtypes['{var}'] (valid: {valid})", declared_at)
            elif dtype in declared[var]:
                chk.error(f"dtypes['{var}'] lists {dtype.abbr} twice", declared_at)
            else:
                declared[var].append(dtype)
    used = {p.type_var for p in typed}
    for var in declared:
        if var not in used:
            chk.error(f"type variable '{var}' of kernel '{meta.kernel_name}' types no argument", declared_at,
                      f"write Type('tensor[{var}]') where the kernel takes it, or remove it from dtypes")
    for p in typed if len(chk.errors) == errors else ():  # a broken declaration explains these already
        if p.type_var not in declared and isinstance(meta.dtypes, dict) and p.type_var not in meta.dtypes:
            chk.error(f"type variable '{p.type_var}' of {p.kind.value} '{p.name}' is not declared in dtypes "
                      f"(declared: {', '.join(map(str, meta.dtypes))})", p.loc)
    if len(chk.errors) > errors:
        return ()
    combos = list(itertools.product(*declared.values()))
    if meta.signatures is not None:
        combos = _listed_signatures(meta, declared, listed_at, chk)
        if len(chk.errors) > errors:
            return ()
    signatures = tuple(Signature(tuple(zip(declared, combo))) for combo in combos)
    inputs = [p for p in params if p.kind is ArgKind.INPUT]
    first: Dict[Tuple[DType, ...], Signature] = {}
    for signature in signatures:
        key = tuple(signature.of(p.type_var) if p.type_var else p.dtype for p in inputs)
        if key in first:
            chk.error(f"signatures ({first[key].describe()}) and ({signature.describe()}) of kernel "
                      f"'{meta.kernel_name}' give the inputs the same types: TensorRT tells signatures apart by their "
                      "inputs' types", listed_at if meta.signatures is not None else declared_at,
                      "a type variable that no input uses can take one dtype per combination of the others; list the "
                      "combinations in signatures=[...]")
            return ()
        first[key] = signature
    reported = set()  # (type variable, dtype): one error each, at the first argument it breaks
    for p in (p for p in typed if p.kind is not ArgKind.DIM_SIZE):  # a typed DimSizeArg is refused already
        for signature in signatures:
            dtype = signature.of(p.type_var)
            if (p.type_var, dtype) in reported:
                continue
            written = f"{'tensor[' if p.is_tensor else ''}{dtype.abbr}{']' if p.is_tensor else ''}"
            problem = _type_problem(p.kind, p.name, f"{written} ({signature.describe()})", dtype, p.is_tensor)
            if problem is None and p.kind is ArgKind.PARAM:
                kinds = {signature.of(p.type_var).is_float for signature in signatures}
                if len(kinds) > 1:
                    problem = (f"ParamArg '{p.name}' has type {p.type_var}, an integer in some signatures and "
                               "floating-point in others: a plugin field has one type", "")
            if problem is None and p.hints and any(p.hints) and not p.is_tensor and dtype.is_float:
                problem = (f"hints on '{p.name}', floating-point in signature {signature.describe()}, are "
                           "meaningless", "hints apply to pointers and integers")
            if problem:
                chk.error(problem[0], p.loc, problem[1])
                reported.add((p.type_var, dtype))
                break
    return signatures if len(chk.errors) == errors else ()


def _listed_signatures(meta: dsl.KernelMetaData, declared: Dict[str, List[DType]], loc: Optional[Location],
                       chk: _Checker) -> List[Tuple[DType, ...]]:
    """The combinations ``signatures=[{'T': 'fp16', ...}, ...]`` lists, each naming every type variable once."""
    listed = meta.signatures
    if not isinstance(listed, (list, tuple)) or not listed:
        chk.error(f"signatures of kernel '{meta.kernel_name}' must be a non-empty list of dicts like "
                  f"{{'{next(iter(declared), 'T')}': 'fp16'}}, got {listed!r}", loc)
        return []
    combos: List[Tuple[DType, ...]] = []
    for index, entry in enumerate(listed):
        if not isinstance(entry, dict) or set(entry) != set(declared):
            chk.error(f"signatures[{index}] of kernel '{meta.kernel_name}' is {entry!r}; each names every type "
                      f"variable ({', '.join(declared)}) once", loc)
            continue
        combo = []
        for var in declared:
            dtype = DType.named(entry[var]) if isinstance(entry[var], str) else None
            if dtype not in declared[var]:
                chk.error(f"signatures[{index}] gives {var} = {entry[var]!r}, which dtypes['{var}'] does not list "
                          f"({', '.join(d.abbr for d in declared[var])})", loc)
            combo.append(dtype)
        if tuple(combo) in combos:
            chk.error(f"signatures[{index}] of kernel '{meta.kernel_name}' repeats {entry!r}", loc)
        combos.append(tuple(combo))
    return combos


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
            elif hint and p.dtype is not None and not p.is_tensor and p.dtype.is_float:  # type variables: per signature
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


def _with_constant_facts(variants: Tuple[Variant, ...], params: List[KernelArg],
                         dim_sizes: Sequence[DimSizeValue], chk: _Checker) -> Tuple[Variant, ...]:
    """Variants with what Triton's JIT would specialise on a DimSizeArg whose rule is a constant (``a[m, k] : 1 ->
    stride_ak``): equal to 1 (compiled in), or divisible by 16. The value is the same at every launch, so this is
    a fact, not a promise: no run-time branch, no extra image."""
    index = {p.name: i for i, p in enumerate(params)}
    facts = {}
    for value in dim_sizes:
        if value.is_argument and not expr.names(value.rule.expr) and not expr.tensors(value.rule.expr):
            try:
                constant = expr.evaluate(value.rule.expr, {})
            except (ArithmeticError, ValueError) as exc:  # 4 // (2 - 2), 2 ** 70
                chk.error(f"the rule of '{value.target}' computes {expr.render(value.rule.expr)}, which fails: {exc}",
                          value.loc)
                continue
            facts[value.target] = (constant, Hint.ONE if constant == 1 else Hint.DIV16 if constant % 16 == 0
                                   else Hint.NONE)
    if not facts:
        return variants
    refined = []
    for variant in variants:
        hints = list(variant.hints)
        for name, (constant, fact) in facts.items():
            given = hints[index[name]]
            if given is Hint.NONE:
                hints[index[name]] = fact
            elif not given.holds(constant):
                chk.error(f"hint '{given.value}' on DimSizeArg '{name}' never holds: its rule makes it always "
                          f"{constant}", params[index[name]].loc, "drop the hint")
                return variants
        if Variant(tuple(hints)) not in refined:
            refined.append(Variant(tuple(hints)))
    return tuple(sorted(refined, key=lambda v: -v.rank))


def _expression_names(params: List[KernelArg], tactics: Tuple[Tactic, ...],
                      launch_values: Sequence[DimSizeValue]) -> set:
    """Names grids and constraints may use: integer scalars and constexprs, meta-parameters that are integers in
    every tactic, heuristic values, launch values."""
    meta = integer_meta(tactics)
    usable = {p.name for p in params if p.name in scalar_names(params) and (p.kind is not ArgKind.TUNED
                                                                           or p.name in meta)}
    taken = {p.name for p in params} | {v.target for v in launch_values}
    return usable | {v.target for v in launch_values} | ({NUM_SMS} - taken)


def _check_constraints(meta: dsl.KernelMetaData, params: List[KernelArg], tactics: Tuple[Tactic, ...],
                       launch_values: Sequence[DimSizeValue], src: SourceMap, chk: _Checker) -> Tuple[Constraint, ...]:
    texts = meta.constraints
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        chk.error(f"constraints of kernel '{meta.kernel_name}' must be a list of strings like 'n <= BLOCK', got "
                  f"{texts!r}", src.field(meta.loc, "constraints"))
        return ()
    usable = _expression_names(params, tactics, launch_values)
    found = []
    for index, text in enumerate(texts):
        loc = src.item(meta.loc, "constraints", index, text)

        def fail(node: Any, why: str, _text=text, _loc=loc) -> NoReturn:
            raise ConfigError(f"constraint '{_text}': {why}", _loc)

        def leaf(node: Any, _fail=fail) -> Optional[expr.Expr]:
            if isinstance(node, ast.Name):
                if node.id not in usable:
                    _fail(node, f"unknown name '{node.id}' (usable: {', '.join(sorted(usable)) or 'none'})")
                return expr.Name(node.id)
            return None

        with chk.collecting():
            try:
                tree = ast.parse(text.strip(), mode="eval").body
            except SyntaxError as exc:
                raise ConfigError(f"constraint '{text}': {exc.msg}" + (f" at column {exc.offset}" if exc.offset else
                                                                         ""), loc)
            translated = expr.from_python(tree, leaf, fail)
            if not expr.is_bool(translated):
                fail(tree, "is not a condition (compare it, e.g. 'n <= 1024')")
            found.append(Constraint(text, translated, loc))
    return tuple(found)


def _check_grid(meta: dsl.KernelMetaData, params: List[KernelArg], tactics: Tuple[Tactic, ...],
                launch_values: Sequence[DimSizeValue], constraints: Sequence[Constraint], src: SourceMap,
                chk: _Checker) -> Tuple[expr.Expr, ...]:
    grid = meta.grid_dims
    if isinstance(grid, str) or not isinstance(grid, (list, tuple)) or len(grid) != 3:
        chk.error(f"grid_dims of kernel '{meta.kernel_name}' must be 3 expressions (x, y, z), got {grid!r}",
                  src.field(meta.loc, "grid_dims"))
        return ()
    usable = _expression_names(params, tactics, launch_values)
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
                what = f"unknown name '{name}'" if p is None else \
                    f"{p.kind.value} '{name}', whose value is not always an integer" if p.kind is ArgKind.TUNED else \
                    f"{p.kind.value} '{name}' of type {p.triton_type()}, not an integer scalar"
                chk.error(f"grid_dims {axis} '{text}' uses {what}", loc,
                          f"grid expressions may use {', '.join(sorted(usable)) or 'no names here'} (DimSizeArgs, "
                          "launch values, the device's num_sms, integer ParamArgs and integer constexprs)")
            exprs.append(parsed)
    if len(exprs) == 3:
        used = set().union(*(expr.names(e) for e in exprs + [c.expr for c in constraints]))
        for value in launch_values:
            if value.target not in used:
                close = difflib.get_close_matches(value.target, [p.name for p in params], 1, 0.7)
                chk.error(f"launch value '{value.target}' (a ':' rule's target that is not a kernel parameter) is "
                          "used by no grid expression or constraint", value.loc,
                          f"did you mean {_a(by_name[close[0]].kind)} '{close[0]}'?" if close else
                          "use it in grid_dims or constraints, or remove the rule")
    return tuple(exprs)


def _check_rules(meta: dsl.KernelMetaData, params: List[KernelArg], src: SourceMap, chk: _Checker):
    rules = meta.shape_infer_rules
    if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
        chk.error(f"shape_infer_rules of kernel '{meta.kernel_name}' must be a list of strings, got {rules!r}",
                  src.field(meta.loc, "shape_infer_rules"))
        return (), ()
    by_name = {p.name: p for p in params if not p.kind.is_constexpr}

    def expect(name: str, kind: ArgKind, role: str, purpose: str, text: str, loc: Location) -> KernelArg:
        """The argument a rule names in ``role``, which must be of ``kind``."""
        p = by_name.get(name)
        if p is None or p.kind is not kind:
            what = f"is {_a(p.kind)}" if p else "is not an argument of this kernel"
            valid = ", ".join(q.name for q in params if q.kind is kind) or "none"
            raise ConfigError(f"rule '{text}': {role} '{name}' {what}; {purpose} ({kind.value}s: {valid})", loc)
        return p

    outputs: Dict[int, OutputShape] = {}
    dim_sizes: Dict[str, DimSizeValue] = {}  # by target
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
                known = {p.name: p for p in params}
                if rule.target in known:
                    p = expect(rule.target, ArgKind.DIM_SIZE, "target", "a ':' rule computes a DimSizeArg or a "
                               "launch value (a name that is not a kernel parameter)", text, loc)
                    value = DimSizeValue(rule.target, p.dtype, True, rule, tuple(slots), loc)
                else:
                    value = DimSizeValue(rule.target, DType.INT64, False, rule, tuple(slots), loc)
                if rule.target in dim_sizes:
                    what = "DimSizeArg" if value.is_argument else "launch value"
                    raise ConfigError(f"{what} '{rule.target}' has two rules (first at line "
                                      f"{dim_sizes[rule.target].loc.line})", loc)
                dim_sizes[rule.target] = value
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
    _check_aliases(meta, params, outputs, chk)
    for p in params:
        if p.kind is ArgKind.OUTPUT and p.slot not in outputs:
            chk.error(f"OutputArg '{p.name}' has no shape rule", p.loc,
                      f"add a rule like '<input>[...] -> {p.name}[...]' to shape_infer_rules")
        if p.kind is ArgKind.DIM_SIZE and p.name not in dim_sizes:
            meant = next((v for v in dim_sizes.values() if not v.is_argument and v.target.lower() == p.name.lower()),
                         None)
            if meant is not None:  # one error, at the rule: not also "no rule" and "launch value unused"
                chk.error(f"rule '{expr.render_rule(meant.rule)}' computes '{meant.target}', which is not a kernel "
                          f"parameter", meant.loc, f"did you mean DimSizeArg '{p.name}'? (names are case-sensitive)")
                del dim_sizes[meant.target]
                continue
            chk.error(f"DimSizeArg '{p.name}' has no rule", p.loc,
                      f"add a rule like '<input>[a, b, *] : a * b -> {p.name}' to shape_infer_rules")
    read = {t.name for r in [o.rule for o in outputs.values()] + [v.rule for v in dim_sizes.values()] for t in r.inputs}
    for p in params:
        if p.kind is ArgKind.INPUT and p.name not in read:
            chk.warn(f"InputArg '{p.name}' of kernel '{meta.kernel_name}' is named in no shape rule: its shape is "
                     "never checked", p.loc, f"name it in a rule, e.g. '<input>[d], {p.name}[d] -> <output>[d]'")
    arguments = [dim_sizes[p.name] for p in params if p.kind is ArgKind.DIM_SIZE and p.name in dim_sizes]
    launch_values = [v for v in dim_sizes.values() if not v.is_argument]
    return tuple(outputs[k] for k in sorted(outputs)), tuple(arguments + launch_values)


def _check_aliases(meta: dsl.KernelMetaData, params: List[KernelArg], outputs: Dict[int, OutputShape],
                   chk: _Checker) -> None:
    """Each in-place output (``alias='X'``) names an InputArg no other output aliases, has its dtype, and has its
    shape: a shape rule that copies X's, or none (``X[*] -> Y[*]`` is implied)."""
    inputs = {p.name: p for p in params if p.kind is ArgKind.INPUT}
    taken: Dict[str, str] = {}
    for p in params:
        if p.kind is not ArgKind.OUTPUT or p.alias is None:
            continue
        source = inputs.get(p.alias) if isinstance(p.alias, str) else None
        if source is None:
            chk.error(f"OutputArg '{p.name}' has alias={p.alias!r}, which is not an InputArg of kernel "
                      f"'{meta.kernel_name}' (InputArgs: {', '.join(inputs) or 'none'})", p.loc,
                      "alias names the input the kernel updates in place")
            continue
        shape = outputs.get(p.slot)
        if shape is None:
            rule = expr.parse_rule(f"{p.alias}[*] -> {p.name}[*]", p.loc)
            outputs[p.slot] = OutputShape(p.slot, rule, rule.outputs[0], (source.slot,), p.loc)
        if p.alias in taken:
            chk.error(f"OutputArg '{p.name}' aliases InputArg '{p.alias}', which OutputArg '{taken[p.alias]}' already "
                      "aliases", p.loc, "an input can be updated in place by one output")
            continue
        taken[p.alias] = p.name
        if (p.dtype, p.type_var) != (source.dtype, source.type_var):
            chk.error(f"OutputArg '{p.name}' ({p.type_text}) aliases InputArg '{p.alias}' ({source.type_text}): an "
                      "in-place output has its input's dtype", p.loc)
        if shape is None:
            continue
        if not _copies_shape(shape, p.alias):
            chk.error(f"rule '{expr.render_rule(shape.rule)}' gives in-place OutputArg '{p.name}' a shape that is not "
                      f"that of InputArg '{p.alias}'", shape.loc,
                      f"write '{p.alias}[*] -> {p.name}[*]', or leave the rule out: an aliased output has its input's "
                      "shape")


def _copies_shape(shape: OutputShape, source: str) -> bool:
    """Whether ``shape``'s pattern is the shape of input ``source`` as its rule binds it."""
    pattern, inputs = shape.pattern, shape.rule.inputs
    if pattern.whole:
        return inputs[0].name == source
    bound = next((t for t in inputs if t.name == source), None)
    if bound is None or bound.rest != pattern.rest or (pattern.rest and next(t for t in inputs if t.rest) is not bound):
        return False
    return [str(d) for d in bound.dims] == [expr.render(d) for d in pattern.dims]


def _plugin_name(meta: dsl.KernelMetaData) -> Tuple[Any, str]:
    """The plugin's name as the config gives it (or the default), and the field that gives it."""
    if meta.plugin_name is None:
        return default_plugin_name(meta.kernel_name) if isinstance(meta.kernel_name, str) else None, "kernel_name"
    return meta.plugin_name, "plugin_name"


def _check_meta(meta: dsl.KernelMetaData, config_file: Path, arch: int, src: SourceMap,
                chk: _Checker) -> Optional[KernelSpec]:
    def at(field: str) -> Location:
        return src.field(meta.loc, field)

    def error(message: str, loc: Optional[Location], hint: str = "") -> None:
        chk.error(message, loc, hint)

    for name in meta.unknown:
        close = difflib.get_close_matches(name, dsl.FIELDS, 1)
        chk.error(f"KernelMetaData has no field '{name}' (valid: {', '.join(dsl.FIELDS)})", at(name),
                  f"did you mean {close[0]}?" if close else "")
    if not isinstance(meta.kernel_name, str) or not _IDENTIFIER.match(meta.kernel_name) \
            or keyword.iskeyword(meta.kernel_name):
        chk.error(f"kernel_name {meta.kernel_name!r} is not a valid identifier", at("kernel_name"))
        return None
    plugin_name, named = _plugin_name(meta)
    if not isinstance(plugin_name, str) or not _IDENTIFIER.match(plugin_name):
        chk.error(f"plugin_name {plugin_name!r} is not a valid identifier", at("plugin_name"))
        return None
    function = function_name(plugin_name)
    if not function or function in _RESERVED_KERNEL_NAMES or keyword.iskeyword(function) or function[0].isdigit():
        chk.error(f"{named} '{getattr(meta, named)}' is reserved: its Python function '{function}' in the generated "
                  "modules would clash", at(named), "rename the plugin (plugin_name=...)" if meta.plugin_name else
                  "rename the kernel, or give the plugin another name (plugin_name=...)")
        return None
    if isinstance(meta.version, bool) or not isinstance(meta.version, int) or meta.version < 0:
        chk.error(f"version of kernel '{meta.kernel_name}' must be a non-negative integer, got {meta.version!r}",
                  at("version"))
    if not isinstance(meta.namespace, str) or not _NAMESPACE.match(meta.namespace):
        chk.error(f"namespace {meta.namespace!r} may hold only letters, digits, '_', '.' and ':'", at("namespace"))
    kernel_file = None
    kdef = None
    with chk.collecting():
        try:
            kernel_file = _resolve_kernel_file(meta, config_file, at("kernel_file"))
            kdef = loader.load_kernel_def(kernel_file, meta.kernel_name, at("kernel_name"))
        except PluginGenError as exc:
            raise exc.with_loc(at("kernel_file"))
    if kdef is None:
        return None
    errors = len(chk.errors)
    decorators = tuning.read_decorators(kdef, meta, at("kernel_name"), at("configs"), at("heuristics"), error,
                                        lambda index: src.item(meta.loc, "configs", index))
    if not _check_config_keys(decorators, kdef.fn, chk):
        return None
    params = _check_params(meta, kdef.fn, decorators.set_names, src, chk)
    if not params:
        return None
    tactics = tuning.tactics(decorators, params, meta, arch, at, error)
    params = _check_descriptors(meta, params, tactics, chk)
    heuristics = tuning.heuristics(decorators, params, tactics, meta, at("domains"), error)
    variants = _check_hints(params, meta, chk)
    signatures = _check_signatures(meta, params, src, chk)
    _check_reset(decorators, params, meta, chk)
    if any(p.kind is ArgKind.INPUT for p in params):  # without inputs every rule would fail too
        before_rules = len(chk.errors)
        outputs, dim_sizes = _check_rules(meta, params, src, chk)
        broken = len(chk.errors) > before_rules and not outputs and not dim_sizes
        if not broken:  # a rule that did not parse leaves names undefined: not the grid's mistake
            variants = _with_constant_facts(variants, params, dim_sizes, chk)
            launch_values = [v for v in dim_sizes if not v.is_argument]
            constraints = _check_constraints(meta, params, tactics, launch_values, src, chk)
            grid = _check_grid(meta, params, tactics, launch_values, constraints, src, chk)
    with chk.collecting():
        source_key = loader.source_key(kdef.fn, kernel_file)
    if len(chk.errors) > errors:
        return None
    spec = KernelSpec(
        kernel_name=meta.kernel_name, plugin_name=plugin_name, version=str(meta.version),
        namespace=meta.namespace, kernel_file=kernel_file, source_key=source_key, args=tuple(params),
        output_shapes=outputs, dim_size_values=dim_sizes, grid=grid, tactics=tactics, heuristics=heuristics,
        variants=variants, reset_to_zero=decorators.reset_to_zero, constraints=constraints, signatures=signatures,
        loc=meta.loc, tuning_key=decorators.key)
    with chk.collecting():
        spec = domains.derive(spec)
        _check_option_heuristics(spec, chk)
    return spec if len(chk.errors) == errors else None


def _check_config_keys(decorators: tuning.Decorators, fn: Any, chk: _Checker) -> bool:
    """Every name an autotune config sets is a parameter of the kernel (else ios would be matched against a
    signature the configs do not have)."""
    constexprs = [p.name for p in fn.params if p.is_constexpr]
    unknown = decorators.unknown_keys()
    for key, index in unknown.items():
        close = difflib.get_close_matches(key, constexprs, 1)
        chk.error(f"config {index} ({tuning.describe(decorators.configs[index])}) of '{fn.__name__}' sets '{key}', "
                  f"which is not a parameter of the kernel (its tl.constexpr parameters: "
                  f"{', '.join(constexprs) or 'none'})", decorators.config_loc(index),
                  f"did you mean {close[0]}?" if close else "")
    return not unknown


def _check_option_heuristics(spec: KernelSpec, chk: _Checker) -> None:
    """A heuristic that sets num_warps or num_stages takes values Triton compiles with."""
    for h in spec.heuristics:
        if h.name == "num_warps" and any(v < 1 or v > 32 or v & (v - 1) for v in h.domain):
            chk.error(f"heuristic 'num_warps' takes {list(h.domain)}; num_warps is a power of two from 1 to 32",
                      h.loc)
        if h.name == "num_stages" and any(v < 0 for v in h.domain):
            chk.error(f"heuristic 'num_stages' takes {list(h.domain)}; num_stages is a non-negative integer", h.loc)


def _check_reset(decorators: tuning.Decorators, params: List[KernelArg], meta: dsl.KernelMetaData,
                 chk: _Checker) -> None:
    outputs = {p.name: p for p in params if p.kind is ArgKind.OUTPUT}
    for name in decorators.reset_to_zero:
        if name not in outputs:
            chk.error(f"reset_to_zero of '{meta.kernel_name}' names '{name}', which is not an OutputArg",
                      decorators.loc, "a plugin can zero its outputs before a launch; its inputs are read-only")
        elif outputs[name].alias:
            chk.error(f"reset_to_zero of '{meta.kernel_name}' names '{name}', which is InputArg "
                      f"'{outputs[name].alias}' updated in place: zeroing it would erase the input", decorators.loc)


def _load_for_arch(path: Path, arch: int) -> ConfigSpec:
    """Run the config (and the kernel files it names) against build target ``arch`` and validate it."""
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
    first_seen: Dict[str, dsl.KernelMetaData] = {}  # by plugin name
    functions: Dict[str, str] = {}
    for meta in kernels:
        # TensorRT's registry tells creators apart by name, version and namespace; the generated Python modules and
        # the manifest by the plugin's name (its function), so a name is one plugin whatever its version or namespace
        plugin_name, named = _plugin_name(meta)
        first = first_seen.get(plugin_name) if isinstance(plugin_name, str) else None
        if first is not None:
            chk.error(f"duplicate plugin name '{plugin_name}' (first at line {first.loc.line})",
                      src.field(meta.loc, named), "a kernel built as several plugins needs a plugin_name=... for "
                                                  "each" if first.kernel_name == meta.kernel_name else
                      "give one of them another plugin_name=...")
            continue
        if isinstance(plugin_name, str):
            first_seen[plugin_name] = meta
        spec = _check_meta(meta, path, arch, src, chk)
        if spec is None:
            continue
        where = src.field(meta.loc, named)
        if spec.function_name in functions:
            chk.error(f"plugins '{functions[spec.function_name]}' and '{spec.plugin_name}' both become the Python "
                      f"function '{spec.function_name}' (a trailing 'Plugin' and leading underscores are dropped)",
                      where, "rename one of them (plugin_name=...)")
            continue
        functions[spec.function_name] = spec.plugin_name
        specs.append(spec)
    if chk.errors:
        raise ConfigErrors(chk.errors)
    warnings = tuple({str(w): w for w in chk.warnings}.values())  # once each (a factory's plugins share them)
    return ConfigSpec(config_file=path, kernels=tuple(specs), warnings=warnings)


def _merge_archs(per_arch: Sequence[Tuple[int, ConfigSpec]]) -> ConfigSpec:
    """One spec from each arch's: they must agree on everything but the tactics' compile options."""
    first_arch, first = per_arch[0]
    kernels = []
    for index, spec in enumerate(first.kernels):
        tactics = [list(t.options) for t in spec.tactics]
        for arch, other in per_arch[1:]:
            theirs = other.kernels[index] if index < len(other.kernels) else None
            stripped = [dataclasses.replace(t, options=()) for t in spec.tactics]
            if theirs is None or dataclasses.replace(theirs, tactics=tuple(
                    dataclasses.replace(t, options=()) for t in theirs.tactics)) != dataclasses.replace(
                    spec, tactics=tuple(stripped)):
                differs = _first_difference(spec, theirs)
                raise ConfigError(f"kernel '{spec.kernel_name}' differs between sm_{first_arch} and sm_{arch} "
                                  f"({differs}): its config or kernel file asks the device at import", spec.loc,
                                  "only the autotune configs' num_warps/num_stages may depend on the arch")
            for options, tactic in zip(tactics, theirs.tactics):
                options += tactic.options
        kernels.append(dataclasses.replace(spec, tactics=tuple(
            dataclasses.replace(t, options=tuple(o)) for t, o in zip(spec.tactics, tactics))))
    return dataclasses.replace(first, kernels=tuple(kernels))


def _first_difference(spec: KernelSpec, other: Optional[KernelSpec]) -> str:
    if other is None:
        return "it is missing"
    for field in dataclasses.fields(KernelSpec):
        mine, theirs = getattr(spec, field.name), getattr(other, field.name)
        if field.name == "tactics":
            mine = [t.meta for t in mine]
            theirs = [t.meta for t in theirs]
        if field.compare and mine != theirs:
            return f"its {field.name}"
    return "its tactics"


def load_config(config_file: Union[str, Path], archs: Sequence[int] = aot.DEFAULT_ARCHS,
                max_variants: Optional[int] = specialise.DEFAULT_MAX_VARIANTS) -> ConfigSpec:
    """Run ``config_file`` and validate its ``KERNELS`` against the Triton kernels they name, for build targets
    ``archs``: once per arch when the user files ask the build target anything, else once. Each kernel's hint
    variants are the config's plus automatic ones up to ``max_variants`` (``specialise``; None: the config's only)."""
    path = Path(config_file).expanduser().resolve()
    if path.is_dir():
        inside = path / "kernel_config.py"
        raise ConfigError(f"kernel config {config_file} is a folder, not a .py file", Location(str(config_file)),
                          f"pass {inside}" if inside.is_file() else "pass the config file itself")
    if path.suffix != ".py":
        raise ConfigError(f"kernel config must be a .py file, got {path.name}", Location(str(config_file)))
    archs = tuple(sorted(set(archs)))
    per_arch: List[Tuple[int, ConfigSpec]] = []
    for arch in archs:
        with loader.build_target(arch) as target:
            per_arch.append((arch, _load_for_arch(path, arch)))
        if not target.asked:  # nothing depends on the arch: every arch compiles the same tactics
            first = per_arch[0][1]
            per_arch += [(a, _with_arch(first, per_arch[0][0], a)) for a in archs if a != arch]
            break
    return specialise.refine_config(_merge_archs(per_arch), max_variants)


def _with_arch(spec: ConfigSpec, arch: int, new: int) -> ConfigSpec:
    """``spec`` (evaluated for ``arch``) with its tactics' options stated for ``new``."""
    return dataclasses.replace(spec, kernels=tuple(dataclasses.replace(k, tactics=tuple(
        dataclasses.replace(t, options=((new, t.options_for(arch)),)) for t in k.tactics)) for k in spec.kernels))
