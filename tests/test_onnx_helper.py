"""The generated ``onnx_plugins.py``: nodes, attributes, range checks and checked one-node models (CPU only).

Every shipped config is built once (``build_plugin``); the expectations come from the build's ``manifest.json``
and from the hand-written ``CASES`` below, not from the generated module itself. ``CASES`` is shared with
``test_trt_rtx.py``, which feeds the same models to TensorRT-RTX's ONNX parser.
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, NamedTuple, Union

import pytest

from conftest import all_configs

Dim = Union[int, str]


class Case(NamedTuple):
    """Representative field values, input shapes (str = dynamic dim) and the output shapes the config implies."""

    params: Dict[str, Union[int, float]]
    inputs: Dict[str, List[Dim]]
    outputs: Dict[str, List[Dim]]


_NCHW = ["b", 4, "s", 64]
#: every plugin of every shipped config, by plugin name (a new config needs its plugins here). Float values are exact
#: in fp32.
CASES = {
    "vector_add_kernelPlugin": Case({}, {"x": ["n"], "y": ["n"]}, {"out": ["n"]}),
    "fused_attention_kernelPlugin": Case({"sm_scale": 0.125, "num_heads": 4}, {"Q": _NCHW, "K": _NCHW, "V": _NCHW},
                                   {"Out": _NCHW, "L": ["b", 4, "s"], "M": ["b", 4, "s"]}),
    "aligned_copy_kernelPlugin": Case({}, {"x": ["n"]}, {"out": ["n"]}),
    "fill_index_kernelPlugin": Case({"offset": 7}, {"x": ["n"]}, {"out": ["n"]}),
    "gelu_bf16_kernelPlugin": Case({}, {"x": ["r", "c"]}, {"y": ["r", "c"]}),
    "layernorm_kernelPlugin": Case({"eps": 2.0 ** -10, "rows_per_program": 4}, {"x": ["b", "s", 256], "w": [256],
                                                                          "bias": [256]}, {"y": ["b", "s", 256]}),
    "row_softmax_kernelPlugin": Case({}, {"x": ["r", "c"]}, {"y": ["r", "c"], "rowmax": ["r"]}),
    "scale_shift_kernelPlugin": Case({"alpha": 2.0, "beta": -1.5}, {"x": ["n"]}, {"out": ["n"]}),
    "add_kernelPlugin": Case({}, {"x": ["n"], "y": ["n"]}, {"out": ["n"]}),
    "mul_kernelPlugin": Case({}, {"x": ["n"], "y": ["n"]}, {"out": ["n"]}),
    "strided_gather_kernelPlugin": Case({"stride": 3}, {"x": ["n"]}, {"out": ["n"]}),
    "tma_scale_kernelPlugin": Case({"alpha": 2.5}, {"x": ["r", 64]}, {"out": ["r", 64]}),
    "_matmul_kernelPlugin": Case({}, {"a": ["m", 64], "b": [64, "n"]}, {"c": ["m", "n"]}),
    "_accumulate_kernelPlugin": Case({"alpha": 2.0}, {"x": ["b", "s", 5]}, {"out": ["b", "s", 5]}),
    "_rms_norm_kernelPlugin": Case({"eps": 2.0 ** -10}, {"X": ["r", "c"], "W": ["c"]}, {"Y": ["r", "c"]}),
    "rms_norm_rows_kernelPlugin": Case({"eps": 2.0 ** -10}, {"X_ptr": ["r", "c"], "W_ptr": ["c"]},
                                 {"Y_ptr": ["r", "c"], "RSTD_ptr": ["r"]}),
    "axpby_kernelPlugin": Case({"alpha": 2.0, "beta": -0.5}, {"x": ["n"], "y": ["n"]}, {"out": ["n"]}),
    "row_rms_kernelPlugin": Case({"eps": 2.0 ** -10}, {"x": ["r", "c"]}, {"y": ["r", "c"], "rms": ["r"]}),
    "accumulate_kernelPlugin": Case({"alpha": 0.5}, {"acc": ["n"], "x": ["n"]}, {"acc_out": ["n"]}),
    "cache_write_kernelPlugin": Case({"pos": 3}, {"cache": ["b", "s", 64], "new": ["b", 64]},
                                     {"cache_out": ["b", "s", 64]}),
    "scale_kernelPlugin": Case({"alpha": 3.0}, {"x": ["b", 7]}, {"x_out": ["b", 7]}),
    "fp8_quantize_kernelPlugin": Case({"scale": 4.0}, {"x": ["n"]}, {"q": ["n"]}),
    "fp8_dequantize_kernelPlugin": Case({"scale": 4.0}, {"q": ["r", "c"]}, {"y": ["r", "c"]}),
    "cluster_scale_kernelPlugin": Case({}, {"x": ["n"]}, {"out": ["n"]}),
    "cooperative_count_kernelPlugin": Case({}, {"x": ["n"], "arrived": [1]}, {"out": ["n"]}),
    "pdl_increment_kernelPlugin": Case({}, {"x": ["n"]}, {"out": ["n"]}),
    "desc_scale_kernelPlugin": Case({"alpha": 1.5}, {"x_desc": ["b", "s", "c"]}, {"y_desc": ["b", "s", "c"]}),
    "desc_add_kernelPlugin": Case({}, {"a_desc": ["m", "c"], "b_desc": ["m", "c"]}, {"c_desc": ["m", "c"]}),
    "persistent_scale_kernelPlugin": Case({}, {"x": ["n"]}, {"out": ["n"], "programs": [1]}),
    # optional inputs and two plugins of one kernel (fused_rms_norm_config.py, swiglu_config.py), a package kernel
    "rms_norm": Case({"eps": 2.0 ** -10}, {"X": ["r", "c"], "W": ["c"]}, {"Y": ["r", "c"], "Rstd": ["r"]}),
    "add_rms_norm": Case({"eps": 2.0 ** -10}, {"X": ["r", "c"], "W": ["c"], "B": ["c"], "RESIDUAL": ["r", "c"]},
                         {"Y": ["r", "c"], "RESIDUAL_OUT": ["r", "c"], "Rstd": ["r"]}),
    "swiglu_1000": Case({}, {"a_ptr": ["r", 1000], "b_ptr": ["r", 1000]}, {"c_ptr": ["r", 1000]}),
    "swiglu_4096": Case({}, {"a_ptr": ["r", 4096], "b_ptr": ["r", 4096]}, {"c_ptr": ["r", 4096]}),
    "act_func_forward_kernelPlugin": Case({}, {"input_pointer": ["b", 64]}, {"output_pointer": ["b", 64]}),
}
#: a concrete size for every dynamic dim name used in CASES.
DIMS = {"n": 1000, "b": 2, "s": 128, "r": 5, "c": 96, "m": 77}

#: plugingen dtype -> name of the onnx.TensorProto element type.
ELEM_TYPE_NAMES = {"fp16": "FLOAT16", "bf16": "BFLOAT16", "fp32": "FLOAT", "fp64": "DOUBLE", "i8": "INT8",
                   "i32": "INT32", "i64": "INT64", "u8": "UINT8", "i1": "BOOL", "fp8e4m3": "FLOAT8E4M3FN",
                   "fp8e5m2": "FLOAT8E5M2"}
INT32_MIN, INT32_MAX = -2 ** 31, 2 ** 31 - 1

CONFIG_IDS = [f"{c.parent.name}/{c.name}" for c in all_configs()]


def concrete(shape: List[Dim]) -> List[int]:
    return [DIMS[d] if isinstance(d, str) else d for d in shape]


def manifest(output_dir: Path) -> dict:
    return json.loads((output_dir / "manifest.json").read_text())


def signatures(kernel: dict) -> list:
    """The manifest's signatures of a kernel ([None]: one, without type variables)."""
    return kernel["signatures"] or [None]


