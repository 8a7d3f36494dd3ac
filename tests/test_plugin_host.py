"""The C++ test host drives every shipped plugin like TensorRT would, on the CPU: creators from getCreators, plugins
from fields, output types, output shapes (through the host's expression builder, checked against the Python
evaluator of the same rules), format support, field round trip, and the host-side failure paths."""

import json

import numpy as np
import pytest

from conftest import EXAMPLES, TEST_KERNELS, all_configs
from plugingen.config import load_config
from plugingen.dsl import DType
from plugingen.host import DataType, HostError, PluginFieldType, PluginHost, TensorFormat, TensorRTPhase, build_host

TRT = {DType.FP16: DataType.HALF, DType.BF16: DataType.BF16, DType.FP32: DataType.FLOAT, DType.INT8: DataType.INT8,
       DType.INT32: DataType.INT32, DType.INT64: DataType.INT64, DType.UINT8: DataType.UINT8, DType.BOOL: DataType.BOOL,
       DType.FP8E4M3: DataType.FP8}
FIELD = {DType.FP16: (PluginFieldType.FLOAT16, np.float16), DType.BF16: (PluginFieldType.FLOAT32, np.float32),
         DType.FP32: (PluginFieldType.FLOAT32, np.float32), DType.FP64: (PluginFieldType.FLOAT64, np.float64),
         DType.INT8: (PluginFieldType.INT8, np.int8), DType.INT32: (PluginFieldType.INT32, np.int32),
         DType.INT64: (PluginFieldType.INT64, np.int64)}


@pytest.fixture(scope="module", params=[10, 11], ids=["trt10-logger", "trt11-logger"])
def host_lib(request, tmp_path_factory):
    return build_host(tmp_path_factory.mktemp("host"), trt_major=request.param)


def field_values(spec, scale=1):
    """Representative fields: 2.5 for floats, a small integer for ints (as TensorRT would pass them)."""
    out = {}
    for i, p in enumerate(spec.fields):
        stored = spec.field_dtype(p)
        field_type, dtype = FIELD[stored]
        value = 2.5 * scale if stored.is_float else 1 + i + scale
        out[p.name] = (field_type, np.array([value], dtype=dtype))
    return out


def input_shapes(spec, base):
    """Concrete input shapes consistent with every rule: positions that share a dim name get the same size."""
    ranks = {}
    rules = [s.rule for s in spec.output_shapes] + [v.rule for v in spec.dim_size_values]
    slots_of = {id(s.rule): s.input_slots for s in spec.output_shapes}
    slots_of.update({id(v.rule): v.input_slots for v in spec.dim_size_values})
    for rule in rules:
        for slot, pattern in zip(slots_of[id(rule)], rule.inputs):
            ranks[slot] = max(ranks.get(slot, 0), len(pattern.dims) + (1 if pattern.rest else 0))
    parent = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for rule in rules:
        first = {}
        for slot, pattern in zip(slots_of[id(rule)], rule.inputs):
            for pos, name in enumerate(pattern.dims):
                if name in first:
                    parent[find((slot, pos))] = find(first[name])
                first.setdefault(name, (slot, pos))
    literal = {(slot, pos): dim for rule in rules for slot, pattern in zip(slots_of[id(rule)], rule.inputs)
               for pos, dim in enumerate(pattern.dims) if isinstance(dim, int)}  # a size the input must have
    shapes = []
    for slot in range(len(spec.inputs)):
        rank = ranks.get(slot, 1)
        shapes.append(tuple(literal.get((slot, pos), base + 2 * (hash(find((slot, pos))) % 5) + find((slot, pos))[1])
                            for pos in range(rank)))  # tied positions: one size (getOutputShapes checks ties)
    return shapes


