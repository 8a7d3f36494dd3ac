"""Kernels written as widely used libraries write them, built unchanged (CPU): optional inputs (``Constexpr(None)`` at
a pointer, with the usual ``HAS_*`` flags), one kernel as several plugins (``plugin_name=``), a kernel file inside a
package (relative imports) and a heuristic with ``2 ** 10``. Each goes config -> build -> the C++ test host, as
TensorRT drives the library; the numerics are in tests/gpu/test_library_styles_gpu.py."""
import json
import shutil
import sys
import textwrap

import numpy as np
import pytest

from conftest import TEST_KERNELS
from plugingen import loader, tuning_table
from plugingen.config import load_config
from plugingen.host import DataType, HostError, PluginFieldType, PluginHost, TensorRTPhase, build_host
from plugingen.model import ArgKind, function_name
from test_functional import FakeNetwork, FakeTensorRT, load_functional

RMS_NORM = TEST_KERNELS / "fused_rms_norm_config.py"
SWIGLU = TEST_KERNELS / "swiglu_config.py"
ACT_PKG = TEST_KERNELS / "act_pkg_config.py"
EPS = {"eps": (PluginFieldType.FLOAT32, np.array([1e-6], np.float32))}


@pytest.fixture(scope="module")
def host_lib(tmp_path_factory):
    return build_host(tmp_path_factory.mktemp("host"))


def _manifest(output):
    return {k["plugin"]: k for k in json.loads((output / "manifest.json").read_text())["kernels"]}


def _launch_params(output, plugin):
    """The argument lists the generated launch passes, one per compiled variant (``void* params[]{...}``)."""
    source = (output.parent / "src" / f"{plugin}_plugin.cpp").read_text()
    return [line.split("{", 1)[1].rstrip("};").split(", ") for line in source.splitlines()
            if "void* params[]{" in line]


# ------------------------------------------------------------------------------------------------ optional inputs
def test_constexpr_none_is_an_absent_input_in_the_model():
    plain, fused = load_config(RMS_NORM, (90,)).kernels
    absent = {a.name: a.value for a in plain.args if a.kind is ArgKind.CONSTEXPR}
    assert absent == {"B": None, "RESIDUAL": None, "RESIDUAL_OUT": None, "BLOCK_N": 1024, "HAS_RESIDUAL": False,
                      "STORE_RESIDUAL_OUT": False, "HAS_BIAS": False}
    assert [a.name for a in plain.inputs] == ["X", "W"] and [a.name for a in plain.outputs] == ["Y", "Rstd"]
    assert [a.name for a in fused.inputs] == ["X", "W", "B", "RESIDUAL"]
    assert [a.name for a in fused.outputs] == ["Y", "RESIDUAL_OUT", "Rstd"]
    point = plain.points()[0]
    # as Triton's JIT specialises a None argument: a constexpr None in the signature, and not passed
    assert [s for s in plain.triton_signature(point) if s[0] in ("B", "RESIDUAL", "RESIDUAL_OUT")] == [
        ("B", "constexpr", None, False), ("RESIDUAL", "constexpr", None, False),
        ("RESIDUAL_OUT", "constexpr", None, False)]
    assert [a.name for a in plain.launched(plain.variants[-1])] == ["X", "Y", "W", "Rstd", "stride_row", "N", "eps"]


def test_optional_inputs_through_the_host(build_plugin, host_lib):
    output = build_plugin(RMS_NORM)
    manifest = _manifest(output)
    assert manifest["rms_norm"]["constexprs"] == {"B": None, "RESIDUAL": None, "RESIDUAL_OUT": None, "BLOCK_N": 1024,
                                                  "HAS_RESIDUAL": False, "STORE_RESIDUAL_OUT": False,
                                                  "HAS_BIAS": False}
    assert [t["name"] for t in manifest["rms_norm"]["inputs"]] == ["X", "W"]
    for params in _launch_params(output, "rms_norm"):  # the launch packs no argument for an absent input
        assert not {"&arg_B", "&arg_RESIDUAL", "&arg_RESIDUAL_OUT"} & set(params)
        assert params[:4] == ["&arg_X", "&arg_Y", "&arg_W", "&arg_Rstd"]
    assert all("&arg_B" in p and "&arg_RESIDUAL_OUT" in p for p in _launch_params(output, "add_rms_norm"))
    with PluginHost(output / "libtriton_plugins.so", host_lib) as host:
        assert sorted(c.name for c in host.creators()) == ["add_rms_norm", "rms_norm"]
        plain = host.create("rms_norm", EPS, phase=TensorRTPhase.RUNTIME)
        fused = host.create("add_rms_norm", EPS, phase=TensorRTPhase.RUNTIME)
        assert plain.nb_outputs() == 2 and fused.nb_outputs() == 3
        assert [tuple(s) for s in plain.output_shapes([(6, 96), (96,)])] == [(6, 96), (6,)]
        assert [tuple(s) for s in fused.output_shapes([(6, 96), (96,), (96,), (6, 96)])] == [(6, 96), (6, 96), (6,)]
        assert list(fused.output_types([DataType.HALF] * 4)) == [DataType.HALF, DataType.FLOAT, DataType.FLOAT]
        half, single = DataType.HALF, DataType.FLOAT
        with pytest.raises(HostError, match=r"constraint 'N <= 1024' does not hold \(N = 2000\)"):
            plain.enqueue([(half, (3, 2000), 0x1000), (half, (2000,), 0x2000)],
                          [(half, (3, 2000), 0x3000), (single, (3,), 0x4000)])
        with pytest.raises(HostError, match="libcuda.so.1"):  # every check passed: the launch needs the driver
            plain.enqueue([(half, (3, 96), 0x1000), (half, (96,), 0x2000)],
                          [(half, (3, 96), 0x3000), (single, (3,), 0x4000)])


