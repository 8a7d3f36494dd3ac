"""The plugin library inside NVIDIA's TensorRT-RTX 1.7 (pip wheels; install with .ci/install_trt_rtx.sh).

CPU (no GPU needed; TensorRT-RTX's registry, builder and ONNX parser all work without one):
* every shipped config's library loads through ``IPluginRegistry.load_library`` (``getCreators`` +
  ``setLoggerFinder``), each creator is found by name/version/namespace with the config's field names and types,
  plugins are created from fields in both phases (with the creator's own field types and with the ONNX parser's
  kFLOAT32/kINT32), bad fields are refused with the plugin's message in TensorRT's log, and the library deregisters;
* every kernel's ``onnx_plugins.make_model`` model parses with RTX's ``OnnxParser`` and builds a serialized
  engine (the builder querying an autotuned plugin's tactics), dynamic dims through an optimization profile and static ones concretely; the network's output shapes
  and types (from the plugin's getOutputShapes / getOutputDataTypes through RTX's expression builder) match the
  config's rules.

GPU (marked ``gpu``): the same build with a device present, then deserialization; TensorRT-RTX refuses to run
engines on compute capability 9.0 (H100), which is recorded as a skip with RTX's own message.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
from pathlib import Path
from typing import List, NamedTuple, Optional

import pytest

from conftest import EXAMPLES, TEST_KERNELS, all_configs
from test_onnx_helper import CONFIG_IDS, DIMS, case_for, concrete, load_onnx_plugins, manifest, signatures, typed

pytestmark = pytest.mark.trt

FLOAT_DTYPES = ("fp16", "bf16", "fp32", "fp64")
# plugingen dtype -> (PluginFieldType member the creator advertises, numpy dtype of its value)
FIELD_TYPES = {"fp16": ("FLOAT16", "float16"), "bf16": ("BF16", "uint16"), "fp32": ("FLOAT32", "float32"),
               "fp64": ("FLOAT64", "float64"), "i8": ("INT8", "int8"), "i32": ("INT32", "int32"),
               "i64": ("INT64", "int64")}
TRT_TYPES = {"fp16": "float16", "bf16": "bfloat16", "fp32": "float32", "i8": "int8", "i32": "int32",
             "i64": "int64", "u8": "uint8", "i1": "bool", "fp8e4m3": "fp8"}
PARSER_LINK = "libtensorrt_rtx.so"


# ---------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def trt():
    """The TensorRT-RTX bindings with libtensorrt_rtx.so.1 loaded RTLD_GLOBAL (skips when not installed)."""
    try:
        import tensorrt_rtx_libs
    except ImportError as exc:
        pytest.skip(f"TensorRT-RTX is not importable ({exc}); install it with .ci/install_trt_rtx.sh")
    library = Path(tensorrt_rtx_libs.__file__).parent / "libtensorrt_rtx.so.1"
    try:
        ctypes.CDLL(str(library), mode=ctypes.RTLD_GLOBAL)
        import tensorrt_rtx_bindings
    except (ImportError, OSError) as exc:
        pytest.skip(f"TensorRT-RTX is not importable ({exc}); install it with .ci/install_trt_rtx.sh")
    return tensorrt_rtx_bindings


@pytest.fixture(scope="module")
def logger(trt):
    class RecordingLogger(trt.ILogger):
        """Keeps every message; ``errors_since(mark)``: the errors logged since ``len(messages)`` was ``mark``."""

        def __init__(self):
            trt.ILogger.__init__(self)
            self.messages = []

        def log(self, severity, msg):
            self.messages.append((severity, msg))

        def errors_since(self, mark: int) -> List[str]:
            errors = (trt.ILogger.Severity.ERROR, trt.ILogger.Severity.INTERNAL_ERROR)
            return [m for s, m in self.messages[mark:] if s in errors]

    return RecordingLogger()


@pytest.fixture(scope="module")
def builder(trt, logger):
    """A builder with the recording logger; while it lives the plugin's ILoggerFinder finds that logger."""
    return trt.Builder(logger)


