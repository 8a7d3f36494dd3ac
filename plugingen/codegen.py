"""Stage 3: render the plugin sources (C++, CMake, functional.py) from the compiled kernels.

Templates only loop and insert; the C++ fragments that carry logic (shape rules, dim sizes, grid, variant
conditions, argument packing) are built by the small functions here. Output is deterministic.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import jinja2

from . import __version__, expr
from .aot import CompiledKernel, CompiledVariant
from .config import ConfigSpec, KernelSpec, Param, Variant
from .dsl import ArgKind, DType

_TEMPLATES = Path(__file__).parent / "templates"
_INCLUDE = Path(__file__).parent / "include"
_CPP_KEYWORDS = frozenset("""alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t
char32_t class compl concept const consteval constexpr constinit const_cast continue co_await co_return co_yield
decltype default delete do double dynamic_cast else enum explicit export extern false float for friend goto if inline
int long mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected public register
reinterpret_cast requires return short signed sizeof static static_assert static_cast struct switch template this
thread_local throw true try typedef typeid typename union unsigned using virtual void volatile wchar_t while xor
xor_eq""".split())

_TRT_TYPE = {DType.FP16: "kHALF", DType.BF16: "kBF16", DType.FP32: "kFLOAT", DType.INT8: "kINT8",
             DType.INT32: "kINT32", DType.INT64: "kINT64", DType.UINT8: "kUINT8", DType.BOOL: "kBOOL"}
_FIELD_TYPE = {DType.FP16: "kFLOAT16", DType.BF16: "kBF16", DType.FP32: "kFLOAT32", DType.FP64: "kFLOAT64",
               DType.INT8: "kINT8", DType.INT32: "kINT32", DType.INT64: "kINT64"}
_SCALAR = {DType.FP16: "kFP16", DType.BF16: "kBF16", DType.FP32: "kFP32", DType.FP64: "kFP64", DType.INT8: "kI8",
           DType.INT32: "kI32", DType.INT64: "kI64"}
# how functional.py passes a ParamArg: numpy dtype and PluginFieldType member (bf16 travels as fp32; the plugin rounds)
_PY_FIELD = {DType.FP16: ("np.float16", "FLOAT16"), DType.BF16: ("np.float32", "FLOAT32"),
             DType.FP32: ("np.float32", "FLOAT32"), DType.FP64: ("np.float64", "FLOAT64"),
             DType.INT8: ("np.int8", "INT8"), DType.INT32: ("np.int32", "INT32"), DType.INT64: ("np.int64", "INT64")}


@dataclasses.dataclass(frozen=True)
class GeneratedSources:
    """Files to write under the build's source folder (relative path -> text), and the Python modules that go
    into ``output/`` beside the library (functional.py, onnx_plugins.py)."""

    files: Tuple[Tuple[str, str], ...]
    python: Tuple[Tuple[str, str], ...]


def cpp_string(text: str) -> str:
    """A C++ string literal for ``text`` (the one place strings are escaped)."""
    out = []
    for ch in text:
        if ch in '\\"':
            out.append("\\" + ch)
        elif 32 <= ord(ch) < 127:
            out.append(ch)
        else:
            out.extend(f"\\{b:03o}" for b in ch.encode())
    return '"' + "".join(out) + '"'


def cpp_ident(name: str) -> str:
    """``name`` as a C++ member name (Python identifiers that are C++ keywords get a trailing underscore)."""
    return name + "_" if name in _CPP_KEYWORDS else name


def _comment(param: Param) -> str:
    loc = param.loc
    where = f"{os.path.basename(loc.file)}:{loc.line}" if loc.line else os.path.basename(loc.file)
    if param.kind is ArgKind.CONSTEXPR:
        return f"{where} Constexpr({param.value!r}) -> {param.name}"
    typ = f"tensor[{param.dtype.abbr}]" if param.is_tensor else param.dtype.abbr
    return f"{where} {param.kind.value}('{param.name}', {typ})"


# ------------------------------------------------------------------------------------------- shape rules
def shape_lines(spec: KernelSpec) -> List[str]:
    """Body of getOutputShapes: rank checks, then each output's dims as IDimensionExpr built from the rules."""
    lines: List[str] = []
    for shape in spec.output_shapes:
        rule, pattern = shape.rule, shape.pattern
        text = cpp_string(expr.render_rule(rule))
        lines.append(f"// {os.path.basename(shape.loc.file)}:{shape.loc.line} '{expr.render_rule(rule)}'")
        for slot, inp in zip(shape.input_slots, rule.inputs):
            lines.append(f"plugingen::checkRank(inputs[{slot}].nbDims, {len(inp.dims)}, {_bool(inp.rest)}, "
                         f"{cpp_string(inp.name)}, {text});")
        out = f"outputs[{shape.output}]"
        if pattern.whole:
            lines.append(f"{out} = inputs[{shape.input_slots[0]}];")
            continue
        bindings = expr.dim_bindings(rule.inputs)

        def bind(name: str, _slots=shape.input_slots, _b=bindings) -> str:
            index, pos = _b[name]
            return f"inputs[{_slots[index]}].d[{pos}]"

        count = str(len(pattern.dims))
        if pattern.rest:
            index = next(i for i, p in enumerate(rule.inputs) if p.rest)
            source, named = shape.input_slots[index], len(rule.inputs[index].dims)
            count = f"{len(pattern.dims)} + inputs[{source}].nbDims - {named}"
        lines.append(f"{out}.nbDims = {count};")
        lines.append(f"plugingen::check({out}.nbDims <= nvinfer1::Dims::MAX_DIMS, \"output "
                     f"'{pattern.name}' would have more than 8 dimensions\");")
        for i, dim in enumerate(pattern.dims):
            lines.append(f"{out}.d[{i}] = {expr.emit_dim_expr(dim, bind)};")
        if pattern.rest:
            lines.append(f"for (int32_t i = {named}; i < inputs[{source}].nbDims; ++i)")
            lines.append("{")
            lines.append(f"    {out}.d[{len(pattern.dims)} + i - {named}] = inputs[{source}].d[i];")
            lines.append("}")
    return lines


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _input_checks(rule, slots: Sequence[int], text: str) -> List[str]:
    """Run-time checks of one rule's left side on concrete shapes: ranks, and equal sizes for a repeated name."""
    lines = []
    for slot, inp in zip(slots, rule.inputs):
        lines.append(f"plugingen::checkRank(in[{slot}].dims.nbDims, {len(inp.dims)}, {_bool(inp.rest)}, "
                     f"{cpp_string(inp.name)}, {text});")
    first: Dict[str, str] = {}
    for slot, inp in zip(slots, rule.inputs):
        for pos, name in enumerate(inp.dims):
            here = f"in[{slot}].dims.d[{pos}]"
            if name in first:
                lines.append(f"plugingen::checkSameDim({first[name]}, {here}, {cpp_string(name)}, {text});")
            else:
                first[name] = here
    return lines