def test_optional_inputs_are_no_arguments_of_the_python_functions(build_plugin, monkeypatch):
    output = build_plugin(RMS_NORM)
    fake = FakeTensorRT({("rms_norm", "1", ""), ("add_rms_norm", "1", "")})
    functional = load_functional(output, monkeypatch, fake)
    network = FakeNetwork()
    assert functional.rms_norm(1e-6, "X", "W", network=network) == [("output", 0), ("output", 1)]
    assert functional.add_rms_norm(1e-6, "X", "W", "B", "R", network=network) == [("output", i) for i in range(3)]
    assert [layer.inputs for layer in network.layers] == [["X", "W"], ["X", "W", "B", "R"]]
    assert [name for name, *_ in fake.created] == ["rms_norm", "add_rms_norm"]
    onnx_plugins = pytest.importorskip("test_onnx_helper").load_onnx_plugins(output)
    assert list(onnx_plugins.PLUGINS) == ["rms_norm", "add_rms_norm"]
    assert {p.kernel for p in onnx_plugins.PLUGINS.values()} == {"_rms_norm_fwd_kernel"}
    assert [t.name for t in onnx_plugins.PLUGINS["rms_norm"].inputs] == ["X", "W"]


def test_constexpr_none_is_accepted_where_the_jit_accepts_none_and_nothing_else_is(tmp_path):
    shutil.copy(TEST_KERNELS / "fused_rms_norm.py", tmp_path)
    text = RMS_NORM.read_text().replace("Constexpr(1024),  # BLOCK_N", "Constexpr([1024]),  # BLOCK_N", 1)
    (tmp_path / "kernel_config.py").write_text(text)
    with pytest.raises(Exception, match=r"Constexpr value must be an int, float, bool, str or None, got \[1024\]"):
        load_config(tmp_path / "kernel_config.py", (90,))
    text = RMS_NORM.read_text().replace("Constexpr(False),  # HAS_BIAS", "Constexpr(None),  # HAS_BIAS", 1)
    (tmp_path / "kernel_config.py").write_text(text)  # None for a tl.constexpr: the JIT takes that too
    assert load_config(tmp_path / "kernel_config.py", (90,)).kernels[0].args[-1].value is None


# ------------------------------------------------------------------------------------------------ plugin names
@pytest.mark.parametrize("plugin,function", [("_attn_fwdPlugin", "attn_fwd"), ("swiglu_14336", "swiglu_14336"),
                                             ("__LayerNormPlugin", "LayerNorm"), ("PluginPlugin", "Plugin")])
def test_function_name_of_a_plugin(plugin, function):
    assert function_name(plugin) == function


