"""Stage 3: render the plugin sources (C++, CMake, functional.py, onnx_plugins.py) from the compiled kernels.

Templates only loop and insert; the C++ fragments that carry logic (shape rules, dim sizes, grid, variant
conditions, argument packing) are built by the small functions here. ``generate`` depends on its inputs alone:
the same model gives the same bytes on every machine (toolchain and TensorRT headers reach CMake at configure time).
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import jinja2

from . import __version__, expr
from .errors import BuildError
from .model import (NUM_SMS, ArgKind, CompiledConfig, CompiledKernel, DType, Hint, Image, KernelArg, KernelSpec, Point,
                    Variant, integer_meta)
from .plan import KernelPlan

_TEMPLATES = Path(__file__).parent / "templates"
_INCLUDE = Path(__file__).parent / "include"
RUNTIME_SOURCE = "include/plugingen/runtime.cpp"  # the runtime's out-of-line half, compiled once per library
_CPP_KEYWORDS = frozenset("""alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t
char32_t class compl concept const consteval constexpr constinit const_cast continue co_await co_return co_yield
decltype default delete do double dynamic_cast else enum explicit export extern false float for friend goto if inline
int long mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected public register
reinterpret_cast requires return short signed sizeof static static_assert static_cast struct switch template this
thread_local throw true try typedef typeid typename union unsigned using virtual void volatile wchar_t while xor
xor_eq""".split())


@dataclasses.dataclass(frozen=True)
class GeneratedSources:
    """Files to write under the build's source folder (relative path -> text), and the Python modules that go
    into ``output/`` beside the library (functional.py, onnx_plugins.py)."""

    files: Tuple[Tuple[str, str], ...]
    python: Tuple[Tuple[str, str], ...]


def cpp_string(text: str) -> str:
    """A C++ string literal for ``text`` (the one place strings are escaped)."""
    return '"' + _escape(text.encode()) + '"'


def _escape(data: bytes) -> str:
    """``data`` as the inside of a C++ string literal: printable ASCII as it is, every other byte as a 3-digit octal
    escape (which never absorbs a following digit)."""
    return "".join(chr(b) if 32 <= b < 127 and b not in b'\\"' else
                   "\\" + chr(b) if b in b'\\"' else f"\\{b:03o}" for b in data)


def cpp_ident(name: str) -> str:
    """``name`` as a C++ member name (Python identifiers that are C++ keywords get a trailing underscore)."""
    return name + "_" if name in _CPP_KEYWORDS else name


def _where(loc) -> str:
    name = os.path.basename(loc.file)
    return f"{name}:{loc.line}" if loc.line else name


def _comment(arg: KernelArg) -> str:
    if arg.kind is ArgKind.CONSTEXPR:
        return f"{_where(arg.loc)} Constexpr({arg.value!r}) -> {arg.name}"
    return f"{_where(arg.loc)} {arg.kind.value}('{arg.name}', {arg.type_text})"


def _bool(value: bool) -> str:
    return "true" if value else "false"


# ------------------------------------------------------------------------------------------- shape rules
def rule_texts(spec: KernelSpec) -> List[str]:
    """Every rule's text once, in config order: the generated ``kRules`` table the checks' messages quote."""
    texts = [expr.render_rule(s.rule) for s in spec.output_shapes] + [expr.render_rule(v.rule)
                                                                      for v in spec.dim_size_values]
    return list(dict.fromkeys(texts))


def _rule_ref(spec: KernelSpec, rule) -> str:
    return f"kRules[{rule_texts(spec).index(expr.render_rule(rule))}]"


def shape_lines(spec: KernelSpec) -> List[str]:
    """Body of outputShapes: rank checks (once per rule), then each output's dims as IDimensionExpr built from the
    rules."""
    lines: List[str] = []
    done = set()
    for shape in spec.output_shapes:
        rule, pattern = shape.rule, shape.pattern
        text = _rule_ref(spec, rule)
        lines.append(f"// {_where(shape.loc)} '{expr.render_rule(rule)}'" + (" (checked above)" if text in done
                                                                             else ""))
        for slot, inp in zip(shape.input_slots, rule.inputs) if text not in done else ():
            lines.append(f"plugingen::checkRank(inputs[{slot}].nbDims, {len(inp.dims)}, {_bool(inp.rest)}, "
                         f"{cpp_string(inp.name)}, {text});")
            for pos, dim in enumerate(inp.dims):
                if isinstance(dim, int):  # a build-time size that is already known must be the literal
                    lines.append(f"plugingen::checkDimExpr(*inputs[{slot}].d[{pos}], {dim}, {cpp_string(inp.name)}, "
                                 f"{pos}, {text});")
        first: Dict[str, str] = {}
        for slot, inp in zip(shape.input_slots, rule.inputs) if text not in done else ():
            for pos, name in enumerate(inp.dims):  # sizes a repeated name ties, where both are already known
                here = f"*inputs[{slot}].d[{pos}]"
                if isinstance(name, str) and name in first:
                    lines.append(f"plugingen::checkSameDimExpr({first[name]}, {here}, {cpp_string(name)}, {text});")
                elif isinstance(name, str):
                    first[name] = here
        done.add(text)
        out = f"outputs[{shape.output}]"
        if pattern.whole:
            lines.append(f"{out} = inputs[{shape.input_slots[0]}];")
            continue
        bindings = expr.dim_bindings(rule.inputs)

        def bind(name: str, _slots=shape.input_slots, _b=bindings) -> str:
            index, pos = _b[name]
            return f"inputs[{_slots[index]}].d[{pos}]"

        def numel(tensor: str, _slots=shape.input_slots, _rule=rule) -> str:
            return f"plugingen::volumeExpr(inputs[{_slots[_tensor_index(_rule, tensor)]}], exprBuilder)"

        count = str(len(pattern.dims))
        if pattern.rest:
            index = next(i for i, p in enumerate(rule.inputs) if p.rest)
            source, named = shape.input_slots[index], len(rule.inputs[index].dims)
            count = f"{len(pattern.dims)} + inputs[{source}].nbDims - {named}"
        lines.append(f"{out}.nbDims = {count};")
        if pattern.rest:
            lines.append(f"plugingen::check({out}.nbDims <= nvinfer1::Dims::MAX_DIMS, \"output "
                         f"'{pattern.name}' would have more than 8 dimensions\");")
        for i, dim in enumerate(pattern.dims):
            lines.append(f"{out}.d[{i}] = {expr.emit_dim_expr(dim, bind, numel=numel)};")
        if pattern.rest:
            lines.append(f"for (int32_t i = {named}; i < inputs[{source}].nbDims; ++i)")
            lines.append("{")
            lines.append(f"    {out}.d[{len(pattern.dims)} + i - {named}] = inputs[{source}].d[i];")
            lines.append("}")
    return lines


def output_check_lines(spec: KernelSpec) -> List[str]:
    """Body of checkOutputs: each output's rank and dims as enqueue received them, against the values its rule gives
    for the inputs (whose shapes computeLaunch has checked)."""
    lines: List[str] = []
    for shape in spec.output_shapes:
        rule, pattern, k = shape.rule, shape.pattern, shape.output
        text = _rule_ref(spec, rule)
        out = f"out[{k}].dims"
        if pattern.whole:
            source = f"in[{shape.input_slots[0]}].dims"
            lines.append(f"plugingen::checkOutputDim({k}, -1, {out}.nbDims, {source}.nbDims, {text});")
            lines.append(f"for (int32_t i = 0; i < {out}.nbDims; ++i)")
            lines.append("{")
            lines.append(f"    plugingen::checkOutputDim({k}, i, {out}.d[i], {source}.d[i], {text});")
            lines.append("}")
            continue
        bindings = expr.dim_bindings(rule.inputs)

        def bind(name: str, _slots=shape.input_slots, _b=bindings) -> str:
            index, pos = _b[name]
            return f"in[{_slots[index]}].dims.d[{pos}]"

        def numel(tensor: str, _slots=shape.input_slots, _rule=rule) -> str:
            return f"static_cast<int64_t>(plugingen::volume(in[{_slots[_tensor_index(_rule, tensor)]}].dims))"

        rank = str(len(pattern.dims))
        if pattern.rest:
            index = next(i for i, p in enumerate(rule.inputs) if p.rest)
            source, named = shape.input_slots[index], len(rule.inputs[index].dims)
            rank = f"{len(pattern.dims)} + in[{source}].dims.nbDims - {named}"
        lines.append(f"plugingen::checkOutputDim({k}, -1, {out}.nbDims, {rank}, {text});")
        for i, dim in enumerate(pattern.dims):
            lines.append(f"plugingen::checkOutputDim({k}, {i}, {out}.d[{i}], {expr.emit_int64(dim, bind, numel)}, "
                         f"{text});")
        if pattern.rest:
            lines.append(f"for (int32_t i = {named}; i < in[{source}].dims.nbDims; ++i)")
            lines.append("{")
            lines.append(f"    plugingen::checkOutputDim({k}, {len(pattern.dims)} + i - {named}, "
                         f"{out}.d[{len(pattern.dims)} + i - {named}], in[{source}].dims.d[i], {text});")
            lines.append("}")
    return lines


def _input_checks(rule, slots: Sequence[int], text: str, done: set) -> List[str]:
    """Run-time checks of one rule's left side on concrete shapes: ranks, and equal sizes for a repeated name;
    each check once per launch (``done``: the checks earlier rules made, by what they check)."""
    lines = []
    for slot, inp in zip(slots, rule.inputs):
        if ("rank", slot, len(inp.dims), inp.rest) not in done:
            done.add(("rank", slot, len(inp.dims), inp.rest))
            lines.append(f"plugingen::checkRank(in[{slot}].dims.nbDims, {len(inp.dims)}, {_bool(inp.rest)}, "
                         f"{cpp_string(inp.name)}, {text});")
    first: Dict[str, str] = {}
    for slot, inp in zip(slots, rule.inputs):
        for pos, name in enumerate(inp.dims):
            here = f"in[{slot}].dims.d[{pos}]"
            if isinstance(name, int):
                check = ("dim", here, name)
                line = f"plugingen::checkDim({here}, {name}, {cpp_string(inp.name)}, {pos}, {text});"
            elif name in first:
                check = ("same", *sorted((first[name], here)))
                line = f"plugingen::checkSameDim({first[name]}, {here}, {cpp_string(name)}, {text});"
            else:
                first[name] = here
                continue
            if check not in done:
                done.add(check)
                lines.append(line)
    return lines


def _tensor_index(rule, tensor: str) -> int:
    return next(i for i, p in enumerate(rule.inputs) if p.name == tensor)


def launch_lines(plan: KernelPlan) -> List[str]:
    """Body of computeLaunch: check input shapes against every rule, compute DimSizeArgs and launch values, the
    tuning table's config, the heuristics (and from them and the tactic, the compiled variant), then the grid."""
    spec = plan.spec
    lines: List[str] = []
    done: set = set()
    for shape in spec.output_shapes:
        if shape.rule.outputs[0] is shape.pattern:  # one check per rule, at its first output
            lines.extend(_input_checks(shape.rule, shape.input_slots, _rule_ref(spec, shape.rule), done))
    values: Dict[str, str] = {}
    for value in spec.dim_size_values:
        rule = value.rule
        text = expr.render_rule(rule)
        lines.append(f"// {_where(value.loc)} '{text}'")
        lines.extend(_input_checks(rule, value.input_slots, _rule_ref(spec, rule), done))
        bindings = expr.dim_bindings(rule.inputs)

        def bind(name: str, _slots=value.input_slots, _b=bindings) -> str:
            index, pos = _b[name]
            return f"in[{_slots[index]}].dims.d[{pos}]"

        def numel(tensor: str, _slots=value.input_slots, _rule=rule) -> str:
            return f"static_cast<int64_t>(plugingen::volume(in[{_slots[_tensor_index(_rule, tensor)]}].dims))"

        local = f"v_{value.target}"
        lines.append(f"int64_t const {local} = {expr.emit_int64(rule.expr, bind, numel)};")
        if value.is_argument:
            lines.append(f"launch.{cpp_ident(value.target)} = plugingen::narrow<{value.dtype.cpp}>({local}, "
                         f"{cpp_string(value.target)});")
        values[value.target] = local
    scalar_lines, scalars = _scalar_operands(spec)
    lines += scalar_lines
    values.update(scalars)
    lines.extend(_tuning_lines(plan, values))
    lines.extend(_heuristic_lines(plan, values))
    if spec.uses_num_sms:
        lines.append("int64_t const v_num_sms = plugingen::smCount(); // the current device's")
        values[NUM_SMS] = "v_num_sms"
    for constraint in spec.constraints:
        names = sorted(expr.names(constraint.expr))
        shown = ", ".join(f"{{{cpp_string(n)}, {values[n]}}}" for n in names)
        lines.append(f"// constraint {_where(constraint.loc)}")
        lines.append(f"if ({expr.emit_int64(constraint.expr, values.__getitem__)} == 0)")
        lines.append("{")
        lines.append(f"    plugingen::failConstraint({cpp_string(constraint.text)}, {{{shown}}});")
        lines.append("}")
    grid = ", ".join(expr.emit_int64(axis, values.__getitem__) for axis in spec.grid)
    lines.append(f"// grid ({', '.join(expr.render(axis) for axis in spec.grid)})")
    lines.append(f"launch.empty = !plugingen::makeGrid({grid}, launch.grid);")
    return lines + _unplanned_lines(spec)