@pytest.fixture(scope="module")
def parser_ready(trt):
    """TensorRT-RTX's ONNX parser adds a plugin layer through dlopen("libtensorrt_rtx.so"); the wheel ships only
    libtensorrt_rtx.so.1, and without the link the parser calls std::terminate, ending the test process."""
    import tensorrt_rtx_libs
    folders = [Path(tensorrt_rtx_libs.__file__).parent]  # the parser's RPATH is $ORIGIN
    folders += [Path(p) for p in os.environ.get("LD_LIBRARY_PATH", "").split(":") if p]
    if not any((folder / PARSER_LINK).exists() for folder in folders):
        pytest.skip(f"no {PARSER_LINK} next to {folders[0] / 'libtensorrt_rtx.so.1'} or on LD_LIBRARY_PATH: "
                    "TensorRT-RTX's ONNX parser would abort on a plugin node (.ci/install_trt_rtx.sh makes the link)")


@contextlib.contextmanager
def loaded(trt, output_dir: Path):
    """The build's library loaded into the global plugin registry, deregistered afterwards."""
    registry = trt.get_plugin_registry()
    handle = registry.load_library(str(output_dir / "libtriton_plugins.so"))
    assert handle is not None, f"IPluginRegistry.load_library refused {output_dir / 'libtriton_plugins.so'}"
    try:
        yield registry
    finally:
        registry.deregister_library(handle)


def registered(registry, kernel: dict) -> List[object]:
    return [c for c in registry.all_creators
            if (c.name, c.plugin_version, c.plugin_namespace) == (kernel["plugin"], kernel["version"],
                                                                   kernel["namespace"])]


def field_collection(trt, kernel: dict, values: dict, onnx_types: bool, skip: str = ""):
    """The fields of ``kernel`` as a PluginFieldCollection: typed as the creator advertises them, or as the ONNX
    parser delivers them (kFLOAT32 for float ParamArgs, kINT32 for integer ones)."""
    import numpy as np

    fields = []
    for f in kernel["fields"]:
        if f["name"] == skip:
            continue
        value = values[f["name"]]
        if onnx_types:
            type_name, dtype = ("FLOAT32", "float32") if f["dtype"] in FLOAT_DTYPES else ("INT32", "int32")
        else:
            type_name, dtype = FIELD_TYPES[f["dtype"]]
        if f["dtype"] == "bf16" and not onnx_types:  # bf16 bits: fp32 bits >> 16 (values here are exact)
            data = (np.array([value], np.float32).view(np.uint32) >> 16).astype(np.uint16)
        else:
            data = np.array([value], dtype=dtype)
        fields.append(trt.PluginField(f["name"], data, getattr(trt.PluginFieldType, type_name)))
    return trt.PluginFieldCollection(fields)


def kernels_of(output_dir: Path) -> List[dict]:
    return manifest(output_dir)["kernels"]


# ---------------------------------------------------------------------------------------------- CPU: registry
@pytest.mark.parametrize("config", all_configs(), ids=CONFIG_IDS)
def test_registry_loads_and_deregisters(trt, builder, build_plugin, config):
    out = build_plugin(config)
    kernels = kernels_of(out)
    with loaded(trt, out) as registry:
        for kernel in kernels:
            assert len(registered(registry, kernel)) == 1, f"{kernel['plugin']} is not registered exactly once"
            creator = registry.get_creator(kernel["plugin"], kernel["version"], kernel["namespace"])
            assert isinstance(creator, trt.IPluginCreatorV3One)
            assert creator.interface_info.kind == "PLUGIN CREATOR_V3ONE"
            assert (creator.interface_info.major, creator.interface_info.minor) == (1, 0)
            assert (creator.name, creator.plugin_version, creator.plugin_namespace) == (
                kernel["plugin"], kernel["version"], kernel["namespace"])
            assert [(f.name, f.type, f.size) for f in creator.field_names] == [
                (f["name"], getattr(trt.PluginFieldType, FIELD_TYPES[f["dtype"]][0]), 1) for f in kernel["fields"]]
    registry = trt.get_plugin_registry()
    for kernel in kernels:
        assert registered(registry, kernel) == [], f"{kernel['plugin']} is still registered after deregistration"