def launch_lines(spec: KernelSpec) -> List[str]:
    """Body of computeLaunch: check input shapes against every rule, compute DimSizeArgs, then the grid."""
    lines: List[str] = []
    for shape in spec.output_shapes:
        if shape.rule.outputs[0] is shape.pattern:  # one check per rule, at its first output
            lines.extend(_input_checks(shape.rule, shape.input_slots, cpp_string(expr.render_rule(shape.rule))))
    values: Dict[str, str] = {}
    for value in spec.dim_size_values:
        param = spec.dim_sizes[value.dim_size]
        rule = value.rule
        text = expr.render_rule(rule)
        lines.append(f"// {os.path.basename(value.loc.file)}:{value.loc.line} '{text}'")
        lines.extend(_input_checks(rule, value.input_slots, cpp_string(text)))
        bindings = expr.dim_bindings(rule.inputs)

        def bind(name: str, _slots=value.input_slots, _b=bindings) -> str:
            index, pos = _b[name]
            return f"in[{_slots[index]}].dims.d[{pos}]"

        local = f"v_{param.name}"
        lines.append(f"int64_t const {local} = {expr.emit_int64(rule.expr, bind)};")
        lines.append(f"launch.{cpp_ident(param.name)} = plugingen::narrow<{param.dtype.value.cpp}>({local}, "
                     f"{cpp_string(param.name)});")
        values[param.name] = local
    for param in spec.params:
        if param.kind is ArgKind.PARAM and param.is_int_scalar:
            values[param.name] = f"static_cast<int64_t>(fields.{cpp_ident(param.name)})"
        elif param.kind is ArgKind.CONSTEXPR and isinstance(param.value, int) and not isinstance(param.value, bool):
            values[param.name] = f"int64_t{{{param.value}}}"
    grid = ", ".join(expr.emit_int64(axis, values.__getitem__) for axis in spec.grid)
    lines.append(f"// grid ({', '.join(expr.render(axis) for axis in spec.grid)})")
    lines.append(f"launch.empty = !plugingen::makeGrid({grid}, launch.grid);")
    return lines