CONFIGS = [c for c in all_configs()]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_plugin_through_the_host(build_plugin, host_lib, config):
    output = build_plugin(config)
    specs = load_config(config).kernels
    with PluginHost(output / "libtriton_plugins.so", host_lib) as host:
        creators = {(c.name, c.version, c.namespace): c for c in host.creators()}
        assert sorted(creators) == sorted((s.plugin_name, s.version, s.namespace) for s in specs)
        for spec in specs:
            creator = creators[(spec.plugin_name, spec.version, spec.namespace)]
            stored = [spec.field_dtype(p) for p in spec.fields]
            assert [(f.name, f.type) for f in creator.fields] == \
                [(p.name, {DType.BF16: PluginFieldType.BF16}.get(d, FIELD[d][0])) for p, d in zip(spec.fields, stored)]
            plugin = host.create(spec.plugin_name, field_values(spec), phase=TensorRTPhase.BUILD)
            assert plugin.info() == (spec.plugin_name, spec.version, spec.namespace)
            assert plugin.nb_outputs() == len(spec.outputs)
            for base in (1, 5, 17):
                shapes = input_shapes(spec, base)
                assert [tuple(s) for s in plugin.output_shapes(shapes)] == list(spec.output_dims(shapes))
            for signature in range(len(spec.signatures)):
                in_types = [TRT[spec.dtype_of(p, signature)] for p in spec.inputs]
                out_types = [TRT[spec.dtype_of(p, signature)] for p in spec.outputs]
                assert list(plugin.output_types(in_types)) == out_types
                types = in_types + out_types
                linear = [TensorFormat.LINEAR] * len(types)
                for pos in range(len(types)):
                    assert plugin.supports_format(pos, types, linear)
                    other = [DataType.INT8 if t != DataType.INT8 else DataType.INT64 for t in types]
                    assert not plugin.supports_format(pos, other, linear)
                    assert not plugin.supports_format(pos, types, [TensorFormat.CHW32] * len(types))
            in_types = [TRT[spec.dtype_of(p, 0)] for p in spec.inputs]
            out_types = [TRT[spec.dtype_of(p, 0)] for p in spec.outputs]
            runtime = plugin.roundtrip()
            assert runtime.info() == plugin.info()
            assert {k: (t, v.tolist()) for k, (t, v) in runtime.fields().items()} == \
                {k: (t, v.tolist()) for k, (t, v) in plugin.fields().items()}
            assert list(runtime.output_types(in_types)) == out_types
            clone = runtime.clone()
            runtime.close()
            assert clone.info() == plugin.info()


def _fmha(host):
    spec = load_config(EXAMPLES / "fmha" / "kernel_config.py").kernels[0]
    return spec, dict(field_values(spec))


@pytest.mark.parametrize("case,fields,message", [
    ("missing", {"sm_scale": (PluginFieldType.FLOAT32, np.array([0.5], np.float32))}, "missing field 'num_heads'"),
    ("extra", {"bogus": (PluginFieldType.INT32, np.array([1], np.int32))}, "unknown field 'bogus'"),
    ("wrong type", {"num_heads": (PluginFieldType.FLOAT32, np.array([2.0], np.float32))},
     "field 'num_heads' is an integer parameter but has type kFLOAT32"),
    ("wrong length", {"num_heads": (PluginFieldType.INT32, np.array([2, 3], np.int32))},
     "field 'num_heads' must hold 1 value, got 2"),
    ("not a number", {"num_heads": (PluginFieldType.CHAR, "x")}, "field 'num_heads' has type kCHAR, not a number"),
    ("out of range", {"num_heads": (PluginFieldType.INT64, np.array([2**40], np.int64))}, "does not fit in 32-bit"),
])
def test_bad_fields_are_refused_with_a_reason(build_plugin, host_lib, case, fields, message):
    output = build_plugin(EXAMPLES / "fmha" / "kernel_config.py")
    with PluginHost(output / "libtriton_plugins.so", host_lib) as host:
        spec, good = _fmha(host)
        merged = {**good, **fields} if case != "missing" else fields
        with pytest.raises(HostError) as info:
            host.create(spec.plugin_name, merged)
        assert message in str(info.value)
        assert any(message in text for _, text in host.log())