def test_one_kernel_as_two_plugins(build_plugin, host_lib):
    first, second = load_config(SWIGLU, (90,)).kernels
    assert (first.kernel_name, first.plugin_name, first.function_name) == (
        "_swiglu_forward_kernel", "swiglu_1000", "swiglu_1000")
    assert second.plugin_name == "swiglu_4096" and first.source_key == second.source_key
    assert [h.domain for h in first.heuristics] == [(1024,), (4,)] and [h.domain for h in second.heuristics] == [
        (4096,), (8,)]
    output = build_plugin(SWIGLU)
    manifest = _manifest(output)
    assert sorted(manifest) == ["swiglu_1000", "swiglu_4096"]
    assert {k["kernel"] for k in manifest.values()} == {"_swiglu_forward_kernel"}
    assert [k["constexprs"]["n_cols"] for k in manifest.values()] == [1000, 4096]
    sources = sorted(p.name for p in (output.parent / "src").glob("*.cpp"))
    assert sources == ["plugins.cpp", "swiglu_1000_images.cpp", "swiglu_1000_plugin.cpp", "swiglu_4096_images.cpp",
                       "swiglu_4096_plugin.cpp"]
    with PluginHost(output / "libtriton_plugins.so", host_lib) as host:
        assert sorted(c.name for c in host.creators()) == ["swiglu_1000", "swiglu_4096"]
        half = DataType.HALF
        for width in (1000, 4096):
            plugin = host.create(f"swiglu_{width}", {}, phase=TensorRTPhase.RUNTIME)
            assert plugin.info() == (f"swiglu_{width}", "1", "")
            assert [tuple(s) for s in plugin.output_shapes([(3, width), (3, width)])] == [(3, width)]
            other = 5096 - width  # the other plugin's width: refused by this one's rules
            with pytest.raises(HostError, match=f"dimension 1 of input 'a_ptr' is {other} but rule"):
                plugin.enqueue([(half, (3, other), 0x1000)] * 2, [(half, (3, other), 0x2000)])
            with pytest.raises(HostError, match="libcuda.so.1"):
                plugin.enqueue([(half, (3, width), 0x1000)] * 2, [(half, (3, width), 0x2000)])


def test_plugins_of_one_kernel_in_several_namespaces(tmp_path):
    """TensorRT tells creators apart by name, version and namespace; plugingen's modules by name: one name, one
    plugin, whatever its namespace (the error is in tests/bad_configs/duplicate_plugin_name.py)."""
    shutil.copy(TEST_KERNELS / "swiglu.py", tmp_path)
    text = SWIGLU.read_text().replace("KERNELS = [swiglu(1000), swiglu(4096)]", textwrap.dedent("""\
        KERNELS = [swiglu(1000), swiglu(1000)]
        KERNELS[1].namespace = 'other'"""))
    (tmp_path / "kernel_config.py").write_text(text)
    with pytest.raises(Exception, match=r"kernel_config.py:16:47: error: duplicate plugin name 'swiglu_1000' "
                                        r"\(first at line 15\)"):
        load_config(tmp_path / "kernel_config.py", (90,))


AUTOTUNED_TWICE = """
from plugingen import *

def tuned(plugin_name):
    return KernelMetaData(kernel_name='tuned_kernel', plugin_name=plugin_name, kernel_file='kernels.py',
                          ios=[InputArg('x', Type('tensor[fp32]')), OutputArg('out', Type('tensor[fp32]')),
                               DimSizeArg('n')],
                          shape_infer_rules=['x[d] -> out[d]', 'x[d] : d -> n'], grid_dims=('cdiv(n, BLOCK)', '1', '1'))

KERNELS = [tuned('tuned_kernelPlugin'), tuned('tuned_small')]
"""


def test_tuning_tables_are_per_plugin(tmp_path):
    """An autotuned kernel built as two plugins gets a table entry each, by plugin name; a table written before
    plugin names (entries by kernel) still serves the plugin of the default name."""
    shutil.copy(TEST_KERNELS.parent / "bad_configs" / "kernels.py", tmp_path)
    (tmp_path / "kernel_config.py").write_text(AUTOTUNED_TWICE)
    config = load_config(tmp_path / "kernel_config.py", (90,))
    default, small = config.kernels
    rows = {default.plugin_name: [{"bucket": [1024], "tactic": 2, "us": [2.0, 1.0]}],
            small.plugin_name: [{"bucket": [1024], "tactic": 1, "us": [1.0, 2.0]}]}
    entries = [tuning_table.kernel_entry(s, "3.x", {90: rows[s.plugin_name]}) for s in config.kernels]
    assert [(e["plugin"], e["kernel"]) for e in entries] == [("tuned_kernelPlugin", "tuned_kernel"),
                                                             ("tuned_small", "tuned_kernel")]
    path = tmp_path / "tuning.json"
    path.write_text(tuning_table.dump(entries))
    loaded = tuning_table.load(path, config, "3.x")
    assert {name: t.choose(90, [1000]) for name, t in loaded.items()} == {"tuned_kernelPlugin": 1, "tuned_small": 0}
    del entries[0]["plugin"]  # the old format
    path.write_text(tuning_table.dump(entries[:1]))
    assert list(tuning_table.load(path, config, "3.x")) == ["tuned_kernelPlugin"]
    entries[1]["plugin"] = "tuned_large"
    path.write_text(tuning_table.dump(entries[1:]))
    with pytest.raises(Exception, match=r"names plugin 'tuned_large', which kernel_config.py does not define "
                                        r"\(plugins: tuned_kernelPlugin, tuned_small\)"):
        tuning_table.load(path, config, "3.x")