def test_second_load_of_the_same_library_is_refused(trt, builder, logger, build_plugin):
    out = build_plugin(EXAMPLES / "vector_add" / "kernel_config.py")
    with loaded(trt, out) as registry:
        mark = len(logger.messages)
        assert registry.load_library(str(out / "libtriton_plugins.so")) is None
        assert any("vector_add_kernelPlugin exists already" in m for m in logger.errors_since(mark))
        assert len(registered(registry, kernels_of(out)[0])) == 1


def plugin_facts(trt, creator, fields, phase):
    """What a plugin created from ``fields`` reports, as plain values (None when createPlugin fails).

    The bindings own the plugin and delete it when the Python object goes; deregister_library dlcloses the library,
    so no plugin object may outlive this call (not even in a traceback): they are deleted before returning."""
    plugin = core = build = runtime = None
    try:
        plugin = creator.create_plugin("node0", fields, phase)
        if plugin is None:
            return None
        core = plugin.get_capability_interface(trt.PluginCapabilityType.CORE)
        build = plugin.get_capability_interface(trt.PluginCapabilityType.BUILD)
        runtime = plugin.get_capability_interface(trt.PluginCapabilityType.RUNTIME)
        return dict(name=core.plugin_name, version=core.plugin_version, namespace=core.plugin_namespace,
                    kinds=(core.interface_info.kind, build.interface_info.kind, runtime.interface_info.kind),
                    outputs=build.num_outputs)
    finally:
        del plugin, core, build, runtime


@pytest.mark.parametrize("config", all_configs(), ids=CONFIG_IDS)
def test_create_plugins_from_fields(trt, builder, build_plugin, config):
    out = build_plugin(config)
    with loaded(trt, out) as registry:
        for kernel in kernels_of(out):
            creator = registry.get_creator(kernel["plugin"], kernel["version"], kernel["namespace"])
            values = case_for(kernel["plugin"]).params
            expected = dict(name=kernel["plugin"], version=kernel["version"], namespace=kernel["namespace"],
                            kinds=("PLUGIN_V3ONE_CORE", "PLUGIN_V3ONE_BUILD", "PLUGIN_V3ONE_RUNTIME"),
                            outputs=len(kernel["outputs"]))
            for phase in (trt.TensorRTPhase.BUILD, trt.TensorRTPhase.RUNTIME):
                for onnx_types in (False, True):
                    fields = field_collection(trt, kernel, values, onnx_types)
                    what = f"{kernel['plugin']} ({phase}, {'ONNX' if onnx_types else 'advertised'} field types)"
                    assert plugin_facts(trt, creator, fields, phase) == expected, what


def test_bad_fields_are_refused_with_the_plugins_message(trt, builder, logger, build_plugin):
    """createPlugin returns null and says why through TensorRT's logger (found through setLoggerFinder)."""
    out = build_plugin(EXAMPLES / "fmha" / "kernel_config.py")
    kernel = kernels_of(out)[0]
    values = case_for(kernel["plugin"]).params
    with loaded(trt, out) as registry:
        creator = registry.get_creator(kernel["plugin"], kernel["version"], kernel["namespace"])
        mark = len(logger.messages)
        missing = field_collection(trt, kernel, values, onnx_types=True, skip="num_heads")
        assert plugin_facts(trt, creator, missing, trt.TensorRTPhase.BUILD) is None
        assert logger.errors_since(mark) == ["fused_attention_kernelPlugin::createPlugin: missing field 'num_heads'"]

        import numpy as np
        mark = len(logger.messages)
        as_float = trt.PluginFieldCollection([
            trt.PluginField("sm_scale", np.array([0.5], np.float32), trt.PluginFieldType.FLOAT32),
            trt.PluginField("num_heads", np.array([4.0], np.float32), trt.PluginFieldType.FLOAT32)])
        assert plugin_facts(trt, creator, as_float, trt.TensorRTPhase.BUILD) is None
        errors = logger.errors_since(mark)
        assert len(errors) == 1 and "num_heads" in errors[0] and "integer" in errors[0], errors