def test_onnx_style_fields_are_converted(build_plugin, host_lib):
    """The ONNX parser delivers every float as kFLOAT32 and every int as kINT32: both are accepted and kept."""
    output = build_plugin(TEST_KERNELS / "fill_index_config.py")
    with PluginHost(output / "libtriton_plugins.so", host_lib) as host:
        plugin = host.create("fill_index_kernelPlugin", {"offset": (PluginFieldType.INT32, np.array([-7], np.int32))})
        assert plugin.fields()["offset"][0] == PluginFieldType.INT64
        assert plugin.fields()["offset"][1].tolist() == [-7]
        big = host.create("fill_index_kernelPlugin", {"offset": (PluginFieldType.INT64, np.array([2**33 + 5]))})
        assert big.fields()["offset"][1].tolist() == [2**33 + 5]


def test_enqueue_without_a_driver_fails_cleanly_and_empty_work_succeeds(build_plugin, host_lib):
    """No libcuda here: enqueue returns an error with the reason (no crash); zero-size work never touches CUDA."""
    output = build_plugin(EXAMPLES / "vector_add" / "kernel_config.py")
    buffers = np.zeros(64, np.float16)
    address = buffers.ctypes.data
    with PluginHost(output / "libtriton_plugins.so", host_lib) as host:
        plugin = host.create("vector_add_kernelPlugin", {}, phase=TensorRTPhase.RUNTIME)
        tensor = (DataType.HALF, (64,), address)
        with pytest.raises(HostError, match="libcuda.so.1"):
            plugin.enqueue([tensor, tensor], [tensor])
        empty = (DataType.HALF, (0,), address)
        plugin.enqueue([empty, empty], [empty])  # no launch, success


def test_dim_size_overflow_is_an_enqueue_error(build_plugin, host_lib):
    output = build_plugin(EXAMPLES / "vector_add" / "kernel_config.py")
    with PluginHost(output / "libtriton_plugins.so", host_lib) as host:
        plugin = host.create("vector_add_kernelPlugin", {}, phase=TensorRTPhase.RUNTIME)
        huge = (DataType.HALF, (2**31,), 0)
        with pytest.raises(HostError, match="n = 2147483648 does not fit in 32-bit integer"):
            plugin.enqueue([huge, huge], [huge])


def test_rank_mismatch_is_a_shape_error(build_plugin, host_lib):
    output = build_plugin(EXAMPLES / "fmha" / "kernel_config.py")
    with PluginHost(output / "libtriton_plugins.so", host_lib) as host:
        spec, fields = _fmha(host)
        plugin = host.create(spec.plugin_name, fields)
        with pytest.raises(HostError, match="input 'Q' has rank 2 but rule 'Q\\[b, h, s, 64\\], K\\[b, h, s, 64\\], "
                                            "V\\[b, h, s, 64\\] -> Out\\[b, h, s, 64\\], L\\[b, h, s\\], "
                                            "M\\[b, h, s\\]' needs 4"):
            plugin.output_shapes([(4, 64), (4, 64), (4, 64)])
        with pytest.raises(HostError, match="dimension 3 of input 'K' is 32 but rule .* needs 64"):
            plugin.output_shapes([(2, 4, 128, 64), (2, 4, 128, 32), (2, 4, 128, 64)])  # a constant dim: at build