def _scalar_operands(spec: KernelSpec) -> Tuple[List[str], Dict[str, str]]:
    """The int64 C++ operand of every integer field, constexpr and meta-parameter (an integer in every tactic; read
    from a per-tactic table that the returned lines declare)."""
    lines: List[str] = []
    values: Dict[str, str] = {}
    for arg in spec.args:
        if arg.kind is ArgKind.PARAM and arg.is_int_scalar:
            values[arg.name] = f"static_cast<int64_t>(fields.{cpp_ident(arg.name)})"
        elif arg.is_int_constexpr:
            values[arg.name] = f"int64_t{{{int(arg.value)}}}"
        elif arg.kind is ArgKind.TUNED and arg.name in integer_meta(spec.tactics):
            table = ", ".join(str(int(dict(t.meta)[arg.name])) for t in spec.tactics)
            lines.append(f"static constexpr int64_t meta_{arg.name}[]{{{table}}}; // per tactic")
            values[arg.name] = f"meta_{arg.name}[tactic]"
    return lines, values


def workspace_lines(spec: KernelSpec) -> List[str]:
    """Body of workspaceBytes: every launch value, heuristic and grid axis as the range it takes over the build
    profile (interval arithmetic), then the scratch for the most programs."""
    lines, values = _range_values(spec)
    axes = ", ".join(expr.emit_range(axis, values.__getitem__) for axis in spec.grid)
    lines.append(f"return plugingen::scratchBytes({axes}, kScratchBytes, kScratchAlign);")
    return lines


