"""Dtype signatures, in-place outputs and fp8 on the CPU: what the config makes of them (model, manifest, generated
code) and how the built plugin answers TensorRT's build-time questions through the C++ test host: the format
combinations it accepts (searched position by position, as TensorRT's builder does), the output types it derives from
the inputs, and getAliasedInput of its build capability."""
import json

import pytest

from conftest import TEST_KERNELS
from plugingen.config import load_config
from plugingen.host import DataType, HostError, PluginFieldType, PluginHost, build_host
from plugingen.model import DType

TYPED = TEST_KERNELS / "typed_ops_config.py"
INPLACE = TEST_KERNELS / "inplace_ops_config.py"
FP8 = TEST_KERNELS / "fp8_cast_config.py"
H, B, F, Q = DataType.HALF, DataType.BF16, DataType.FLOAT, DataType.FP8


@pytest.fixture(scope="module")
def host(build_plugin, tmp_path_factory):
    host_lib = build_host(tmp_path_factory.mktemp("host"))
    hosts = {}

    def get(config):
        if config not in hosts:
            hosts[config] = PluginHost(build_plugin(config) / "libtriton_plugins.so", host_lib)
        return hosts[config]

    yield get
    for h in hosts.values():
        h.close()


def spec_of(config, kernel):
    return next(k for k in load_config(config, (80, 90), max_variants=None).kernels if k.kernel_name == kernel)


def test_signatures_are_the_product_or_the_listed_ones():
    axpby = spec_of(TYPED, "axpby_kernel")
    assert [s.describe() for s in axpby.signatures] == ["T=fp16", "T=bf16", "T=fp32"]
    assert [a.type_text for a in axpby.args[:5]] == ["tensor[T]"] * 3 + ["T", "T"]
    assert [spec_of(FP8, "fp8_dequantize_kernel").signatures[0].describe()] == ["T=fp16"]
    assert spec_of(TYPED, "row_rms_kernel").dtype_of(spec_of(TYPED, "row_rms_kernel").outputs[1], 0) is DType.FP32
    # a ParamArg of type T is stored as the widest T takes and converted at launch
    assert {spec_of(TYPED, "axpby_kernel").field_dtype(a) for a in axpby.fields} == {DType.FP32}


def test_points_are_signature_major_and_compiled_with_each_signatures_types():
    spec = spec_of(TYPED, "axpby_kernel")
    points = spec.points()
    assert [p.signature for p in points] == [0, 0, 1, 1, 2, 2]
    types = [[t for name, t, *_ in spec.triton_signature(p) if name in ("x", "alpha")] for p in points[::2]]
    assert types == [["*fp16", "fp16"], ["*bf16", "bf16"], ["*fp32", "fp32"]]
    fp8 = spec_of(FP8, "fp8_quantize_kernel")
    assert [t for name, t, *_ in fp8.triton_signature(fp8.points()[0]) if name == "q"] == ["*fp8e4nv"]
    assert fp8.archs_of(0, (80, 86, 89, 90)) == (89, 90)


def test_manifest_lists_signatures_aliases_and_each_images_signature(build_plugin):
    typed = json.loads((build_plugin(TYPED) / "manifest.json").read_text())["kernels"][0]
    assert typed["signatures"] == [{"T": "fp16"}, {"T": "bf16"}, {"T": "fp32"}]
    assert [f["dtype"] for f in typed["fields"]] == ["fp32", "fp32"] and typed["fields"][0]["type_var"] == "T"
    assert sorted({(i["signature"], i["arch"]) for i in typed["images"]}) == [(s, a) for s in range(3) for a in (80, 90)]
    inplace = json.loads((build_plugin(INPLACE) / "manifest.json").read_text())["kernels"]
    assert [o.get("alias") for k in inplace for o in k["outputs"]] == ["acc", "cache", "x"]
    fp8 = json.loads((build_plugin(FP8) / "manifest.json").read_text())["kernels"]
    assert {i["arch"] for k in fp8 for i in k["images"] if i["cubin"]} == {90}  # built for 80,90: fp8 needs sm_89
    # the portable PTX is compiled for sm_89, the lowest arch that has fp8 (not sm_90a, which only sm_90 runs)
    assert {i["target"] for k in fp8 for i in k["images"] if i["ptx"]} == {"sm_89"}