# ------------------------------------------------------------------------------------------------ packages
def test_a_kernel_file_in_a_package_is_a_module_of_that_package():
    assert loader.package_of(TEST_KERNELS / "act_pkg" / "act_kernels.py") == (TEST_KERNELS, "act_pkg.act_kernels")
    assert loader.package_of(TEST_KERNELS / "swiglu.py") == (TEST_KERNELS, "")
    spec = load_config(ACT_PKG, (90,)).kernels[0]
    fn = loader.load_kernel(spec.kernel_file, spec.kernel_name)
    assert fn.fn.__module__ == "act_pkg.act_kernels"
    again = loader.load_kernel(spec.kernel_file, spec.kernel_name)
    assert again.fn.__globals__ is not fn.fn.__globals__  # run afresh each time (each build target)
    [heuristic] = spec.heuristics  # attorch's block size, with '2 ** 10', from the package's heuristics module
    assert heuristic.name == "BLOCK_SIZE_BATCH" and heuristic.domain == (1, 2, 4)
    python = fn.fn.__globals__["BLOCK_SIZE_BATCH_heuristic"]  # the translation computes what the function does
    for batch in (1, 5, 1023, 1024, 2047, 2048, 3000, 4095, 4096, 5000, 10 ** 6):
        value = spec.launch_env({}, {"batch_dim": batch, "feat_dim": 64})["BLOCK_SIZE_BATCH"]
        assert value == python({"batch_dim": batch}) == (1 if batch < 2048 else 2 if batch < 3072 else 4)


def test_package_kernel_through_the_host(build_plugin, host_lib):
    output = build_plugin(ACT_PKG)
    with PluginHost(output / "libtriton_plugins.so", host_lib) as host:
        plugin = host.create("act_func_forward_kernelPlugin", {}, phase=TensorRTPhase.RUNTIME)
        assert [tuple(s) for s in plugin.output_shapes([(5000, 64)])] == [(5000, 64)]
        single = DataType.FLOAT
        with pytest.raises(HostError, match=r"constraint 'feat_dim <= 64' does not hold \(feat_dim = 65\)"):
            plugin.enqueue([(single, (7, 65), 0x1000)], [(single, (7, 65), 0x2000)])
        with pytest.raises(HostError, match="libcuda.so.1"):
            plugin.enqueue([(single, (5000, 64), 0x1000)], [(single, (5000, 64), 0x2000)])


def test_sys_path_while_package_and_plain_files_run(tmp_path):
    """A package file runs with the folder above its outermost package first on sys.path (so ``import pkg.x`` and
    relative imports resolve), a plain file with its own folder; neither stays there."""
    package = tmp_path / "outer" / "inner"
    package.mkdir(parents=True)
    (tmp_path / "outer" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text("SCALE = 3\n")
    kernel = "import sys\nimport triton\n\n{imports}\nSEEN = sys.path[0]\n\n\n@triton.jit\ndef k(x):\n    pass\n"
    relative = "from .helpers import SCALE\nfrom ..inner import helpers"
    (package / "kernels.py").write_text(kernel.format(imports=relative))
    fn = loader.load_kernel(package / "kernels.py", "k")
    assert (fn.fn.__globals__["SEEN"], fn.fn.__globals__["SCALE"], fn.fn.__module__) == (
        str(tmp_path), 3, "outer.inner.kernels")
    (tmp_path / "plain.py").write_text(kernel.format(imports="import outer.inner.helpers"))
    assert loader.load_kernel(tmp_path / "plain.py", "k").fn.__globals__["SEEN"] == str(tmp_path)
    assert str(tmp_path) not in sys.path


def test_a_kernel_imported_into_kernel_file_is_accepted(tmp_path):
    """kernel_file may import the kernel from elsewhere (here: a module importing it from the package by name)."""
    shutil.copytree(TEST_KERNELS / "act_pkg", tmp_path / "act_pkg")
    (tmp_path / "reexport.py").write_text("from act_pkg.act_kernels import act_func_forward_kernel  # noqa: F401\n")
    (tmp_path / "kernel_config.py").write_text(ACT_PKG.read_text().replace("'act_pkg/act_kernels.py'",
                                                                           "'reexport.py'"))
    spec = load_config(tmp_path / "kernel_config.py", (90,)).kernels[0]
    assert spec.kernel_file.name == "reexport.py" and [h.domain for h in spec.heuristics] == [(1, 2, 4)]