# ---------------------------------------------------------------------------------------------- CPU: ONNX
class Parsed(NamedTuple):
    ok: bool  # the parser's verdict
    parser_errors: List[str]
    outputs: list  # (name, shape with -1 for dynamic dims, DataType) of each network output
    engine: object  # IHostMemory of the serialized engine, or None (not asked for, or the build failed)
    log_errors: List[str]  # errors TensorRT logged meanwhile (the plugin's own messages included)


def parse_and_build(trt, builder, logger, model, build: bool = True, profile_inputs: Optional[dict] = None,
                    aliased_io: bool = False):
    """Parse ``model`` with TensorRT-RTX's OnnxParser and (when it parsed and ``build``) build a serialized engine,
    with an optimization profile for ``profile_inputs`` (input name -> shape with named dynamic dims); ``aliased_io``
    enables the preview feature a plugin with in-place outputs needs.

    The network holds the plugin objects, and deregister_library dlcloses the library: network, parser and
    builder config are deleted here, before any caller can deregister."""
    mark = len(logger.messages)
    network = parser = config = None
    try:
        network = builder.create_network(0)
        parser = trt.OnnxParser(network, logger)
        ok = parser.parse(model.SerializeToString())
        errors = [parser.get_error(i).desc() for i in range(parser.num_errors)]
        outputs = [(network.get_output(i).name, tuple(network.get_output(i).shape), network.get_output(i).dtype)
                   for i in range(network.num_outputs)]
        engine = None
        if ok and build:
            config = builder.create_builder_config()
            if aliased_io:
                config.set_preview_feature(trt.PreviewFeature.ALIASED_PLUGIN_IO_10_03, True)
            if profile_inputs:
                config.add_optimization_profile(_profile(builder, profile_inputs))
            engine = builder.build_serialized_network(network, config)
        return Parsed(ok, errors, outputs, engine, logger.errors_since(mark))
    finally:
        del network, parser, config


def _expected_outputs(trt, kernel: dict, shapes: dict, signature) -> list:
    return [(t["name"], tuple(-1 if isinstance(d, str) else d for d in shapes[t["name"]]),
             getattr(trt, TRT_TYPES[t["dtype"]])) for t in typed(kernel["outputs"], signature)]


def _profile(builder, inputs: dict):
    """min: every dynamic dim 1; opt: DIMS; max: 4 x DIMS."""
    profile = builder.create_optimization_profile()
    for name, shape in inputs.items():
        low = [1 if isinstance(d, str) else d for d in shape]
        high = [4 * DIMS[d] if isinstance(d, str) else d for d in shape]
        profile.set_shape(name, low, concrete(shape), high)
    return profile


def build_engine(trt, builder, logger, output_dir: Path, kernel: dict, dynamic: bool, signature=None):
    """Parse ``make_model`` for ``kernel`` (dynamic or concrete dims; the dtypes of ``signature``), check the
    network's outputs, build."""
    module = load_onnx_plugins(output_dir)
    case = case_for(kernel["plugin"])
    inputs = case.inputs if dynamic else {k: concrete(v) for k, v in case.inputs.items()}
    outputs = case.outputs if dynamic else {k: concrete(v) for k, v in case.outputs.items()}
    model = module.make_model(kernel["function"], case.params, inputs, signature=signature)
    aliased = any(t.get("alias") for t in kernel["outputs"])
    result = parse_and_build(trt, builder, logger, model, profile_inputs=inputs if dynamic else None,
                             aliased_io=aliased)
    assert result.ok, f"{kernel['plugin']}: the ONNX parser failed: {result.parser_errors} {result.log_errors}"
    assert result.outputs == _expected_outputs(trt, kernel, outputs, signature)
    assert result.engine is not None and result.engine.nbytes > 0, \
        f"{kernel['plugin']}: no engine; TensorRT said: {result.log_errors}"
    return result.engine


