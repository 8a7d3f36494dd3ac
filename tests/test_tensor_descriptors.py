"""Host tensor descriptors (``Type('tensordesc[...]')``): the config syntax and its errors, the block shapes of a
config's pre_hook, Triton's expansion of a descriptor per version (checked against the PTX), the images' TMA
layouts, and the plugin's descriptor rules refused on the CPU before anything touches the driver."""
import json
import textwrap

import numpy as np
import pytest

from conftest import TEST_KERNELS
from plugingen import aot, triton_compat
from plugingen.config import load_config
from plugingen.errors import BuildError, ConfigError
from plugingen.host import DataType, HostError, PluginFieldType, PluginHost, TensorRTPhase, build_host

CONFIG = TEST_KERNELS / "tensor_descriptors_config.py"
needs_descriptors = pytest.mark.skipif(triton_compat.abi().descriptor_flags is None,
                                       reason="this Triton has no host tensor descriptors (3.4 or newer has)")


def _write(tmp_path, name, text):
    (tmp_path / name).write_text(textwrap.dedent(text))
    return tmp_path / name


def test_a_descriptor_is_compiled_as_triton_types_it_with_its_block():
    scale, add = load_config(CONFIG).kernels
    x, y = scale.descriptors
    assert (x.type_text, x.is_tensor, y.kind.value) == ("tensordesc[fp16]", True, "OutputArg")
    point = scale.points()[0]
    assert scale.triton_signature(point)[:2] == (("x_desc", "tensordesc<fp16[64, 64]>", None, False),
                                                ("y_desc", "tensordesc<fp16[64, 64]>", None, False))
    # the configs' pre_hook sets the block shapes, one per tactic; descriptors are never hint classes
    assert [dict(t.block_shapes) for t in add.tactics] == [
        {"a_desc": (32, 64), "b_desc": (32, 64), "c_desc": (32, 64)},
        {"a_desc": (64, 128), "b_desc": (64, 128), "c_desc": (64, 128)}]
    assert add.triton_signature(add.points()[-1])[0][1] == "tensordesc<fp32[64, 128]>"
    assert all(not any(v.hints[i] for v in scale.variants) for i in (0, 1))


_KERNEL = """\
    import triton
    import triton.language as tl

    def hook(nargs):
        nargs["x"].block_shape = [nargs["BLOCK"], nargs["n"]]

    @triton.jit
    def copy(x, y, n, BLOCK: tl.constexpr):
        y.store([0], x.load([0]))

    @triton.autotune(configs=[triton.Config({"BLOCK": 64}, pre_hook=hook)], key=["n"])
    @triton.jit
    def hooked(x, y, n, BLOCK: tl.constexpr):
        y.store([0], x.load([0]))
    """


@pytest.mark.parametrize("ios,message", [
    ("InputArg('x', Type('tensor[fp16]'), block_shape=['BLOCK']), OutputArg('y', Type('tensordesc[fp16]'), "
     "block_shape=[64])", "InputArg 'x' has a block_shape but type tensor\\[fp16\\]; block_shape is for host tensor "
                          "descriptors"),
    ("InputArg('x', Type('tensordesc[fp16]')), OutputArg('y', Type('tensordesc[fp16]'), block_shape=[64])",
     "InputArg 'x' is a tensor descriptor without a block_shape"),
    ("InputArg('x', Type('tensordesc[fp16]'), block_shape=['n']), OutputArg('y', Type('tensordesc[fp16]'), "
     "block_shape=[64])", "block_shape\\[0\\] 'n' of 'x' uses 'n', which is not a constexpr"),
    ("InputArg('x', Type('tensordesc[fp16]'), hints=['16'], block_shape=[64]), "
     "OutputArg('y', Type('tensordesc[fp16]'), hints=['16'], block_shape=[64])",
     "InputArg 'x' is a tensor descriptor: hints mean nothing for it"),
    ("InputArg('x', Type('tensordesc[fp16]'), block_shape='BLOCK'), OutputArg('y', Type('tensordesc[fp16]'), "
     "block_shape=[64])", "block_shape of 'x' must be a list of 1 to 5 dims"),
])
def test_descriptor_mistakes_are_config_errors(tmp_path, ios, message):
    _write(tmp_path, "k.py", _KERNEL)
    config = _write(tmp_path, "c.py", f"""\
        from plugingen import *
        KERNELS = [KernelMetaData(kernel_name='copy', kernel_file='k.py',
                                  ios=[{ios}, DimSizeArg('n'), Constexpr(64)],
                                  shape_infer_rules=['x[d] -> y[d]', 'x[d] : d -> n'], grid_dims=('1', '1', '1'))]
        """)
    with pytest.raises(ConfigError, match=message):
        load_config(config)