def typed(tensors: list, signature) -> list:
    """The manifest's tensors with each type variable replaced by its dtype in ``signature``."""
    return [dict(t, dtype=(signature or {}).get(t["dtype"], t["dtype"])) for t in tensors]


def case_for(plugin: str) -> Case:
    assert plugin in CASES, f"no test case for plugin {plugin!r}: add it to CASES in tests/test_onnx_helper.py"
    return CASES[plugin]


_modules: Dict[Path, object] = {}


def load_onnx_plugins(output_dir: Path):
    """The generated onnx_plugins.py of one build, imported from its path (once per build)."""
    path = output_dir / "onnx_plugins.py"
    if path not in _modules:
        spec = importlib.util.spec_from_file_location(f"onnx_plugins_{len(_modules)}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _modules[path] = module
    return _modules[path]


@pytest.fixture(params=all_configs(), ids=CONFIG_IDS)
def built(request, build_plugin):
    """(output dir, manifest, onnx_plugins module) of one shipped config."""
    out = build_plugin(request.param)
    return out, manifest(out), load_onnx_plugins(out)


@pytest.fixture(scope="module")
def onnx():
    return pytest.importorskip("onnx")


def attributes(node, onnx) -> list:
    """(name, type name, value) of each attribute, in order."""
    kinds = onnx.AttributeProto
    values = {kinds.FLOAT: lambda a: a.f, kinds.INT: lambda a: a.i, kinds.STRING: lambda a: a.s}
    return [(a.name, kinds.AttributeType.Name(a.type), values[a.type](a)) for a in node.attribute]


# ---------------------------------------------------------------------------------------------- the module
def test_plugins_constant_matches_manifest(built, onnx):
    _, info, module = built
    assert list(module.PLUGINS) == [k["function"] for k in info["kernels"]]  # one entry per plugin
    for kernel in info["kernels"]:
        plugin = module.PLUGINS[kernel["function"]]
        assert (plugin.kernel, plugin.plugin_name, plugin.plugin_version, plugin.plugin_namespace) == (
            kernel["kernel"], kernel["plugin"], kernel["version"], kernel["namespace"])
        assert [tuple(f) for f in plugin.fields] == [
            (f["name"], f["dtype"], "FLOAT" if f["dtype"] in ("fp16", "bf16", "fp32", "fp64") else "INT")
            for f in kernel["fields"]]
        for mine, theirs in ((plugin.inputs, kernel["inputs"]), (plugin.outputs, kernel["outputs"])):
            assert [tuple(t) for t in mine] == [
                (t["name"], t["dtype"], getattr(onnx.TensorProto, ELEM_TYPE_NAMES[t["dtype"]], None) if t["dtype"]
                 in ELEM_TYPE_NAMES else None, t.get("alias")) for t in theirs]
        assert list(plugin.signatures) == kernel["signatures"]
    assert module.LIBRARY_PATH == (built[0] / "libtriton_plugins.so").resolve()
    assert {abbr: getattr(onnx.TensorProto, name) for abbr, name in ELEM_TYPE_NAMES.items()} == \
        module.ONNX_ELEM_TYPE


def test_import_does_not_need_onnx(build_plugin):
    out = build_plugin(all_configs()[0])
    code = ("import importlib.util, sys; sys.modules['onnx'] = None\n"
            f"spec = importlib.util.spec_from_file_location('m', {str(out / 'onnx_plugins.py')!r})\n"
            "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
            "kernel = next(iter(m.PLUGINS))\n"
            "try:\n"
            "    m.make_model(kernel, {}, {})\n"
            "except ImportError as exc:\n"
            "    print('ImportError:', exc)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "ImportError: building ONNX nodes needs the 'onnx' package (pip install onnx)" in done.stdout


# ---------------------------------------------------------------------------------------------- nodes
def test_node_attributes_exact(built, onnx):
    _, info, module = built
    for kernel in info["kernels"]:
        case = case_for(kernel["plugin"])
        make = getattr(module, kernel["function"] + "_node")
        inputs = [f"in_{t['name']}" for t in kernel["inputs"]]
        outputs = [f"out_{t['name']}" for t in kernel["outputs"]]
        node = make(*(case.params[f["name"]] for f in kernel["fields"]), inputs=inputs, outputs=outputs,
                    name="node0")
        assert isinstance(node, onnx.NodeProto)
        assert (node.op_type, node.domain, node.name) == (kernel["plugin"], module.DOMAIN, "node0")
        assert (list(node.input), list(node.output)) == (inputs, outputs)
        expected = [("plugin_version", "STRING", kernel["version"].encode()),
                    ("plugin_namespace", "STRING", kernel["namespace"].encode())]
        for f in kernel["fields"]:
            is_float = f["dtype"] in ("fp16", "bf16", "fp32", "fp64")
            expected.append((f["name"], "FLOAT" if is_float else "INT", case.params[f["name"]]))
        assert attributes(node, onnx) == expected
        assert module.make_node(kernel["function"], case.params, inputs, outputs, name="node0") == node


def test_node_without_name_has_none(built, onnx):
    _, info, module = built
    kernel = info["kernels"][0]
    case = case_for(kernel["plugin"])
    node = module.make_node(kernel["function"], case.params, [t["name"] for t in kernel["inputs"]],
                            [t["name"] for t in kernel["outputs"]])
    assert node.name == ""


def test_float_field_given_an_int_is_a_float_attribute(onnx, build_plugin):
    module = load_onnx_plugins(build_plugin(_config("kernels/scale_shift_config.py")))
    node = module.scale_shift_kernel_node(3, -2, inputs=["x"], outputs=["out"])
    assert attributes(node, onnx)[2:] == [("alpha", "FLOAT", 3.0), ("beta", "FLOAT", -2.0)]


def _config(config_id: str) -> Path:
    """A shipped config by its test id, e.g. 'fmha/kernel_config.py'."""
    return dict(zip(CONFIG_IDS, all_configs()))[config_id]


def _int_fields(info: dict):
    return [(k, f) for k in info["kernels"] for f in k["fields"] if f["dtype"] in ("i8", "i32", "i64")]


def test_int_fields_outside_int32_raise(built, onnx):
    _, info, module = built
    for kernel, field in _int_fields(info):
        params = dict(case_for(kernel["plugin"]).params)
        io = ([t["name"] for t in kernel["inputs"]], [t["name"] for t in kernel["outputs"]])
        for ok in (INT32_MIN, INT32_MAX, 0):
            node = module.make_node(kernel["function"], dict(params, **{field["name"]: ok}), *io)
            assert dict((a[0], a[2]) for a in attributes(node, onnx))[field["name"]] == ok
        for bad in (INT32_MAX + 1, INT32_MIN - 1, 2 ** 40):
            with pytest.raises(ValueError) as excinfo:
                module.make_node(kernel["function"], dict(params, **{field["name"]: bad}), *io)
            assert str(excinfo.value) == (
                f"{kernel['kernel']}: field '{field['name']}' ({field['dtype']}) = {bad} is outside "
                f"[{INT32_MIN}, {INT32_MAX}]: TensorRT's ONNX parser narrows INT attributes to int32")


def test_i64_field_through_its_node_function(onnx, build_plugin):
    module = load_onnx_plugins(build_plugin(_config("kernels/fill_index_config.py")))
    node = module.fill_index_kernel_node(INT32_MAX, ["x"], ["out"])
    assert attributes(node, onnx)[2] == ("offset", "INT", INT32_MAX)
    with pytest.raises(ValueError, match=r"offset' \(i64\) = 4294967296 is outside .*narrows INT attributes to int32"):
        module.fill_index_kernel_node(2 ** 32, ["x"], ["out"])
    np = pytest.importorskip("numpy")
    assert attributes(module.fill_index_kernel_node(np.int64(-5), ["x"], ["out"]), onnx)[2] == ("offset", "INT", -5)


def test_bad_values_and_tensor_lists(onnx, build_plugin):
    module = load_onnx_plugins(build_plugin(_config("kernels/layernorm_config.py")))
    node = module.layernorm_kernel_node
    io = dict(inputs=["x", "w", "bias"], outputs=["y"])
    with pytest.raises(TypeError, match=r"layernorm_kernel: field 'rows_per_program' \(i32\) needs an integer, "
                                        r"got 2.5"):
        node(0.5, 2.5, **io)
    with pytest.raises(TypeError, match=r"field 'eps' \(fp32\) needs a number, got True"):
        node(True, 2, **io)
    with pytest.raises(TypeError, match=r"field 'eps' \(fp32\) needs a number, got '0.5'"):
        node("0.5", 2, **io)
    with pytest.raises(ValueError, match=r"field 'eps' \(fp32\) = 1e\+39 does not fit"):
        node(1e39, 2, **io)
    assert attributes(node(float("inf"), 2, **io), onnx)[2] == ("eps", "FLOAT", float("inf"))
    with pytest.raises(ValueError, match=r"layernorm_kernel: expected 3 inputs \(x, w, bias\), got 2: \['x', 'w'\]"):
        node(0.5, 2, inputs=["x", "w"], outputs=["y"])
    with pytest.raises(ValueError, match=r"expected 1 outputs \(y\), got 2"):
        node(0.5, 2, inputs=["x", "w", "bias"], outputs=["y", "z"])
    with pytest.raises(TypeError, match="inputs must be a sequence of tensor names"):
        node(0.5, 2, inputs="xwb", outputs=["y"])
    with pytest.raises(ValueError, match=r"params must name exactly eps, rows_per_program \(missing rows_per_program; "
                                         r"unknown rows\)"):
        module.make_node("layernorm_kernel", {"eps": 0.5, "rows": 2}, ["x", "w", "bias"], ["y"])
    with pytest.raises(ValueError, match=r"unknown plugin 'nope' \(this library has: layernorm_kernel\)"):
        module.make_node("nope", {}, [], [])


# ---------------------------------------------------------------------------------------------- models
def _dims(value_info) -> list:
    return [d.dim_param if d.HasField("dim_param") else d.dim_value if d.HasField("dim_value") else None
            for d in value_info.type.tensor_type.shape.dim]


def test_make_model_is_checked_for_every_config(built, onnx):
    _, info, module = built
    for kernel, signature in [(k, s) for k in info["kernels"] for s in signatures(k)]:
        case = case_for(kernel["plugin"])
        inputs, outputs = typed(kernel["inputs"], signature), typed(kernel["outputs"], signature)
        for shapes, expected in ((case.inputs, case.outputs),
                                 ({k: concrete(v) for k, v in case.inputs.items()},
                                  {k: concrete(v) for k, v in case.outputs.items()})):
            model = module.make_model(kernel["function"], case.params, shapes, signature=signature)
            onnx.checker.check_model(model, full_check=True)
            model = onnx.load_from_string(model.SerializeToString())
            graph = model.graph
            assert [n.op_type for n in graph.node] == [kernel["plugin"]]
            assert {(o.domain, o.version) for o in model.opset_import} == {("", 17), (module.DOMAIN, 1)}
            assert [(v.name, v.type.tensor_type.elem_type, _dims(v)) for v in graph.input] == [
                (t["name"], getattr(onnx.TensorProto, ELEM_TYPE_NAMES[t["dtype"]]), shapes[t["name"]])
                for t in inputs]
            assert [(v.name, v.type.tensor_type.elem_type, _dims(v)) for v in graph.output] == [
                (t["name"], getattr(onnx.TensorProto, ELEM_TYPE_NAMES[t["dtype"]]), expected[t["name"]])
                for t in outputs]
            assert list(graph.node[0].input) == [t["name"] for t in kernel["inputs"]]
            assert list(graph.node[0].output) == [t["name"] for t in kernel["outputs"]]


def test_make_model_options_and_errors(onnx, build_plugin):
    module = load_onnx_plugins(build_plugin(_config("fmha/kernel_config.py")))
    case = CASES["fused_attention_kernelPlugin"]
    model = module.make_model("fused_attention_kernel", case.params, case.inputs, opset=13,
                              output_shapes={"L": [None, None, None]})
    assert ("", 13) in {(o.domain, o.version) for o in model.opset_import}
    assert [_dims(v) for v in model.graph.output] == [_NCHW, [None, None, None], ["b", 4, "s"]]
    with pytest.raises(ValueError, match=r"input 'Q' has rank 2, but the shape rule of output 'Out' needs rank 4"):
        module.make_model("fused_attention_kernel", case.params, {"Q": [1, 2], "K": [1, 2], "V": [1, 2]})
    with pytest.raises(ValueError, match=r"dimension 3 of input 'K' is 32, but the shape rule of output 'Out' needs "
                                         r"64"):
        module.make_model("fused_attention_kernel", case.params, {"Q": _NCHW, "K": ["b", 4, "s", 32], "V": _NCHW})
    with pytest.raises(ValueError, match=r"input_shapes must name exactly Q, K, V \(missing V\)"):
        module.make_model("fused_attention_kernel", case.params, {"Q": _NCHW, "K": _NCHW})
    with pytest.raises(ValueError, match=r"output_shapes names unknown outputs \['X'\]"):
        module.make_model("fused_attention_kernel", case.params, case.inputs, output_shapes={"X": [1]})
    with pytest.raises(ValueError, match=r"params must name exactly sm_scale, num_heads \(missing num_heads\)"):
        module.make_model("fused_attention_kernel", {"sm_scale": 1.0}, case.inputs)


def test_infer_output_shapes_rank_rules(build_plugin):
    module = load_onnx_plugins(build_plugin(_config("kernels/row_softmax_config.py")))
    assert module.infer_output_shapes("row_softmax_kernel", {"x": ["r", 7]}) == {"y": ["r", 7], "rowmax": ["r"]}
    with pytest.raises(ValueError, match="input 'x' has rank 3, but the shape rule of output 'y' needs rank 2"):
        module.infer_output_shapes("row_softmax_kernel", {"x": [1, 2, 3]})