def profile_lines(spec: KernelSpec) -> List[str]:
    """Body of profileViolation: the first constraint that holds for no shape of the build profile (its range is
    [0, 0]), or nullptr; a constraint whose range cannot be bounded is not decided here (enqueue checks it)."""
    if not spec.constraints:
        return ["return nullptr;"]
    lines, values = _range_values(spec)
    for constraint in spec.constraints:
        lines.append(f"if (plugingen::never([&] {{ return {expr.emit_range(constraint.expr, values.__getitem__)}; }}))")
        lines.append("{")
        lines.append(f"    return {cpp_string(constraint.text)};")
        lines.append("}")
    lines.append("return nullptr;")
    return lines


def _range_values(spec: KernelSpec) -> Tuple[List[str], Dict[str, str]]:
    """Declarations of the range of every launch value, scalar and heuristic over the build profile ``in``."""
    lines: List[str] = []
    values: Dict[str, str] = {}
    for value in spec.dim_size_values:
        rule = value.rule
        bindings = expr.dim_bindings(rule.inputs)

        def bind(name: str, _slots=value.input_slots, _b=bindings) -> str:
            index, pos = _b[name]
            return f"plugingen::dimRange(in[{_slots[index]}], {pos})"

        def numel(tensor: str, _slots=value.input_slots, _rule=rule) -> str:
            return f"plugingen::volumeRange(in[{_slots[_tensor_index(_rule, tensor)]}])"

        lines.append(f"plugingen::Range const r_{value.target} = {expr.emit_range(rule.expr, bind, numel)};")
        values[value.target] = f"r_{value.target}"
    scalar_lines, scalars = _scalar_operands(spec)
    lines += scalar_lines
    values.update({name: f"plugingen::Range::exactly({operand})" for name, operand in scalars.items()})
    for h in spec.heuristics:
        lines.append(f"plugingen::Range const r_{h.name} = {expr.emit_range(h.expr, values.__getitem__)};")
        values[h.name] = f"r_{h.name}"
    if spec.uses_num_sms:  # the engine may run on any GPU
        values[NUM_SMS] = "plugingen::Range{1, plugingen::kMaxSmCount}"
    return lines, values