@pytest.mark.parametrize("config", all_configs(), ids=CONFIG_IDS)
@pytest.mark.parametrize("dynamic", [True, False], ids=["dynamic", "static"])
def test_onnx_parse_and_build(trt, builder, logger, parser_ready, build_plugin, config, dynamic):
    out = build_plugin(config)
    with loaded(trt, out):
        for kernel in kernels_of(out):
            for signature in signatures(kernel):  # one node type, an engine per signature
                build_engine(trt, builder, logger, out, kernel, dynamic, signature)


@pytest.mark.parametrize("dynamic", [True, False], ids=["dynamic", "static"])
def test_the_builder_queries_an_autotuned_plugins_tactics(trt, builder, logger, parser_ready, build_plugin, dynamic):
    """TensorRT-RTX's builder asks getNbTactics/getValidTactics (the plugin logs what it offered) and builds."""
    out = build_plugin(TEST_KERNELS / "tuned_matmul_config.py")
    mark = len(logger.messages)
    with loaded(trt, out):
        [kernel] = kernels_of(out)
        build_engine(trt, builder, logger, out, kernel, dynamic)
    offered = [m for _, m in logger.messages[mark:] if "offers tactics" in m]
    # no GPU here: every tactic is offered (on a GPU, those whose images fit its shared memory)
    assert offered and set(offered) == {"_matmul_kernelPlugin offers tactics (of 1..4): 1, 2, 3, 4"}, offered


def test_a_tuned_plugin_builds_an_engine_choosing_per_launch(trt, builder, logger, parser_ready, tmp_path, aot_cache):
    """With a tuning table the plugin offers no tactic (it picks the config per launch from the table): TensorRT-RTX
    parses its ONNX node and builds an engine, a dynamic profile over M included."""
    import triton

    from plugingen import tuning_table
    from plugingen.cli import main
    from plugingen.config import load_config

    config = TEST_KERNELS / "tuned_matmul_config.py"
    spec = load_config(config, (90,)).kernels[0]
    table = tmp_path / "tuning.json"
    table.write_text(tuning_table.dump([tuning_table.kernel_entry(spec, triton.__version__, {90: [
        {"bucket": [1, 64, 64], "tactic": 4}, {"bucket": [128, 64, 64], "tactic": 2}]})]))
    assert main(["--workspace", str(tmp_path / "ws"), "--kernel_config", str(config), "--arch", "90",
                 "--tuning", str(table), "--cache-dir", str(aot_cache)]) == 0
    out = tmp_path / "ws" / "output"
    mark = len(logger.messages)
    with loaded(trt, out):
        [kernel] = kernels_of(out)
        assert kernel["tuning"]["key"] == ["M", "N", "K"]
        for dynamic in (True, False):
            build_engine(trt, builder, logger, out, kernel, dynamic)
    assert not [m for _, m in logger.messages[mark:] if "offers tactics" in m]


def test_in_place_plugin_needs_the_aliased_io_preview_feature(trt, builder, logger, parser_ready, build_plugin):
    """TensorRT-RTX builds an engine for a plugin with an aliased output only with
    PreviewFeature.ALIASED_PLUGIN_IO_10_03 on (build_engine turns it on): without it the build fails, naming it."""
    out = build_plugin(TEST_KERNELS / "inplace_ops_config.py")
    module = load_onnx_plugins(out)
    case = case_for("cache_write_kernelPlugin")
    model = module.make_model("cache_write_kernel", case.params, {k: concrete(v) for k, v in case.inputs.items()})
    with loaded(trt, out):
        result = parse_and_build(trt, builder, logger, model)
    assert result.ok and result.engine is None
    assert any("PreviewFeature::kALIASED_PLUGIN_IO_10_03 not enabled" in e for e in result.log_errors), \
        result.log_errors


