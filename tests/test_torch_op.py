"""plugingen.torch on the CPU: op schemas, the fake implementation against the plugin's own getOutputShapes and
getOutputDataTypes (through the C++ test host, on random shapes), symbolic shapes under torch.export, the
library's plugingenOp* entry points (create, prepare, enqueue: refusals carry the plugin's message, a valid call gets
as far as the absent CUDA driver, empty work succeeds), and examples/torch_model.py exported with torch.onnx (the
plugin nodes onnx_plugins.py makes, dynamic axes kept) and built into an engine by TensorRT-RTX.

Needs torch and onnxscript (``pip install -e '.[test,torch]'``); skipped without them."""
import ctypes
import importlib.util
import random

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxscript")

import plugingen.torch as pgt  # noqa: E402
from conftest import EXAMPLES, TEST_KERNELS, all_configs  # noqa: E402
from plugingen.config import load_config  # noqa: E402
from plugingen.host import PluginHost, build_host  # noqa: E402
from plugingen.model import DType  # noqa: E402
from plugingen.testing import PluginError  # noqa: E402
from test_plugin_host import TRT  # noqa: E402
from test_shape_property import fields_for, model_refuses_rules, random_shapes  # noqa: E402

FMHA = EXAMPLES / "fmha" / "kernel_config.py"
LAYERNORM = TEST_KERNELS / "layernorm_config.py"
INPLACE = TEST_KERNELS / "inplace_ops_config.py"
VECTOR_ADD = EXAMPLES / "vector_add" / "kernel_config.py"
CASES_PER_KERNEL = 40


def _torch_dtype(dtype: DType):
    return getattr(torch, dtype.torch)


# ---------------------------------------------------------------------------------------------- schemas
def test_schemas_take_inputs_then_keyword_only_fields(build_plugin):
    ops = pgt.describe(build_plugin(FMHA))
    assert ops["fused_attention_kernel"].schema() == \
        "(Tensor Q, Tensor K, Tensor V, *, float sm_scale, int num_heads) -> (Tensor, Tensor, Tensor)"
    ops = pgt.describe(build_plugin(INPLACE))
    assert ops["accumulate_kernel"].schema() == "(Tensor(a!) acc, Tensor x, *, float alpha) -> Tensor(a!)"
    assert ops["scale_kernel"].schema() == "(Tensor(a!) x, *, float alpha) -> Tensor(a!)"


def test_load_registers_every_plugin_once(build_plugin):
    output = build_plugin(LAYERNORM)
    library = pgt.load(output)
    assert pgt.load(output) is library  # the same folder again: the same registration
    op = torch.ops.plugingen.layernorm_kernel
    assert library.op("layernorm_kernel") is op
    assert str(op.default._schema) == ("plugingen::layernorm_kernel(Tensor x, Tensor w, Tensor bias, *, float eps, "
                                       "int rows_per_program) -> Tensor")
    x = torch.empty(2, 3, 64, dtype=torch.float16, device="meta")
    w = torch.empty(64, device="meta")
    y = op(x, w, w, eps=1e-5, rows_per_program=2)
    assert (y.shape, y.dtype) == (x.shape, torch.float16)
    with pytest.raises(TypeError, match="match no signature"):
        op(x.float(), w, w, eps=1e-5, rows_per_program=2)
    with pytest.raises(RuntimeError, match="dimension 'h' of rule .* differs between inputs: 64 vs 32"):
        op(x, w[:32], w, eps=1e-5, rows_per_program=2)


def test_load_refuses_a_folder_without_a_build(tmp_path):
    with pytest.raises(FileNotFoundError, match="pass a build's output folder"):
        pgt.load(tmp_path)