def _tuning_lines(plan: KernelPlan, values: Dict[str, str]) -> List[str]:
    """With a tuning table: the config (tactic) of this launch, by the bucket of its key values on this device."""
    tuning = plan.tuning
    if tuning is None:
        return []
    rows = [f"{{{arch}, {tactic}, {', '.join(map(str, bucket))}}}" for arch, entries in tuning.tables
            for bucket, tactic in entries]
    key = ", ".join(values[name] for name in tuning.key)
    width = 2 + len(tuning.key)
    return [f"// tuning table: the config by the bucket of ({', '.join(tuning.key)}) on this device's SM",
            f"static constexpr int64_t tuned[][{width}]{{{', '.join(rows)}}}; // sm, config, bucket",
            f"int64_t const key[]{{{key}}};",
            f"tactic = plugingen::tunedTactic(&tuned[0][0], {len(rows)}, {len(tuning.key)}, key, "
            "plugingen::currentCc());"]


def _heuristic_lines(plan: KernelPlan, values: Dict[str, str]) -> List[str]:
    """Each heuristic's value, then the first compiled variant of (tactic, heuristic values) in launch.variant (-1
    when those values were not compiled: refused at enqueue unless the launch writes nothing)."""
    spec = plan.spec
    points = plan.points
    per_choice = len(spec.variants)
    if len(spec.tactics) == 1 and not spec.heuristics:
        return []
    lines = []
    radix = []
    for h in spec.heuristics:
        lines.append(f"// heuristic {_where(h.loc)}: {h.name} = {expr.render(h.expr)}")
        lines.append(f"int64_t const h_{h.name} = {expr.emit_int64(h.expr, values.__getitem__)};")
        values[h.name] = f"h_{h.name}"
        domain = ", ".join(str(int(v)) for v in h.domain)
        lines.append(f"static constexpr int64_t domain_{h.name}[]{{{domain}}};")
        radix.append((h, f"plugingen::valueIndex(h_{h.name}, domain_{h.name}, {len(h.domain)})"))
    combos = 1
    for h in spec.heuristics:
        combos *= len(h.domain)
    # first[tactic * combos + choice]: index of that point's first variant in the image table, -1 if not compiled
    index = {p: i for i, p in enumerate(points)}
    first = []
    for tactic in range(len(spec.tactics)):
        for combo in range(combos):
            digits, rest = [], combo
            for h in reversed(spec.heuristics):
                digits.append(h.domain[rest % len(h.domain)])
                rest //= len(h.domain)
            point = Point(tactic, tuple(reversed(digits)), spec.variants[0])
            first.append(index.get(point, -1))
    assert all(f == -1 or f % per_choice == 0 for f in first)
    lines.append(f"static constexpr int32_t firstVariant[]{{{', '.join(map(str, first))}}}; // [tactic][choice]")
    for h, position in radix:
        lines.append(f"int32_t const i_{h.name} = {position};")
    linear = "0"
    for h in spec.heuristics:
        linear = f"i_{h.name}" if linear == "0" else f"({linear}) * {len(h.domain)} + i_{h.name}"
    missing = " || ".join(f"i_{h.name} < 0" for h in spec.heuristics)
    first_of = f"firstVariant[tactic * {combos} + {linear}]"
    lines.append(f"launch.variant = {f'{missing} ? -1 : {first_of}' if missing else first_of};")
    return lines