def test_a_pre_hook_that_reads_a_launch_argument_is_an_error(tmp_path):
    _write(tmp_path, "k.py", _KERNEL)
    config = _write(tmp_path, "c.py", """\
        from plugingen import *
        KERNELS = [KernelMetaData(kernel_name='hooked', kernel_file='k.py',
                                  ios=[InputArg('x', Type('tensordesc[fp16]')), OutputArg('y', Type('tensor[fp16]')),
                                       DimSizeArg('n')],
                                  shape_infer_rules=['x[d] -> y[d]', 'x[d] : d -> n'], grid_dims=('1', '1', '1'))]
        """)
    with pytest.raises(ConfigError, match="its pre_hook reads 'n', which exists only at launch"):
        load_config(config)


def test_a_block_that_is_not_a_power_of_two_is_a_build_error(tmp_path):
    _write(tmp_path, "k.py", _KERNEL)
    config = _write(tmp_path, "c.py", """\
        from plugingen import *
        KERNELS = [KernelMetaData(kernel_name='copy', kernel_file='k.py',
                                  ios=[InputArg('x', Type('tensordesc[fp16]'), block_shape=['BLOCK - 1']),
                                       OutputArg('y', Type('tensordesc[fp16]'), block_shape=['BLOCK']),
                                       DimSizeArg('n'), Constexpr(64)],
                                  shape_infer_rules=['x[d] -> y[d]', 'x[d] : d -> n'], grid_dims=('1', '1', '1'))]
        """)
    spec = load_config(config).kernels[0]
    with pytest.raises(BuildError, match=r"the block of tensor descriptor 'x' is \[63\] .* each a power of two up "
                                         "to 256"):
        aot.check_blocks(spec, spec.points())


def _ptx(kinds):
    """A PTX entry with parameters of these kinds ('map': a 128-byte CUtensorMap)."""
    decls = ",\n".join(f".param .align 64 .b8 desc_scale_kernel_param_{i}[128]" if kind == "map" else
                       f".param .{kind} desc_scale_kernel_param_{i}" for i, kind in enumerate(kinds))
    return f".version 8.7\n.target sm_90a\n.address_size 64\n.visible .entry desc_scale_kernel(\n{decls}\n)\n{{ }}\n"


TMA_META = {"swizzle": 3, "elem_size": 2, "elem_type": 6, "block_size": [64, 64], "fp4_padded": False,
            "is_im2col": False}
TMA_DESCRIPTOR = ["map", "u32", "u32", "u64", "u64"]


@pytest.mark.parametrize("version,flags", [("3.4.0", 0), ("3.6.0", 1), ("3.9.0", 2)])
def test_triton_expands_a_descriptor_as_its_version_does(version, flags):
    spec = load_config(CONFIG).kernels[0]
    point = spec.points()[0]
    hidden = ["u64"] * len(triton_compat.abi(version).hidden)
    decomposed = ["u64"] * 5 + ["u8"] * flags + ["u32"] * 2 + ["u64"] * 2
    _, params, maps = aot._launch_params(spec, point, _ptx(decomposed * 2 + ["f32"] + hidden), version)
    assert maps == (None, None) and [(p.name, p.size) for p in params][:3] == [("x_desc", 0), ("y_desc", 0),
                                                                             ("alpha", 4)]
    ptx = _ptx(TMA_DESCRIPTOR * 2 + ["f32"] + hidden)
    _, params, maps = aot._launch_params(spec, point, ptx, version, [TMA_META, TMA_META])
    assert [(m.elem_type, m.swizzle, m.box) for m in maps] == [(6, 3, (64, 64))] * 2
    with pytest.raises(BuildError, match="takes 'x_desc' as parameters of"):  # another version's expansion
        other = ["u64"] * 5 + ["u8"] * (flags + 1) + ["u32"] * 2 + ["u64"] * 2
        aot._launch_params(spec, point, _ptx(other * 2 + ["f32"] + hidden), version)
    with pytest.raises(BuildError, match="descriptor metadata plugingen does not know \\(layout\\)"):
        aot._launch_params(spec, point, ptx, version, [dict(TMA_META, layout=1)] * 2)