@pytest.mark.parametrize("config, plugin, nb_inputs, fields, expected", [
    (TYPED, "axpby_kernelPlugin", 2, {"alpha": 1.0, "beta": 2.0}, [(F, F, F), (H, H, H), (B, B, B)]),
    (TYPED, "row_rms_kernelPlugin", 1, {"eps": 1e-5}, [(F, F, F), (H, H, F), (B, B, F)]),
    (INPLACE, "accumulate_kernelPlugin", 2, {"alpha": 1.0}, [(F, F, F), (H, H, H)]),
    (FP8, "fp8_quantize_kernelPlugin", 1, {"scale": 1.0}, [(F, Q), (H, Q)]),
    (FP8, "fp8_dequantize_kernelPlugin", 1, {"scale": 1.0}, [(Q, H)]),
], ids=lambda v: v if isinstance(v, str) else None)
def test_the_plugin_accepts_exactly_its_signatures(host, config, plugin, nb_inputs, fields, expected):
    """TensorRT's search over supportsFormatCombination finds the signatures and nothing else (linear format only),
    although the positions after the one asked hold types the plugin must not look at; getOutputDataTypes gives
    each signature's outputs for its inputs."""
    p = host(config).create(plugin, {k: (PluginFieldType.FLOAT32, v) for k, v in fields.items()})
    try:
        combos = p.format_combinations(nb_inputs)
        assert sorted(types for types, _ in combos) == sorted(expected)
        assert {f for _, formats in combos for f in formats} == {0}  # kLINEAR
        for types in expected:
            assert tuple(p.output_types(list(types[:nb_inputs]))) == types[nb_inputs:]
    finally:
        p.close()


def test_inputs_of_no_signature_are_an_error_naming_the_signatures(host):
    p = host(TYPED).create("axpby_kernelPlugin", {"alpha": (PluginFieldType.FLOAT32, 1.0),
                                                  "beta": (PluginFieldType.FLOAT32, 1.0)})
    try:
        with pytest.raises(HostError, match=r"no signature of this plugin takes inputs of types \(kHALF, kFLOAT\); "
                                            r"it takes \(kHALF, kHALF\) \| \(kBF16, kBF16\) \| \(kFLOAT, kFLOAT\)"):
            p.output_types([H, F])
    finally:
        p.close()


def test_in_place_outputs_are_reported_through_build_capability_v2(host):
    """Plugins with an aliased output implement IPluginV3OneBuildV2 (kind 2.0); the others keep version 1, which
    every TensorRT 10 knows."""
    inplace, typed = host(INPLACE), host(TYPED)
    accumulate = inplace.create("accumulate_kernelPlugin", {"alpha": (PluginFieldType.FLOAT32, 1.0)})
    cache = inplace.create("cache_write_kernelPlugin", {"pos": (PluginFieldType.INT32, 0)})
    plain = typed.create("row_rms_kernelPlugin", {"eps": (PluginFieldType.FLOAT32, 1.0)})
    try:
        assert accumulate.aliased_input(0) == (0, 2) and cache.aliased_input(0) == (0, 2)
        assert plain.aliased_input(0) == (-1, 1)
        assert cache.output_shapes([(2, 7, 64), (2, 64)]) == [(2, 7, 64)]  # no rule: the input's shape
    finally:
        for p in (accumulate, cache, plain):
            p.close()


def test_generated_launch_converts_typed_fields_per_signature(build_plugin):
    source = (build_plugin(TYPED).parent / "src" / "axpby_kernel_plugin.cpp").read_text()
    launch = source.split("static void launch(")[1]
    assert launch.index("if (launch.signature == 0)") < launch.index(
        "uint16_t arg_alpha = plugingen::floatToHalf(static_cast<float>(fields.alpha));") < launch.index(
        "if (launch.signature == 1)") < launch.index(
        "uint16_t arg_alpha = plugingen::floatToBf16(static_cast<float>(fields.alpha));") < launch.index(
        "if (launch.signature == 2)") < launch.index("float arg_alpha = fields.alpha;")
    assert "float alpha{};" in source  # the field itself: fp32
    rms = (build_plugin(TYPED).parent / "src" / "row_rms_kernel_plugin.cpp").read_text()
    assert "launch.signature ==" not in rms  # nothing in the launch depends on the signature: one block


BAD_KERNELS = TEST_KERNELS.parent / "bad_configs" / "kernels.py"