def _unplanned_lines(spec: KernelSpec) -> List[str]:
    """After the grid: why a launch whose heuristic values or tactic have no image has none (enqueue refuses it
    unless it writes nothing)."""
    if len(spec.tactics) == 1 and not spec.heuristics:
        return []
    lines = ["if (launch.variant < 0)", "{", "    launch.unplanned.tactic = tactic;"]
    for h in spec.heuristics:
        lines.append(f"    plugingen::noteDomain(launch.unplanned, {cpp_string(h.name)}, h_{h.name}, domain_{h.name}, "
                     f"{len(h.domain)});")
    return lines + ["}"]


# ------------------------------------------------------------------------------------------- launching
def argument_lines(spec: KernelSpec, point: Point) -> List[str]:
    """The launch's local copy of every passed kernel argument, at its true width (pointers as uint64), except the
    ParamArgs typed by a type variable (``signature_lines``); ``point``: any compiled one."""
    lines = []
    in_place = {source: out for out, source in spec.aliases}
    for arg in spec.args:
        if arg.is_descriptor:  # the rank is the same at every point (check_blocks ran on each)
            rank = len(spec.block_shape(arg, point))
            side = "input" if arg.kind is ArgKind.INPUT else "output"
            lines.append(f"plugingen::TensorDescriptor arg_{arg.name} = plugingen::tensorDescriptor("
                         f"{cpp_string(arg.name)}, {side}s[{arg.slot}], {side}Desc[{arg.slot}], {rank});")
        elif arg.kind is ArgKind.INPUT and arg.slot in in_place:  # the kernel updates the output: the input or a copy
            lines.append(f"uint64_t arg_{arg.name} = reinterpret_cast<uintptr_t>(outputs[{in_place[arg.slot]}]);")
        elif arg.kind is ArgKind.INPUT:
            lines.append(f"uint64_t arg_{arg.name} = reinterpret_cast<uintptr_t>(inputs[{arg.slot}]);")
        elif arg.kind is ArgKind.OUTPUT and not arg.is_parameter:
            continue
        elif arg.kind is ArgKind.OUTPUT:
            lines.append(f"uint64_t arg_{arg.name} = reinterpret_cast<uintptr_t>(outputs[{arg.slot}]);")
        elif arg.kind is ArgKind.PARAM and not arg.type_var:
            lines.append(f"{arg.dtype.cpp} arg_{arg.name} = fields.{cpp_ident(arg.name)};")
        elif arg.kind is ArgKind.DIM_SIZE:
            lines.append(f"{arg.dtype.cpp} arg_{arg.name} = launch.{cpp_ident(arg.name)};")
    return lines