# ---------------------------------------------------------------------------------------------- fake vs plugin
@pytest.mark.parametrize("config", all_configs(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fake_agrees_with_the_plugins_output_shapes_and_types(build_plugin, tmp_path_factory, config):
    """Random shapes, consistent or not: where the rules accept them, the fake's output shapes and dtypes are the
    plugin's getOutputShapes and getOutputDataTypes (every signature); where they do not, the fake refuses."""
    rng = random.Random(f"torch-{config.stem}")
    output = build_plugin(config)
    ops = pgt.describe(output)
    with PluginHost(output / "libtriton_plugins.so", build_host(tmp_path_factory.mktemp("host"))) as host:
        for spec in load_config(config).kernels:
            op = ops[spec.function_name]
            checked = refused = 0
            for _ in range(CASES_PER_KERNEL):
                shapes = random_shapes(spec, rng)
                if model_refuses_rules(spec, shapes) is not None:
                    with pytest.raises((ValueError, RuntimeError)):
                        op.output_shapes(shapes)
                    refused += 1
                    continue
                plugin = host.create(spec.plugin_name, fields_for(spec, shapes, rng))
                assert [tuple(s) for s in op.output_shapes(shapes)] == plugin.output_shapes(shapes), spec.kernel_name
                for signature in range(len(spec.signatures)):
                    types = [spec.dtype_of(a, signature) for a in spec.inputs]
                    expected = plugin.output_types([TRT[t] for t in types])
                    got = op.output_dtypes([_torch_dtype(t) for t in types])
                    assert [TRT[pgt._TO_DTYPE[t]] for t in got] == expected
                checked += 1
            assert checked, f"{spec.kernel_name}: no consistent shapes generated"


def test_fake_checks_constraints_it_can_decide(build_plugin):
    op = pgt.describe(build_plugin(FMHA))["fused_attention_kernel"]
    shape = (2, 8, 100, 64)
    assert op.output_shapes([shape] * 3, {"sm_scale": 0.1, "num_heads": 8}) == [[2, 8, 100, 64], [2, 8, 100],
                                                                                  [2, 8, 100]]
    with pytest.raises(ValueError, match=r"constraint 'num_heads == heads' does not hold \(heads = 8, num_heads = 4\)"):
        op.output_shapes([shape] * 3, {"sm_scale": 0.1, "num_heads": 4})
    with pytest.raises(RuntimeError, match="dimension 3 of input 'Q' is 32 but rule .* needs 64"):
        op.output_shapes([(2, 8, 100, 32)] * 3)


def test_export_keeps_dynamic_dims_symbolic(build_plugin):
    pgt.load(build_plugin(FMHA))

    class Attention(torch.nn.Module):
        def forward(self, q, k, v):
            out, l, m = torch.ops.plugingen.fused_attention_kernel(q, k, v, sm_scale=0.125, num_heads=4)
            return out, l

    q = torch.randn(2, 4, 50, 64, dtype=torch.float16)
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("seq")
    dims = {0: batch, 2: seq}
    program = torch.export.export(Attention(), (q, q.clone(), q.clone()), dynamic_shapes=(dims, dims, dims))
    q_val = next(n.meta["val"] for n in program.graph.nodes if n.op == "placeholder")
    out, l = (node.meta["val"] for node in next(n for n in program.graph.nodes if n.op == "output").args[0])
    assert isinstance(q_val.shape[0], torch.SymInt) and isinstance(q_val.shape[2], torch.SymInt)
    assert str(out.shape[0]) == str(q_val.shape[0]) and str(l.shape[2]) == str(q_val.shape[2])
    assert out.shape[1] == 4 and out.shape[3] == 64 and out.dtype == torch.float16 and l.dtype == torch.float32


def test_in_place_ops_trace_as_their_functional_twin_and_export(build_plugin):
    """Traced, an in-place op is its functional twin (new tensors replace the inputs it updates), which exports to
    the plugin's node like any op: here in-place ops on an input of its own, on a function's result, and two outputs
    that update their inputs (accumulate: not the first argument's only use)."""
    import onnx

    library = pgt.load(build_plugin(INPLACE))
    assert str(torch.ops.plugingen.scale_kernel_functional.default._schema) == \
        "plugingen::scale_kernel_functional(Tensor x, *, float alpha) -> Tensor"

    class Updates(torch.nn.Module):
        def forward(self, x, acc, y, cache, new):
            z = torch.ops.plugingen.scale_kernel(x * 2, alpha=3.0)
            a = torch.ops.plugingen.accumulate_kernel(acc, y, alpha=0.5)
            torch.ops.plugingen.cache_write_kernel(cache, new, pos=3)
            return z + 1, a, cache

    half = torch.float16
    args = (torch.randn(16), torch.randn(16, dtype=half), torch.randn(16, dtype=half),
            torch.zeros(2, 16, 64, dtype=half), torch.randn(2, 64, dtype=half))
    graph = str(torch.export.export(Updates(), args).run_decompositions({}).graph)
    for name in ("scale_kernel", "accumulate_kernel", "cache_write_kernel"):
        assert f"plugingen.{name}_functional.default" in graph and f"plugingen.{name}.default" not in graph
    model = torch.onnx.export(Updates(), args, dynamo=True,
                              custom_translation_table=pgt.onnx_translation_table(library)).model_proto
    nodes = {n.op_type: n for n in model.graph.node if n.domain}
    assert sorted(nodes) == ["accumulate_kernelPlugin", "cache_write_kernelPlugin", "scale_kernelPlugin"]
    assert list(nodes["cache_write_kernelPlugin"].input) == ["cache", "new"]
    assert [(a.name, onnx.helper.get_attribute_value(a)) for a in nodes["cache_write_kernelPlugin"].attribute
            if a.name == "pos"] == [("pos", 3)]


# ---------------------------------------------------------------------------------------------- the entry points
class EntryPoints:
    """The library's plugingenOp* entry points, called as plugingen.torch calls them (tensors at fake addresses)."""

    def __init__(self, output):
        self.library = pgt.load(output)
        self.dll = self.library.dll

    def create(self, function, **fields):
        return self.library.ops[function]._plugin(fields)

    def prepare(self, function, plugin, inputs):
        return self.library.ops[function]._prepare(plugin, object(), inputs)

    def enqueue(self, plugin, prepared, nin):
        t = prepared.tensors
        pointers = (ctypes.c_void_p * t.count)(*[0x1000 * (i + 1) for i in range(t.count)])
        status = self.dll.plugingenOpEnqueue(plugin.handle, nin, t.count - nin, t.types, t.ranks, t.dims, pointers,
                                             ctypes.byref(pointers, 8 * nin), None, None)
        return status, self.dll.plugingenOpError().decode()


def test_entry_points_refuse_with_the_plugins_message(build_plugin):
    calls = EntryPoints(build_plugin(FMHA))
    with pytest.raises(PluginError, match="missing field 'num_heads'"):
        calls.library.ops["fused_attention_kernel"]._create((0.5,))
    plugin = calls.create("fused_attention_kernel", sm_scale=0.125, num_heads=4)
    q = torch.empty(2, 8, 100, 64, dtype=torch.float16)
    with pytest.raises(PluginError, match="configurePlugin: constraint 'num_heads == heads' holds for no shape"):
        calls.prepare("fused_attention_kernel", plugin, [q, q, q])
    q = torch.empty(2, 4, 100, 64, dtype=torch.float16)
    prepared = calls.prepare("fused_attention_kernel", plugin, [q, q, q])
    assert prepared.shapes == [[2, 4, 100, 64], [2, 4, 100], [2, 4, 100]] and prepared.workspace == 0
    status, error = calls.enqueue(plugin, prepared, 3)
    assert status == 1 and "libcuda.so.1" in error  # every check passed: the launch needs the (absent) driver


def test_entry_points_run_empty_work_without_the_driver(build_plugin):
    calls = EntryPoints(build_plugin(VECTOR_ADD))
    plugin = calls.create("vector_add_kernel")
    x = torch.empty(0, dtype=torch.float16)
    prepared = calls.prepare("vector_add_kernel", plugin, [x, x])
    assert calls.enqueue(plugin, prepared, 2) == (0, "")
    assert calls.create("vector_add_kernel") is plugin  # one plugin object per field values


def test_entry_points_refuse_inputs_of_no_signature(build_plugin):
    calls = EntryPoints(build_plugin(VECTOR_ADD))
    plugin = calls.create("vector_add_kernel")
    x = torch.empty(8, dtype=torch.float64)
    with pytest.raises(TypeError, match="match no signature"):
        calls.prepare("vector_add_kernel", plugin, [x, x])


# ---------------------------------------------------------------------------------------------- the example
def _example():
    spec = importlib.util.spec_from_file_location("torch_model", EXAMPLES / "torch_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def exported(build_plugin):
    example = _example()
    libraries = [pgt.load(build_plugin(FMHA)), pgt.load(build_plugin(LAYERNORM))]
    torch.manual_seed(0)
    return example, libraries, example.export(example.Block().eval(), libraries)


def test_the_example_exports_the_plugin_nodes(exported):
    """Each op call is exactly the node onnx_plugins.py makes (op type, domain, version, namespace, fields), with
    the plugin domain imported; the dynamic batch and sequence dims survive."""
    import onnx

    example, (fmha, norm), model = exported
    plugin_nodes = [n for n in model.graph.node if n.domain]
    assert [n.op_type for n in plugin_nodes] == ["fused_attention_kernelPlugin", "layernorm_kernelPlugin"]
    expected = [fmha.onnx_plugins().fused_attention_kernel_node(example.HEAD_DIM ** -0.5, example.HEADS,
                                                                inputs=["q", "k", "v"], outputs=["o", "l", "m"]),
                norm.onnx_plugins().layernorm_kernel_node(1e-5, 1, inputs=["x", "w", "b"], outputs=["y"])]
    for node, want in zip(plugin_nodes, expected):
        assert (node.op_type, node.domain) == (want.op_type, want.domain)
        attributes = sorted((a.name, a.type, onnx.helper.get_attribute_value(a)) for a in node.attribute)
        assert attributes == sorted((a.name, a.type, onnx.helper.get_attribute_value(a)) for a in want.attribute)
        assert (len(node.input), len(node.output)) == (len(want.input), len(want.output))
    assert ("trt.plugins", 1) in [(o.domain, o.version) for o in model.opset_import]
    (graph_input,), (graph_output,) = model.graph.input, model.graph.output
    for value in (graph_input, graph_output):
        dims = [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]
        assert dims == ["batch", "seq", example.HIDDEN] and value.type.tensor_type.elem_type == onnx.TensorProto.FLOAT16


def _tensorrt_rtx(example):
    """(TensorRT-RTX's module, its name) through the example's loader; skips when it or its parser link is absent."""
    from pathlib import Path

    from test_trt_rtx import PARSER_LINK
    try:
        import tensorrt_rtx_libs
    except ImportError as exc:
        pytest.skip(f"TensorRT-RTX is not importable ({exc}); install it with .ci/install_trt_rtx.sh")
    if not (Path(tensorrt_rtx_libs.__file__).parent / PARSER_LINK).exists():
        pytest.skip(f"no {PARSER_LINK} beside TensorRT-RTX's library (.ci/install_trt_rtx.sh makes it)")
    return example.onnx_engine._tensorrt()


def test_the_example_builds_a_tensorrt_rtx_engine(exported):
    example, libraries, model = exported
    trt, which = _tensorrt_rtx(example)
    engine, errors = example.build_engine(model, libraries, trt)
    assert engine and not errors, errors


def test_an_exported_in_place_op_builds_a_tensorrt_rtx_engine(build_plugin):
    """cache_write updates its input: exported through its functional twin, the node's output aliases the input in
    TensorRT (the aliased-I/O preview feature on)."""
    example = _example()
    trt, which = _tensorrt_rtx(example)
    library = pgt.load(build_plugin(INPLACE))

    class Write(torch.nn.Module):
        def forward(self, cache, new):
            torch.ops.plugingen.cache_write_kernel(cache, new, pos=3)
            return cache * 1

    args = (torch.zeros(2, 16, 64, dtype=torch.float16), torch.randn(2, 64, dtype=torch.float16))
    model = torch.onnx.export(Write(), args, dynamo=True,
                              custom_translation_table=pgt.onnx_translation_table(library)).model_proto
    engine, errors = example.onnx_engine.build_engine(trt, [library.output / "libtriton_plugins.so"],
                                                      model.SerializeToString(), {}, aliased_io=True)
    assert engine and not errors, errors