# ------------------------------------------------------------------------------------------- variants
def variant_condition(spec: KernelSpec, variant: Variant) -> str:
    """C++ condition under which ``variant``'s hints hold for the arguments of one launch."""
    terms = []
    for param, hint in zip(spec.params, variant.hints):
        if not hint:
            continue
        if param.is_tensor:
            terms.append(f"arg_{param.name} % 16 == 0")
        else:
            terms.append(f"arg_{param.name} {'% 16 == 0' if hint == '16' else '== 1'}")
    return " && ".join(f"({t})" for t in terms) if terms else "true"


def _describe(spec: KernelSpec, variant: Variant) -> str:
    hinted = [f"{p.name} {'% 16 == 0' if h == '16' else '== 1'}" for p, h in zip(spec.params, variant.hints) if h]
    return ", ".join(hinted) if hinted else "generic (no hints)"


def variant_params(images: Sequence[CompiledVariant]) -> List[str]:
    """Addresses of the launch arguments of one variant, in the compiled entry's parameter order."""
    params = images[0].params
    for image in images[1:]:
        if image.params != params:
            raise AssertionError(f"sm_{image.arch} image of {image.entry} takes different parameters")
    def address(p) -> str:
        if not p.hidden:
            return f"&arg_{p.name}"
        return "&globalScratch" if p.name == "global_scratch" and any(i.scratch for i in images) else "&noScratch"

    return [address(p) for p in params]


# ------------------------------------------------------------------------------------------- rendering
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_TEMPLATES)), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(
        trt_type=lambda p: f"DataType::{_TRT_TYPE[p.dtype]}",
        field_type=lambda p: f"PluginFieldType::{_FIELD_TYPE[p.dtype]}",
        scalar_enum=lambda p: _SCALAR[p.dtype],
        cpp_string=cpp_string,
        ident=cpp_ident,
        pystr=repr,
    )
    env.globals.update(cpp_string=cpp_string, comment=_comment, tool_version=__version__)
    return env


def _hex_lines(data: bytes, per_line: int = 24) -> List[str]:
    return [", ".join(f"0x{b:02x}" for b in data[i:i + per_line]) + "," for i in range(0, len(data), per_line)]


def _images(kernel: CompiledKernel) -> List[Dict[str, object]]:
    images = []
    for index, variant in enumerate(kernel.spec.variants):
        for image in kernel.for_variant(variant):
            common = dict(variant=index, arch=image.arch, entry=image.entry, shared=image.shared,
                          threads=image.num_warps * 32, scratch=image.scratch)
            images.append(dict(common, kind="cubin", is_ptx="false", size=len(image.cubin),
                               hex_lines=_hex_lines(image.cubin)))
            if image.ptx:
                ptx = image.ptx.encode() + b"\0"
                images.append(dict(common, kind="PTX", is_ptx="true", size=len(ptx), hex_lines=_hex_lines(ptx)))
    return images


def _signature(spec: KernelSpec) -> str:
    args = ", ".join(f"{p.name}: {p.triton_type()}" for p in spec.params)
    return f"@triton.jit {spec.kernel_name}({args})"