def signature_lines(spec: KernelSpec, signature: int) -> List[str]:
    """The local copy of each ParamArg typed by a type variable: its field (stored in ``field_dtype``) converted to
    the signature's type."""
    lines = []
    for arg in spec.fields:
        if not arg.type_var:
            continue
        stored, dtype, value = spec.field_dtype(arg), spec.dtype_of(arg, signature), f"fields.{cpp_ident(arg.name)}"
        if dtype is DType.FP16:
            value = f"plugingen::floatToHalf(static_cast<float>({value}))"
        elif dtype is DType.BF16:
            value = f"plugingen::floatToBf16(static_cast<float>({value}))"
        elif dtype is not stored and dtype.is_float:
            value = f"static_cast<{dtype.cpp}>({value})"
        elif dtype is not stored:
            value = f"plugingen::narrow<{dtype.cpp}>({value}, {cpp_string(arg.name)})"
        lines.append(f"{dtype.cpp} arg_{arg.name} = {value};")
    return lines


def variant_condition(spec: KernelSpec, variant: Variant) -> str:
    """C++ condition under which ``variant``'s hints hold for the arguments of one launch."""
    terms = [h.condition(f"arg_{a.name}") for a, h in spec.hinted(variant)]
    return " && ".join(f"({t})" for t in terms) if terms else "true"


def variant_params(images: Sequence[Image]) -> List[str]:
    """Addresses of the launch arguments of one hint variant of one signature (all its images), in the compiled
    entry's parameter order."""
    params = images[0].params
    for image in images[1:]:
        if image.params != params:
            raise BuildError(f"the sm_{image.arch} image of {image.entry} takes different parameters than the "
                             f"sm_{images[0].arch} image of {images[0].entry}: a tactic or heuristic value changes the "
                             "kernel's signature")
    scratch = any(i.scratch for i in images)

    def address(p) -> str:
        if not p.hidden:
            return f"&arg_{p.name}"
        return "&globalScratch" if p.name == "global_scratch" and scratch else "&noScratch"

    return [address(p) for p in params]


def _no_match(spec: KernelSpec) -> Tuple[str, List[str]]:
    """The failure message when no variant's hints hold (only for kernels without a generic variant)."""
    text = (f"no compiled variant of {spec.kernel_name} accepts these arguments (variants: "
            f"{' | '.join(spec.describe(v) for v in spec.variants)}; add a variant with '' hints for other "
            "inputs); got")
    hinted = [a for i, a in enumerate(spec.args) if any(v.hints[i] is not Hint.NONE for v in spec.variants)]
    values = [f'" {a.name}{" % 16" if a.is_tensor else ""} = " + std::to_string('
              f'arg_{a.name}{" % 16" if a.is_tensor else ""})' for a in hinted]
    return text, values


# ------------------------------------------------------------------------------------------- rendering
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_TEMPLATES)), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(cpp_string=cpp_string, cpp_ident=cpp_ident, pystr=repr)
    env.globals.update(cpp_string=cpp_string, tool_version=__version__)
    return env


def _literal_lines(data: bytes, per_line: int = 64) -> List[str]:
    return ['"' + _escape(data[i:i + per_line]) + '"' for i in range(0, len(data), per_line)]


def _images(kernel: CompiledKernel) -> List[Dict[str, object]]:
    """The image table's entries (point order, then arch; a cubin before its PTX), each naming the literal that
    holds its bytes: byte-identical images share one literal (``data``, with ``lines`` only on its first use)."""
    images = []
    literals: Dict[bytes, str] = {}
    for index, point in enumerate(kernel.plan.points):
        for image in kernel.images_of(point):
            common = dict(variant=index, arch=image.arch, entry=image.entry, shared=image.shared,
                          threads=image.num_warps * 32, scratch=image.scratch, target=image.target,
                          specific="true" if image.arch_specific else "false",
                          cluster=", ".join(map(str, image.cluster)), pdl="true" if image.pdl else "false",
                          cooperative="true" if image.cooperative else "false",
                          descriptors=_descriptor_layouts(kernel.spec, image),
                          descriptor_table=f"kDescriptors{len(images)}" if image.tensor_maps else "nullptr",
                          first=True)
            blobs = []
            if image.cubin:
                blobs.append(dict(common, kind="cubin", is_ptx="false", data=image.cubin))
            if image.ptx:  # the literal's terminating NUL ends the PTX text
                blobs.append(dict(common, kind="PTX", is_ptx="true", data=image.ptx.encode() + b"\0",
                                  first=not image.cubin))
            for blob in blobs:
                data = blob.pop("data")
                new = data not in literals
                name = literals.setdefault(data, f"kImage{len(literals)}")
                # a PTX literal holds the text; C++ adds the terminating NUL
                text = data[:-1] if blob["kind"] == "PTX" else data
                images.append(dict(blob, literal=name, size=len(data), lines=_literal_lines(text) if new else []))
    return images