@pytest.mark.parametrize("fields, ios, message", [
    ("dtypes={'T': []}", "x:T, y:T, out:T", "dtypes['T'] of kernel 'add_kernel' must be a non-empty list of dtypes"),
    ("dtypes={'T': ['fp16', 'fp16']}", "x:T, y:T, out:T", "dtypes['T'] lists fp16 twice"),
    ("dtypes={'fp16': ['fp16']}", "x:T, y:T, out:T", "type variable 'fp16' of kernel 'add_kernel' must be a name that "
                                                     "is not a dtype"),
    ("dtypes={'T': ['fp16']}, signatures=[]", "x:T, y:T, out:T", "signatures of kernel 'add_kernel' must be a "
                                                                 "non-empty list of dicts"),
    ("dtypes={'T': ['fp16', 'fp32']}, signatures=[{'T': 'fp16'}, {'T': 'fp16'}]", "x:T, y:T, out:T",
     "signatures[1] of kernel 'add_kernel' repeats {'T': 'fp16'}"),
    ("dtypes={'T': ['fp16']}", "x:T, y:T, out:T, n:T", "DimSizeArg 'n' has type T; a dim size is i32 or i64"),
], ids=["empty", "twice", "named-like-a-dtype", "no-signatures", "repeated", "dim-size"])
def test_signature_mistakes(tmp_path, fields, ios, message):
    """Each one error, at the config (the bad-config suite covers the rest, with their lines)."""
    from plugingen.errors import ConfigError

    types = dict(entry.split(":") for entry in ios.split(", "))
    n = f"DimSizeArg('n', dtype=Type('{types['n']}'))" if "n" in types else "DimSizeArg('n')"
    config = tmp_path / "config.py"
    config.write_text(f"""from plugingen import *
KERNELS = [KernelMetaData(kernel_name='add_kernel', kernel_file={str(BAD_KERNELS)!r}, {fields},
    ios=[InputArg('x', Type('tensor[{types['x']}]')), InputArg('y', Type('tensor[{types['y']}]')),
         OutputArg('out', Type('tensor[{types['out']}]')), {n}, Constexpr(256)],
    shape_infer_rules=['x[d], y[d] -> out[d]', 'x[d] : d -> n'], grid_dims=('cdiv(n, 256)', '1', '1'))]
""")
    with pytest.raises(ConfigError) as info:
        load_config(config, (90,))
    errors = getattr(info.value, "errors", [info.value])
    assert [e.message for e in errors if message in e.message] and len(errors) == 1, [str(e) for e in errors]


def test_hints_on_a_typed_float_scalar_are_refused(tmp_path):
    from plugingen.errors import ConfigError

    config = tmp_path / "config.py"
    config.write_text(f"""from plugingen import *
KERNELS = [KernelMetaData(kernel_name='scale_kernel', kernel_file={str(BAD_KERNELS)!r}, dtypes={{'T': ['fp32']}},
    ios=[InputArg('x', Type('tensor[T]')), OutputArg('out', Type('tensor[T]')), ParamArg('alpha', Type('T'), hints=['16']),
         DimSizeArg('n'), Constexpr(256)],
    shape_infer_rules=['x[d] -> out[d]', 'x[d] : d -> n'], grid_dims=('cdiv(n, 256)', '1', '1'))]
""")
    with pytest.raises(ConfigError, match=r"hints on 'alpha', floating-point in signature T=fp32, are meaningless"):
        load_config(config, (90,))


def test_hints_on_an_in_place_output_that_is_not_a_parameter_are_refused(tmp_path):
    from plugingen.errors import ConfigError

    config = tmp_path / "config.py"
    config.write_text(f"""from plugingen import *
KERNELS = [KernelMetaData(kernel_name='scale_kernel', kernel_file={str(TEST_KERNELS / 'inplace_ops.py')!r},
    ios=[InputArg('x', Type('tensor[fp32]')), ParamArg('alpha', Type('fp32')), DimSizeArg('n'), Constexpr(256),
         OutputArg('x_out', Type('tensor[fp32]'), hints=['16'], alias='x')],
    shape_infer_rules=['x[d] : d -> n'], grid_dims=('cdiv(n, 256)', '1', '1'))]
""")
    with pytest.raises(ConfigError, match=r"OutputArg 'x_out' is not a kernel parameter \(it is InputArg 'x' updated "
                                          r"in place\), so hints on it mean nothing"):
        load_config(config, (90,))


@pytest.mark.parametrize("minor, fails", [(2, True), (3, False)])
def test_in_place_plugins_need_sdk_headers_of_10_3(build_plugin, tmp_path, minor, fails):
    """Against a TensorRT 10.0-10.2 SDK (no IPluginV3OneBuildV2) an aliased plugin stops at a static_assert that says
    why; from 10.3 it compiles. (A stand-in SDK header: the version macros, then plugingen's ABI declarations.)"""
    import shutil
    import subprocess

    cxx = shutil.which("c++") or shutil.which("g++")
    if cxx is None:
        pytest.skip("no C++ compiler")
    (tmp_path / "NvInferRuntime.h").write_text(f"#pragma once\n#define NV_TENSORRT_MAJOR 10\n"
                                               f"#define NV_TENSORRT_MINOR {minor}\n#include \"plugingen/trt_abi.h\"\n")
    src = build_plugin(INPLACE).parent / "src"
    done = subprocess.run([cxx, "-std=c++17", "-fsyntax-only", "-DPLUGINGEN_USE_TRT_SDK", f"-I{tmp_path}",
                           f"-I{src / 'include'}", str(src / "accumulate_kernel_plugin.cpp")],
                          capture_output=True, text=True)
    assert (done.returncode != 0) == fails, done.stderr
    message = "in-place outputs (OutputArg alias=) need TensorRT 10.3 or newer (IPluginV3OneBuildV2, getAliasedInput)"
    assert (message in done.stderr) == fails