@pytest.mark.parametrize("shapes,num_heads,message", [
    ([(2, 4, 128, 64)] * 3, 8, r"constraint 'num_heads == heads' does not hold \(heads = 4, num_heads = 8\)"),
    ([(2, 4, 128, 64), (2, 4, 128, 32), (2, 4, 128, 64)], 4, r"dimension 3 of input 'K' is 32 but rule"),
    ([(2, 4, 128, 64), (2, 4, 100, 64), (2, 4, 100, 64)], 4, r"dimension 's' of rule .* differs between inputs: "
                                                             r"128 vs 100"),
    ([(2, 4, 128, 64), (2, 4, 128, 64), (1, 4, 128, 64)], 4, r"dimension 'b' of rule .* differs between inputs"),
])
def test_inconsistent_shapes_never_launch(build_plugin, host_lib, shapes, num_heads, message):
    """FMHA with a num_heads field that is not the tensors' head count, a wrong head size, K/V of another length or
    batch: enqueue refuses with the reason before touching CUDA (there is no driver here: reaching the launch would
    fail with a driver error instead)."""
    output = build_plugin(EXAMPLES / "fmha" / "kernel_config.py")
    with PluginHost(output / "libtriton_plugins.so", host_lib) as host:
        plugin = host.create("fused_attention_kernelPlugin", {"sm_scale": (PluginFieldType.FLOAT32, 0.5),
                                                              "num_heads": (PluginFieldType.INT32, num_heads)})
        inputs = [(DataType.HALF, shape, 0x1000) for shape in shapes]
        outputs = [(DataType.HALF, shapes[0], 0x2000), (DataType.FLOAT, shapes[0][:3], 0x3000),
                   (DataType.FLOAT, shapes[0][:3], 0x4000)]
        with pytest.raises(HostError, match=message):
            plugin.enqueue(inputs, outputs)
        consistent = [(DataType.HALF, (2, num_heads, 128, 64), 0x1000)] * 3
        with pytest.raises(HostError, match="libcuda.so.1"):  # consistent: it gets as far as the driver
            plugin.enqueue(consistent, [(DataType.HALF, (2, num_heads, 128, 64), 0x2000),
                                        (DataType.FLOAT, (2, num_heads, 128), 0x3000),
                                        (DataType.FLOAT, (2, num_heads, 128), 0x4000)])


def test_library_loaded_by_two_tensorrt_builds_logs_through_the_latest(build_plugin, tmp_path_factory):
    """One .so loaded by a TensorRT-10-layout and a TensorRT-11-layout host in one process: each setLoggerFinder
    brings its own logger layout (a layout cached from the first finder would call the wrong vtable slot)."""
    library = build_plugin(EXAMPLES / "fmha" / "kernel_config.py") / "libtriton_plugins.so"
    hosts = [build_host(tmp_path_factory.mktemp(f"h{major}"), trt_major=major) for major in (10, 11, 10)]
    opened = []
    for host_lib in hosts:
        host = PluginHost(library, host_lib)
        opened.append(host)
        with pytest.raises(HostError, match="missing field 'sm_scale'"):
            host.create("fused_attention_kernelPlugin", {})
        assert any("missing field 'sm_scale'" in text for _, text in host.log())
    for host in reversed(opened):
        host.close()