def _descriptor_layouts(spec: KernelSpec, image: Image) -> List[str]:
    """The DescriptorLayout initialisers (image.h) of ``image``'s host tensor descriptors."""
    launched = [p.name for p in image.params if not p.hidden]
    layouts = []
    for arg, tensor_map in zip(spec.descriptors, image.tensor_maps):
        rank = len(spec.block_shape(arg, image.point))
        box = tensor_map.box if tensor_map else ()
        layouts.append(f"{launched.index(arg.name)}, {rank}, {_bool(tensor_map is not None)}, "
                       f"{tensor_map.elem_type if tensor_map else 0}, {tensor_map.swizzle if tensor_map else 0}, "
                       f"{{{', '.join(map(str, box)) or '0'}}}, {image.descriptor_flags}")
    return layouts


def _signature(spec: KernelSpec) -> str:
    args = ", ".join(f"{a.name}: {a.triton_type()}" for a in spec.parameters)
    return f"@triton.jit {spec.kernel_name}({args})"


def _plugin_source(env: jinja2.Environment, kernel: CompiledKernel, image_count: int, config_name: str) -> str:
    spec = kernel.spec
    stored = {a.name: spec.field_dtype(a) for a in spec.fields}
    field_table = [f"plugingen::FieldInfo{{{cpp_string(a.name)}, {stored[a.name].field.cpp}, plugingen::Scalar::"
                   f"{stored[a.name].scalar}, offsetof(Fields, {cpp_ident(a.name)})}}" for a in spec.fields]
    # one launch block per signature where ParamArgs change type with it (or the entry's parameters differ), else
    # one for all
    signatures = range(len(spec.signatures))
    params = {}
    for s in signatures:
        for v in spec.variants:  # a variant no launch selects (plan) has no image and no dispatch
            images = [im for im in kernel.images if im.point.signature == s and im.point.variant == v]
            if images:
                params[s, v] = variant_params(images)
    typed = any(a.type_var for a in spec.fields) or any(params[s, v] != params.get((0, v)) for s, v in params)
    blocks = [dict(signature=s if typed else None, description=spec.signatures[s].describe() if typed else "",
                   lines=signature_lines(spec, s) if typed else [],
                   variants=[dict(index=i, description=spec.describe(v), condition=variant_condition(spec, v),
                                  params=params[s, v], fallback=spec.has_generic and not spec.is_generic(v),
                                  generic=spec.is_generic(v))
                             for i, v in enumerate(spec.variants) if (s, v) in params])
              for s in (signatures if typed else [0])]
    no_match, no_match_values = _no_match(spec)
    zeroed = [str(a.slot) for a in spec.outputs if a.name in spec.reset_to_zero]
    points = kernel.plan.points
    aliased = dict(spec.aliases)  # output slot -> input slot
    return env.get_template("plugin.cpp.j2").render(
        spec=spec, config_name=config_name, signature=_signature(spec), kernel_loc=spec.kernel_file.name,
        field_members=[f"{stored[a.name].cpp} {cpp_ident(a.name)}{{}}; // {_comment(a)}" for a in spec.fields],
        launch_members=[f"{a.dtype.cpp} {cpp_ident(a.name)}{{}}; // {_comment(a)}" for a in spec.dim_sizes],
        point_descriptions=[spec.describe_point(p) for p in points], zeroed=zeroed,
        variant_tactics=[p.tactic for p in points],
        tactics=[t.describe() for t in spec.tactics], namespace=spec.function_name,
        signatures=[dict(types=[spec.dtype_of(a, s).trt.cpp for a in spec.tensors],
                         description=spec.signatures[s].describe()) for s in range(len(spec.signatures))],
        points_per_signature=kernel.plan.points_per_signature, tuned=kernel.plan.tuning is not None,
        aliased_inputs=[str(aliased.get(a.slot, -1)) for a in spec.outputs],
        field_table=field_table, scratch_bytes=kernel.scratch, scratch_align=kernel.scratch_align,
        image_count=image_count, blocks=blocks, shape_lines=shape_lines(spec), rules=rule_texts(spec),
        output_check_lines=output_check_lines(spec),
        launch_lines=launch_lines(kernel.plan), argument_lines=argument_lines(spec, points[0]), no_match=no_match,
        workspace_lines=workspace_lines(spec) if kernel.scratch else [], profile_lines=profile_lines(spec),
        no_match_values=no_match_values,
        ends_with_launch=all(b["variants"] and b["variants"][-1]["generic"] for b in blocks))