def test_tma_data_types_follow_the_launchers_table():
    assert [triton_compat.tma_data_type(t) for t in (6, 7, 8, 9, 10)] == [6, 7, 10, 8, 9]


@pytest.fixture(scope="module")
def host_lib(tmp_path_factory):
    return build_host(tmp_path_factory.mktemp("host"))


@needs_descriptors
def test_the_library_records_tma_layouts_and_refuses_bad_tensors_before_the_driver(build_plugin, host_lib):
    output = build_plugin(CONFIG)
    manifest = json.loads((output / "manifest.json").read_text())
    scale = next(k for k in manifest["kernels"] if k["kernel"] == "desc_scale_kernel")
    by_arch = {i["arch"]: i["descriptors"] for i in scale["images"]}
    assert by_arch[80] == ["decomposed", "decomposed"]
    assert by_arch[90] == [{"box": [64, 64], "elem_type": 6, "swizzle": 3}] * 2
    source = (output.parent / "src" / "desc_scale_kernel_images.cpp").read_text()
    assert "{0, 2, true, 6, 3, {64, 64}, " in source and "{1, 2, false, 0, 0, {0}, " in source
    buffer = np.zeros(4096, np.float16)
    aligned = buffer.ctypes.data + (-buffer.ctypes.data) % 64
    alpha = {"alpha": (PluginFieldType.FLOAT32, np.array([2.0], np.float32))}
    with PluginHost(output / "libtriton_plugins.so", host_lib) as host:
        plugin = host.create("desc_scale_kernelPlugin", alpha, phase=TensorRTPhase.RUNTIME)
        for shape, address, message in [
                ((2, 5, 7), aligned, "tensor descriptor 'x_desc': rows of 7 elements of 2 bytes are not a multiple "
                                     "of 16 bytes"),
                ((2, 5, 8), aligned + 2, "tensor descriptor 'x_desc': the tensor's address .* is not 16-byte aligned"),
                ((1, 3, 8), aligned, "libcuda.so.1")]:  # a valid descriptor: only the missing driver stops it
            tensor = (DataType.HALF, shape, address)
            with pytest.raises(HostError, match=message):
                plugin.enqueue([tensor], [tensor])


def test_num_sms_is_a_launch_value_read_from_the_device(build_plugin, host_lib):
    """``min(num_sms, cdiv(n, BLOCK))``: the plugin asks the driver for the current device's SM count at launch
    (here, with no driver, that is where enqueue stops); the model needs it given."""
    config = TEST_KERNELS / "persistent_config.py"
    spec = load_config(config).kernels[0]
    assert spec.uses_num_sms
    with pytest.raises(TypeError, match="read num_sms"):
        spec.launch_env({}, {"n": 5000})
    assert spec.launch_env({}, {"n": 5000}, num_sms=3)["num_sms"] == 3
    output = build_plugin(config)
    assert "int64_t const v_num_sms = plugingen::smCount();" in (output.parent / "src" /
                                                                 "persistent_scale_kernel_plugin.cpp").read_text()
    buffer = np.zeros(16, np.float32)
    with PluginHost(output / "libtriton_plugins.so", host_lib) as host:
        plugin = host.create("persistent_scale_kernelPlugin", {}, phase=TensorRTPhase.RUNTIME)
        x = (DataType.FLOAT, (16,), buffer.ctypes.data)
        with pytest.raises(HostError, match="libcuda.so.1"):
            plugin.enqueue([x], [x, (DataType.INT32, (1,), buffer.ctypes.data)])