def test_global_scratch_sizes_the_workspace(build_plugin, host_lib):
    """sm_90 images need Triton's global scratch: getWorkspaceSize = programs x 256 + align (one shape here)."""
    output = build_plugin(TEST_KERNELS / "tma_scale_config.py")
    manifest = __import__("json").loads((output / "manifest.json").read_text())
    scratch = {image["arch"]: image["scratch"] for image in manifest["kernels"][0]["images"]}
    assert scratch[80] == 0 and scratch[90] > 0
    with PluginHost(output / "libtriton_plugins.so", host_lib) as host:
        plugin = host.create("tma_scale_kernelPlugin", {"alpha": (PluginFieldType.FLOAT32, np.array([2.0], np.float32))})
        for m, n in ((1, 16), (100, 4096), (130, 48)):
            programs = -(-m // 64) * -(-n // 64)
            size = plugin.workspace_size([DataType.FLOAT], [(m, n)], [DataType.FLOAT], [(m, n)])
            assert size == programs * scratch[90] + 128
        runtime = plugin.roundtrip()
        tensor = (DataType.FLOAT, (64, 64), 4096)
        with pytest.raises(HostError):  # no driver here; but never a crash, with or without a workspace
            runtime.enqueue([tensor], [tensor])


def test_workspace_is_sound_for_grids_that_shrink_as_dims_grow(build_plugin, host_lib, tmp_path):
    """A grid of cdiv(4096, M) programs launches the most programs at the profile's *smallest* M: the workspace
    bound is interval arithmetic over the whole profile box, not the grid at its largest shapes."""
    config = tmp_path / "kernel_config.py"
    text = (TEST_KERNELS / "tma_scale_config.py").read_text()
    text = text.replace("kernel_file='tma_scale.py'", f"kernel_file='{TEST_KERNELS / 'tma_scale.py'}'")
    text = text.replace("grid_dims=('cdiv(M, BLOCK_M)', 'cdiv(N, BLOCK_N)', '1')",
                        "grid_dims=('cdiv(4096, M) + min(M, 3) % 2', 'max(cdiv(N, BLOCK_N), 2) - 1', '1')")
    config.write_text(text)
    output = build_plugin(config, archs="90")
    images = json.loads((output / "manifest.json").read_text())["kernels"][0]["images"]
    per_program = next(i["scratch"] for i in images if i["target"] == "sm_90a")
    assert per_program > 0
    with PluginHost(output / "libtriton_plugins.so", host_lib) as host:
        plugin = host.create("tma_scale_kernelPlugin", {"alpha": (PluginFieldType.FLOAT32, np.array([2.0], np.float32))})
        size = plugin.workspace_size_range([DataType.FLOAT], [(1, 16)], [(100, 4096)], [DataType.FLOAT], [(100, 4096)])
        # x <= cdiv(4096, 1) + 1 (min(M, 3) % 2 is at most 1); y <= max(64, 2) - 1; z = 1
        assert size == (4096 + 1) * 63 * per_program + 128
        # every concrete launch of the profile fits it
        for m, n in ((1, 16), (1, 4096), (3, 4096), (100, 4096), (37, 1000)):
            programs = (-(-4096 // m) + min(m, 3) % 2) * (max(-(-n // 64), 2) - 1)
            assert programs * per_program + 128 <= size
        # no bound: getWorkspaceSize returns 0 (TensorRT's failure value) and logs why
        host.clear_log()
        assert plugin.workspace_size_range([DataType.FLOAT], [(1, 16)], [(-1, 4096)], [DataType.FLOAT],
                                           [(1, 4096)]) == 0
        assert plugin.workspace_size_range([DataType.FLOAT], [(0, 16)], [(100, 4096)], [DataType.FLOAT],
                                           [(100, 4096)]) == 0
        assert [text for _, text in host.log()] == [
            "tma_scale_kernelPlugin::getWorkspaceSize: an input has no upper bound for dimension 0 in this profile",
            "tma_scale_kernelPlugin::getWorkspaceSize: cannot bound a ceiling division: the divisor's range [0, 100] "
            "includes 0"]


def test_unknown_logger_layout_falls_back_to_stderr(build_plugin, tmp_path_factory, capfd):
    """A loader without getInferLibVersion beside its logger: the plugin cannot call that logger safely, so its
    errors go to stderr (with a one-time notice) instead of being dropped."""
    so = build_plugin(EXAMPLES / "fmha" / "kernel_config.py") / "libtriton_plugins.so"
    with PluginHost(so, build_host(tmp_path_factory.mktemp("noversion"), version_symbol=False)) as host:
        for _ in range(2):
            with pytest.raises(HostError):
                host.create("fused_attention_kernelPlugin", {"sm_scale": (PluginFieldType.FLOAT32, 0.5)})
    err = capfd.readouterr().err
    assert err.count("plugingen: cannot tell which TensorRT logger layout the loading library uses") == 1
    assert err.count("plugingen: error: fused_attention_kernelPlugin::createPlugin: missing field 'num_heads'") == 2


def test_createplugin_without_a_field_collection(build_plugin, host_lib):
    """TensorRT may pass fc == nullptr: fine for a plugin without fields, a clear error for one with fields."""
    with PluginHost(build_plugin(EXAMPLES / "vector_add" / "kernel_config.py") / "libtriton_plugins.so",
                    host_lib) as host:
        assert host.create("vector_add_kernelPlugin", None).info()[0] == "vector_add_kernelPlugin"
    with PluginHost(build_plugin(EXAMPLES / "fmha" / "kernel_config.py") / "libtriton_plugins.so", host_lib) as host:
        with pytest.raises(HostError, match="missing field 'sm_scale'"):
            host.create("fused_attention_kernelPlugin", None)


def test_clones_used_from_several_threads(build_plugin, host_lib):
    """TensorRT clones a plugin per layer and per execution context and may use them from several threads: each
    clone computes shapes and refuses or accepts launches on its own, with no shared mutable state."""
    import threading

    output = build_plugin(EXAMPLES / "fmha" / "kernel_config.py")
    with PluginHost(output / "libtriton_plugins.so", host_lib) as host:
        original = host.create("fused_attention_kernelPlugin", {"sm_scale": (PluginFieldType.FLOAT32, 0.5),
                                                                "num_heads": (PluginFieldType.INT32, 4)})
        clones = [original.clone() for _ in range(8)]
        original.close()  # the builder deletes the original; the clones live on
        failures = []

        def work(clone, seed):
            try:
                for i in range(50):
                    heads = 4 if (i + seed) % 2 else 3
                    shape = (1 + seed, heads, 16 * (1 + i % 4), 64)
                    assert [tuple(s) for s in clone.output_shapes([shape] * 3)] == [shape, shape[:3], shape[:3]]
                    ins = [(DataType.HALF, shape, 0x1000)] * 3
                    outs = [(DataType.HALF, shape, 0x2000), (DataType.FLOAT, shape[:3], 0x3000),
                            (DataType.FLOAT, shape[:3], 0x4000)]
                    try:
                        clone.enqueue(ins, outs)
                    except HostError as exc:  # 4 heads: reaches the (missing) driver; 3: the constraint refuses
                        expected = "libcuda.so.1" if heads == 4 else "constraint 'num_heads == heads'"
                        assert expected in exc.message, exc.message
            except Exception as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        threads = [threading.Thread(target=work, args=(clone, k)) for k, clone in enumerate(clones)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not failures, failures


def test_a_profile_no_shape_of_which_can_satisfy_a_constraint_is_refused_at_configure(build_plugin, host_lib):
    output = build_plugin(EXAMPLES / "fmha" / "kernel_config.py")
    with PluginHost(output / "libtriton_plugins.so", host_lib) as host:
        plugin = host.create("fused_attention_kernelPlugin", {"sm_scale": (PluginFieldType.FLOAT32, 0.5),
                                                              "num_heads": (PluginFieldType.INT32, 8)})
        half, fp32 = DataType.HALF, DataType.FLOAT
        ins, outs = [half] * 3, [half, fp32, fp32]
        with pytest.raises(HostError, match="configurePlugin: constraint 'num_heads == heads' holds for no shape of "
                                            "this optimization profile"):
            plugin.configure(ins, [(2, 4, 128, 64)] * 3, outs, [(2, 4, 128, 64), (2, 4, 128), (2, 4, 128)])
        plugin.configure(ins, [(2, 8, 128, 64)] * 3, outs, [(2, 8, 128, 64), (2, 8, 128), (2, 8, 128)])


def test_symbolic_shapes_and_the_runtime_call_order(build_plugin, host_lib):
    """As TensorRT drives a plugin: getOutputShapes on symbolic dims at build (literal dims are checked only where
    known), then at run time onShapeChange only when the shapes change, and many enqueues."""
    output = build_plugin(EXAMPLES / "fmha" / "kernel_config.py")
    with PluginHost(output / "libtriton_plugins.so", host_lib) as host:
        plugin = host.create("fused_attention_kernelPlugin", {"sm_scale": (PluginFieldType.FLOAT32, 0.5),
                                                              "num_heads": (PluginFieldType.INT32, 4)})
        dynamic = [(-1, 4, -1, 64)] * 3
        assert [tuple(s) for s in plugin.output_shapes(dynamic)] == [(-1, 4, -1, 64), (-1, 4, -1), (-1, 4, -1)]
        assert [tuple(s) for s in plugin.output_shapes([(-1, 4, -1, -1)] * 3)] == [(-1, 4, -1, 64), (-1, 4, -1),
                                                                                   (-1, 4, -1)]
        runtime = plugin.roundtrip()
        for shape in ((2, 4, 128, 64), (3, 4, 16, 64)):
            ins = [(DataType.HALF, shape, 0x1000)] * 3
            outs = [(DataType.HALF, shape, 0x2000), (DataType.FLOAT, shape[:3], 0x3000),
                    (DataType.FLOAT, shape[:3], 0x4000)]
            for call in range(3):  # onShapeChange on the first call of each shape only
                with pytest.raises(HostError, match="libcuda.so.1"):  # every check passed; the launch needs CUDA
                    runtime.enqueue(ins, outs, shape_change=call == 0)
        bad = [(DataType.HALF, (2, 4, 128, 64), 0x1000), (DataType.HALF, (2, 4, 128, 32), 0x1000),
               (DataType.HALF, (2, 4, 128, 64), 0x1000)]
        with pytest.raises(HostError, match="dimension 3 of input 'K' is 32"):  # enqueue checks, not onShapeChange
            runtime.enqueue(bad, outs, shape_change=False)


_COUNT_ALLOCATIONS = """
import json, sys
from plugingen.host import DataType, HostError, PluginFieldType, PluginHost
so, host_lib = sys.argv[1:3]
counts = []
with PluginHost(so, host_lib, global_scope=True) as host:
    plugin = host.create("fused_attention_kernelPlugin", {"sm_scale": (PluginFieldType.FLOAT32, 0.5),
                                                          "num_heads": (PluginFieldType.INT32, 4)})
    def tensors(shape):
        return ([(DataType.HALF, shape, 0x1000)] * 3, [(DataType.HALF, shape, 0x2000),
                (DataType.FLOAT, shape[:3], 0x3000), (DataType.FLOAT, shape[:3], 0x4000)])
    for _ in range(3):  # nothing to launch: the plugin finishes without CUDA
        plugin.enqueue(*tensors((0, 4, 128, 64)), shape_change=False)
        counts.append(host.enqueue_allocations())
    try:
        plugin.enqueue(*tensors((2, 3, 128, 64)), shape_change=False)  # refused by enqueue: the constraint
    except HostError:
        counts.append(host.enqueue_allocations())
print(json.dumps(counts))
"""


def test_the_enqueue_success_path_allocates_nothing(build_plugin, tmp_path_factory):
    """A preloaded host that wraps glibc's allocator counts the heap allocations in enqueue: work completed without CUDA (nothing to launch) allocates nothing; a refusal (its message is a string)
    does — proof the count reaches the plugin's code. The success path with launches is counted on the GPU."""
    import subprocess
    import sys

    counting = build_host(tmp_path_factory.mktemp("countnew"), count_new=True)
    output = build_plugin(EXAMPLES / "fmha" / "kernel_config.py")
    result = subprocess.run([sys.executable, "-c", _COUNT_ALLOCATIONS, str(output / "libtriton_plugins.so"),
                             str(counting)], capture_output=True, text=True,
                            env=dict(__import__("os").environ, LD_PRELOAD=str(counting)))
    assert result.returncode == 0, result.stderr
    *empty, refused = json.loads(result.stdout)
    assert empty == [0, 0, 0] and refused > 0, (empty, refused)