def _functional_entry(spec: KernelSpec) -> Dict[str, object]:
    args = spec.fields + spec.inputs
    fields = [f"({p.name!r}, {p.name}, {_PY_FIELD[p.dtype][0]}, {_PY_FIELD[p.dtype][1]!r})" for p in spec.fields]
    docs = [f"{p.name}: {p.kind.value} ({f'tensor[{p.dtype.abbr}]' if p.is_tensor else p.dtype.abbr})" for p in args]
    returns = ", ".join(f"{p.name} (tensor[{p.dtype.abbr}])" for p in spec.outputs)
    loc = f"{os.path.basename(spec.loc.file)}:{spec.loc.line}"
    return dict(spec=spec, arguments=", ".join(p.name for p in args), arg_docs=docs, fields=fields, returns=returns,
                loc=loc)


def generate(config: ConfigSpec, compiled: Sequence[CompiledKernel], trt_include_dirs: Sequence[str] = (),
             use_trt_sdk: bool = False) -> GeneratedSources:
    """All sources of the plugin library for ``config``."""
    import triton

    env = _environment()
    config_name = config.config_file.name
    files: Dict[str, str] = {}
    sources = ["plugins.cpp"]
    for kernel in compiled:
        spec = kernel.spec
        variants = []
        for index, variant in enumerate(spec.variants):
            variants.append(dict(index=index, description=_describe(spec, variant),
                                 condition=variant_condition(spec, variant),
                                 params=variant_params(kernel.for_variant(variant))))
        hinted = [p for i, p in enumerate(spec.params) if any(v.hints[i] for v in spec.variants)]
        no_match = (f"no compiled variant of {spec.kernel_name} accepts these arguments (variants: "
                    f"{' | '.join(_describe(spec, v) for v in spec.variants)}; add a variant with '' hints for other "
                    "inputs); got")
        no_match_values = [f'" {p.name}{" % 16" if p.is_tensor else ""} = " + std::to_string('
                           f'arg_{p.name}{" % 16" if p.is_tensor else ""})' for p in hinted]
        context = dict(spec=spec, config_name=config_name, signature=_signature(spec),
                       kernel_loc=f"{spec.kernel_file.name}", launch_lines=launch_lines(spec),
                       shape_lines=shape_lines(spec), variants=variants,
                       has_generic=any(v.rank == 0 for v in spec.variants), no_match=no_match,
                       no_match_values=no_match_values,
                       scratch_bytes=max(c.scratch for c in kernel.variants),
                       scratch_align=max(c.scratch_align for c in kernel.variants))
        files[f"{spec.kernel_name}_plugin.cpp"] = env.get_template("plugin.cpp.j2").render(context)
        files[f"{spec.kernel_name}_images.cpp"] = env.get_template("images.cpp.j2").render(
            spec=spec, config_name=config_name, triton_version=triton.__version__, images=_images(kernel))
        sources += [f"{spec.kernel_name}_plugin.cpp", f"{spec.kernel_name}_images.cpp"]
    specs = [k.spec for k in compiled]
    files["plugins.cpp"] = env.get_template("plugins.cpp.j2").render(specs=specs, config_name=config_name)
    files["exports.map"] = (_TEMPLATES / "exports.map").read_text()
    files["CMakeLists.txt"] = env.get_template("CMakeLists.txt.j2").render(
        config_name=config_name, sources=sources, trt_include_dirs=list(trt_include_dirs), use_trt_sdk=use_trt_sdk)
    for header in sorted((_INCLUDE / "plugingen").glob("*.h")):
        files[f"include/plugingen/{header.name}"] = header.read_text()
    functions = [_functional_entry(s) for s in specs]
    python = tuple((name, env.get_template(f"{name}.j2").render(specs=specs, config_name=config_name,
                                                                 functions=functions))
                   for name in ("functional.py", "onnx_plugins.py"))
    return GeneratedSources(files=tuple(sorted(files.items())), python=python)