# ------------------------------------------------------------------------------------------- Python modules
def _python_field(spec: KernelSpec, arg: KernelArg) -> Dict[str, str]:
    """How the Python modules pass a ParamArg: its (stored) type, the numpy dtype and PluginFieldType it travels as,
    and the ONNX attribute type that carries it."""
    dtype = spec.field_dtype(arg)
    wire = dtype.wire
    return dict(name=arg.name, dtype=dtype.abbr, numpy=f"np.{wire.numpy}", field_type=wire.field.name,
                attribute=dtype.onnx_attribute)


def _python_tensor(arg: KernelArg) -> Dict[str, object]:
    """A tensor as the Python modules describe it (a type variable has no one ONNX element type)."""
    return dict(name=arg.name, dtype=arg.type_var or arg.dtype.abbr, onnx=None if arg.type_var else arg.dtype.onnx,
                alias=arg.alias)


def _python_kernel(spec: KernelSpec) -> Dict[str, object]:
    """Everything functional.py and onnx_plugins.py say about one kernel's plugin."""
    arguments = spec.fields + spec.inputs
    return dict(
        spec=spec, function=spec.function_name, loc=_where(spec.loc),
        fields=[_python_field(spec, a) for a in spec.fields], inputs=[_python_tensor(a) for a in spec.inputs],
        outputs=[_python_tensor(a) for a in spec.outputs],
        signatures=[{var: d.abbr for var, d in s.types} for s in spec.signatures if s.types],
        arguments=", ".join(a.name for a in arguments),
        arg_docs=[f"{a.name}: {a.kind.value} ({a.type_text})" for a in arguments] + (
            [f"(type variables: {_signature_doc(spec)})"] if len(spec.signatures) > 1 else []),
        returns=", ".join(f"{a.name} ({a.type_text})" for a in spec.outputs))


def _signature_doc(spec: KernelSpec) -> str:
    return " | ".join(s.describe() for s in spec.signatures)


def generate(compiled: CompiledConfig) -> GeneratedSources:
    """All sources of the plugin library for ``compiled`` (and nothing else: no machine facts)."""
    env = _environment()
    config_name = compiled.config.config_file.name
    files: Dict[str, str] = {}
    sources = ["plugins.cpp", RUNTIME_SOURCE]
    for kernel in compiled.kernels:
        name = kernel.spec.function_name  # one plugin's: a kernel may be several plugins
        images = _images(kernel)
        files[f"{name}_plugin.cpp"] = _plugin_source(env, kernel, len(images), config_name)
        files[f"{name}_images.cpp"] = env.get_template("images.cpp.j2").render(
            spec=kernel.spec, config_name=config_name, triton_version=compiled.triton_version, images=images)
        sources += [f"{name}_plugin.cpp", f"{name}_images.cpp"]
    specs = [k.spec for k in compiled.kernels]
    files["plugins.cpp"] = env.get_template("plugins.cpp.j2").render(specs=specs, config_name=config_name)
    files["exports.map"] = (_TEMPLATES / "exports.map").read_text()
    files["CMakeLists.txt"] = env.get_template("CMakeLists.txt.j2").render(config_name=config_name, sources=sources,
                                                                          runtime_source=RUNTIME_SOURCE)
    for path in sorted((_INCLUDE / "plugingen").iterdir()):  # the hand-written runtime: headers and runtime.cpp
        if path.suffix in (".h", ".cpp"):
            files[f"include/plugingen/{path.name}"] = path.read_text()
    kernels = [_python_kernel(s) for s in specs]
    dtypes = {d.abbr: d.onnx for d in DType}
    python = tuple((name, env.get_template(f"{name}.j2").render(kernels=kernels, config_name=config_name,
                                                                 onnx_elem_types=dtypes))
                   for name in ("functional.py", "onnx_plugins.py"))
    return GeneratedSources(files=tuple(sorted(files.items())), python=python)