def test_one_node_type_builds_each_signature_and_refuses_others(trt, builder, logger, parser_ready, build_plugin):
    """The same ONNX op type serves fp16, bf16 and fp32 inputs (an engine each, outputs typed by the inputs); inputs
    of no signature (fp16 and fp32 mixed) parse but build no engine, the plugin naming the signatures."""
    out = build_plugin(TEST_KERNELS / "typed_ops_config.py")
    module = load_onnx_plugins(out)
    case = case_for("axpby_kernelPlugin")
    shapes = {k: concrete(v) for k, v in case.inputs.items()}
    with loaded(trt, out):
        types = []
        for signature in module.PLUGINS["axpby_kernel"].signatures:
            model = module.make_model("axpby_kernel", case.params, shapes, signature=signature)
            result = parse_and_build(trt, builder, logger, model)
            assert result.engine is not None, result.log_errors
            types.append(result.outputs[0][2])
        assert types == [trt.float16, trt.bfloat16, trt.float32]
        model = module.make_model("axpby_kernel", case.params, shapes, signature={"T": "fp16"})
        model.graph.input[1].type.tensor_type.elem_type = 1  # y as FLOAT
        result = parse_and_build(trt, builder, logger, model)
    assert result.engine is None
    assert any("no signature of this plugin takes inputs of types (kHALF, kFLOAT)" in e for e in result.log_errors), \
        result.log_errors


def test_onnx_node_missing_a_field_fails_to_parse(trt, builder, logger, parser_ready, build_plugin):
    out = build_plugin(TEST_KERNELS / "fill_index_config.py")
    module = load_onnx_plugins(out)
    model = module.make_model("fill_index_kernel", {"offset": 3}, {"x": ["n"]})
    attributes = model.graph.node[0].attribute
    del attributes[[a.name for a in attributes].index("offset")]
    with loaded(trt, out):
        result = parse_and_build(trt, builder, logger, model)
    assert not result.ok and result.parser_errors
    assert "fill_index_kernelPlugin::createPlugin: missing field 'offset'" in result.log_errors


def test_onnx_input_of_the_wrong_type_fails_to_build(trt, builder, logger, parser_ready, build_plugin):
    """fp32 inputs to the fp16 vector add parse, but supportsFormatCombination refuses every combination."""
    out = build_plugin(EXAMPLES / "vector_add" / "kernel_config.py")
    module = load_onnx_plugins(out)
    model = module.make_model("vector_add_kernel", {}, {"x": [64], "y": [64]})
    for value in list(model.graph.input) + list(model.graph.output):
        value.type.tensor_type.elem_type = 1  # FLOAT
    with loaded(trt, out):
        result = parse_and_build(trt, builder, logger, model)
    assert result.ok, result.parser_errors
    assert result.engine is None and result.log_errors


# ---------------------------------------------------------------------------------------------- GPU
def _cuda_devices() -> int:
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return 0
    count = ctypes.c_int(0)
    if cuda.cuInit(0) != 0 or cuda.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return 0
    return count.value


GPU_KERNELS = [(EXAMPLES / "vector_add" / "kernel_config.py", "vector_add_kernel"),
               (EXAMPLES / "fmha" / "kernel_config.py", "fused_attention_kernel"),
               (TEST_KERNELS / "layernorm_config.py", "layernorm_kernel"),
               (TEST_KERNELS / "row_softmax_config.py", "row_softmax_kernel"),
               (TEST_KERNELS / "fill_index_config.py", "fill_index_kernel")]


@pytest.fixture(scope="module")
def gpu():
    if _cuda_devices() == 0:
        pytest.skip("no CUDA device")


def _kernel(output_dir: Path, name: str) -> dict:
    return next(k for k in kernels_of(output_dir) if k["kernel"] == name)


@pytest.mark.gpu
@pytest.mark.parametrize("config, name", GPU_KERNELS, ids=[k for _, k in GPU_KERNELS])
def test_gpu_build(trt, gpu, builder, logger, parser_ready, build_plugin, config, name):
    out = build_plugin(config)
    with loaded(trt, out):
        for dynamic in (True, False):
            build_engine(trt, builder, logger, out, _kernel(out, name), dynamic)


def deserialize(trt, logger, engine_bytes, kernel: dict):
    """(facts about the deserialized engine, or None; errors TensorRT logged). Like parse_and_build, every object
    that holds plugins is deleted before returning."""
    mark = len(logger.messages)
    runtime = engine = context = None
    try:
        runtime = trt.Runtime(logger)
        engine = runtime.deserialize_cuda_engine(engine_bytes)
        if engine is None:
            return None, logger.errors_since(mark)
        tensors = [t["name"] for t in kernel["inputs"] + kernel["outputs"]]
        context = engine.create_execution_context()
        facts = dict(names=[engine.get_tensor_name(i) for i in range(engine.num_io_tensors)],
                     dtypes=[engine.get_tensor_dtype(name) for name in tensors], context=context is not None)
        return facts, logger.errors_since(mark)
    finally:
        del context, engine, runtime


@pytest.mark.gpu
@pytest.mark.parametrize("config, name", GPU_KERNELS, ids=[k for _, k in GPU_KERNELS])
def test_gpu_deserialize(trt, gpu, builder, logger, parser_ready, build_plugin, config, name):
    """Deserialize the dynamic engine; on a GPU TensorRT-RTX will not run on, skip with its reason."""
    out = build_plugin(config)
    kernel = _kernel(out, name)
    with loaded(trt, out):
        engine_bytes = build_engine(trt, builder, logger, out, kernel, dynamic=True)
        facts, errors = deserialize(trt, logger, engine_bytes, kernel)
    if facts is None:
        pytest.skip("TensorRT-RTX built the engine but will not deserialize it on this GPU: "
                    + (" | ".join(errors) or "no message"))
    assert facts == dict(names=[t["name"] for t in kernel["inputs"] + kernel["outputs"]],
                         dtypes=[getattr(trt, TRT_TYPES[t["dtype"]]) for t in kernel["inputs"] + kernel["outputs"]],
                         context=True), errors


# ---------------------------------------------------------------------------------------------- the ONNX example
ONNX_EXAMPLE = EXAMPLES / "onnx_engine.py"


def _example(*args: str):
    import subprocess
    import sys

    return subprocess.run([sys.executable, str(ONNX_EXAMPLE), *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("config, arguments", [
    (EXAMPLES / "vector_add" / "kernel_config.py",
     ["--kernel", "vector_add_kernel", "--input", "x=n", "--input", "y=n", "--dim", "n=1:4096:65536"]),
    (TEST_KERNELS / "typed_ops_config.py",
     ["--kernel", "row_rms_kernel", "--input", "x=r,96", "--dim", "r=1:8:64", "--param", "eps=0.001",
      "--signature", "T=bf16"]),
    (TEST_KERNELS / "inplace_ops_config.py",
     ["--kernel", "cache_write_kernel", "--input", "cache=2,16,64", "--input", "new=2,64", "--param", "pos=3"]),
], ids=["vector_add", "row_rms-bf16", "in-place"])
def test_the_onnx_example_builds_an_engine(trt, parser_ready, build_plugin, tmp_path, config, arguments):
    """examples/onnx_engine.py, as the README runs it: TensorRT-RTX on this CPU machine."""
    workspace = build_plugin(config).parent
    engine, model = tmp_path / "plugin.engine", tmp_path / "plugin.onnx"
    done = _example("--workspace", str(workspace), *arguments, "--output", str(engine), "--onnx", str(model))
    assert done.returncode == 0, done.stderr
    assert "with TensorRT-RTX" in done.stdout and engine.stat().st_size > 0 and model.stat().st_size > 0


def test_the_onnx_example_reports_usage_errors(trt, build_plugin, tmp_path):
    workspace = build_plugin(EXAMPLES / "vector_add" / "kernel_config.py").parent
    done = _example("--workspace", str(workspace), "--kernel", "vector_add_kernel", "--input", "x=n", "--input", "y=n")
    assert done.returncode == 2 and "dynamic dims without a --dim range: n" in done.stderr
    done = _example("--workspace", str(workspace), "--kernel", "nope", "--input", "x=4")
    assert done.returncode == 2 and "unknown plugin 'nope'" in done.stderr
    done = _example("--workspace", str(tmp_path), "--kernel", "vector_add_kernel")
    assert done.returncode == 2 and "run plugingen" in done.stderr
