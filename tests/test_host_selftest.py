"""The C++ test host (plugingen.host) works, shown with a hand-made plugin (tests/abi/fake_plugin.cpp).

No code generator, TensorRT or GPU involved: the fake plugin is compiled against plugingen/trt_abi.h, loaded through
the host built for both logger layouts (TensorRT 10 and 11), and driven through every host entry point.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from plugingen.host import (DataType, FieldSpec, HostError, PluginFieldType, PluginHost, TensorFormat, TensorRTPhase,
                            build_host, numpy_tensor)

ROOT = Path(__file__).resolve().parent.parent
ABI = ROOT / "tests" / "abi"
CXX = shutil.which("g++")
SO_FLAGS = ["-std=c++17", "-O1", "-g", "-fPIC", "-shared", "-fvisibility=hidden", "-Wall", "-Wextra", "-Werror",
            f"-I{ROOT / 'plugingen' / 'include'}"]

pytestmark = pytest.mark.skipif(CXX is None, reason="needs g++")

INT32, FLOAT32 = PluginFieldType.INT32, PluginFieldType.FLOAT32
GOOD_FIELDS = {"k": (INT32, 3), "alpha": (FLOAT32, 0.5)}


def _compile_so(source: Path, output: Path, extra: tuple = ()) -> Path:
    result = subprocess.run([CXX, *SO_FLAGS, *extra, str(source), "-o", str(output)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return output


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("host")


@pytest.fixture(scope="session", params=[10, 11], ids=["trt10", "trt11"])
def host(request, build_dir):
    """A host of each logger layout with its own copy of the fake plugin (separate copies: separate globals)."""
    major = request.param
    plugin = _compile_so(ABI / "fake_plugin.cpp", build_dir / f"libfake_plugin_{major}.so")
    with PluginHost(plugin, build_host(build_dir, trt_major=major)) as loaded:
        yield loaded


@pytest.fixture
def scale(host):
    plugin = host.create("FakeScale", GOOD_FIELDS)
    yield plugin
    plugin.close()


def test_build_is_cached(build_dir):
    first = build_host(build_dir, trt_major=10)
    mtime = first.stat().st_mtime_ns
    assert build_host(build_dir, trt_major=10) == first and first.stat().st_mtime_ns == mtime
    assert build_host(build_dir, trt_major=11) != first


def test_creators_and_fields(host):
    creators = host.creators()
    assert [(c.name, c.version, c.namespace) for c in creators] == [("FakeScale", "1", "pgtest"),
                                                                     ("FakeOp", "1", "pgtest")]
    assert creators[0].fields == (FieldSpec("k", INT32, 1), FieldSpec("alpha", FLOAT32, 1))
    assert creators[1].fields == (FieldSpec("op", INT32, 1),)
    name, version, namespace, fields = creators[1]  # a plain tuple too
    assert name == "FakeOp" and len(fields) == 1


def test_logger_layout_version(host):
    assert host.trt_major in (10, 11)


def test_create_with_good_fields(scale):
    assert scale.info() == ("FakeScale", "1", "pgtest")
    assert scale.nb_outputs() == 1
    assert scale.output_types([DataType.FLOAT]) == [DataType.FLOAT]
    assert scale.output_types([DataType.HALF]) == [DataType.HALF]
    assert scale.output_shapes([(4, 5)]) == [(12, 5)]
    assert scale.output_shapes([(2, 3, 4, 5, 6, 7, 8, 9)]) == [(6, 3, 4, 5, 6, 7, 8, 9)]


def test_missing_field_error_comes_from_plugin_log(host):
    host.clear_log()
    with pytest.raises(HostError) as error:
        host.create("FakeScale", {"alpha": (FLOAT32, 2.0)})
    assert "createPlugin returned null: FakeScale: missing required field 'k'" in error.value.message
    # The plugin reached the host's logger through the layout it picked from getInferLibVersion().
    assert host.log() == [(1, "FakeScale: missing required field 'k'")]


def test_wrong_field_type_and_value(host):
    with pytest.raises(HostError, match="field 'k' has the wrong type or length"):
        host.create("FakeScale", {"k": (FLOAT32, 3.0)})
    with pytest.raises(HostError, match="field 'k' must be >= 1, got 0"):
        host.create("FakeScale", {"k": (INT32, 0)})


def test_unknown_creator_lists_known_ones(host):
    with pytest.raises(HostError, match=r"0 creators match 'Nope'.*pgtest::FakeScale v1"):
        host.create("Nope", {})
    with pytest.raises(HostError, match="0 creators match"):
        host.create("FakeScale", GOOD_FIELDS, version="2")


def test_supports_format(scale):
    fp32, fp16, i32 = DataType.FLOAT, DataType.HALF, DataType.INT32
    assert scale.supports_format(0, [fp32, fp32])
    assert scale.supports_format(1, [fp16, fp16], shapes=[(4, 5), (12, 5)])
    assert not scale.supports_format(0, [i32, i32])
    assert not scale.supports_format(1, [fp32, fp16])
    assert not scale.supports_format(0, [fp32, fp32], formats=[TensorFormat.HWC8, TensorFormat.LINEAR])
    with pytest.raises(HostError, match="pos 2 out of range"):
        scale.supports_format(2, [fp32, fp32])


def test_configure_and_workspace(scale):
    scale.configure([DataType.FLOAT], [(4, 5)], [DataType.FLOAT], [(12, 5)])
    assert scale.workspace_size([DataType.FLOAT], [(4, 5)], [DataType.FLOAT], [(12, 5)]) == 3 * 64
    with pytest.raises(HostError, match="configurePlugin failed"):
        scale.configure([DataType.FLOAT] * 2, [(4, 5)] * 2, [DataType.FLOAT], [(12, 5)])


def _check_fields(fields: dict) -> None:
    assert set(fields) == {"k", "alpha"}
    assert fields["k"][0] == INT32 and fields["k"][1].tolist() == [3]
    assert fields["alpha"][0] == FLOAT32 and fields["alpha"][1].tolist() == [0.5]


def test_round_trip(scale):
    _check_fields(scale.fields())
    copy = scale.roundtrip()
    _check_fields(copy.fields())
    assert copy.output_shapes([(4, 5)]) == [(12, 5)]
    copy.close()


def test_clone_and_attach_outlive_the_original(host):
    original = host.create("FakeScale", GOOD_FIELDS, phase=TensorRTPhase.RUNTIME)
    clone, attached = original.clone(), original.attach()
    original.close()
    _check_fields(clone.fields())
    assert attached.output_shapes([(1, 7)]) == [(3, 7)]
    clone.close()
    attached.close()


def test_enqueue_runs_plugin(scale):
    x = np.arange(20, dtype=np.float32).reshape(4, 5)
    out = np.zeros((12, 5), dtype=np.float32)
    scale.enqueue([numpy_tensor(x)], [numpy_tensor(out)])
    np.testing.assert_array_equal(out, np.tile(x, (3, 1)) * 0.5)


def test_enqueue_errors_carry_plugin_log(scale):
    x16, out16 = np.zeros((4, 5), np.float16), np.zeros((12, 5), np.float16)
    with pytest.raises(HostError, match="enqueue returned -1: FakeScale: enqueue supports only kFLOAT"):
        scale.enqueue([(DataType.HALF, x16.shape, x16.ctypes.data)], [(DataType.HALF, out16.shape, out16.ctypes.data)])
    x, bad = np.zeros((4, 5), np.float32), np.zeros((4, 5), np.float32)
    with pytest.raises(HostError, match="onShapeChange returned -1: FakeScale: output shape does not match"):
        scale.enqueue([numpy_tensor(x)], [numpy_tensor(bad)])


OPS = {"SUM": 0, "PROD": 1, "MAX": 2, "MIN": 3, "SUB": 4, "EQUAL": 5, "LESS": 6, "FLOOR_DIV": 7, "CEIL_DIV": 8}


@pytest.mark.parametrize("op, d0, d1, expected", [
    ("SUM", 7, 3, 10), ("PROD", 7, 3, 21), ("MAX", 7, 3, 7), ("MIN", 7, 3, 3), ("SUB", 7, 3, 4),
    ("EQUAL", 7, 3, 0), ("EQUAL", 3, 3, 1), ("LESS", 7, 3, 0), ("LESS", 3, 7, 1),
    ("FLOOR_DIV", 7, 3, 2), ("FLOOR_DIV", -7, 2, -4), ("FLOOR_DIV", 6, 3, 2),
    ("CEIL_DIV", 7, 3, 3), ("CEIL_DIV", -7, 2, -3), ("CEIL_DIV", 6, 3, 2),
])
def test_expression_builder_folds_like_tensorrt(host, op, d0, d1, expected):
    plugin = host.create("FakeOp", {"op": (INT32, OPS[op])})
    assert plugin.output_shapes([(d0, d1)]) == [(expected,)]
    plugin.close()


@pytest.mark.parametrize("op, shape, message", [
    (OPS["FLOOR_DIV"], (7, 0), "division 7 / 0"),
    (OPS["PROD"], (2**62, 4), "int64 overflow"),
    (99, (1, 2), "unknown DimensionOperation 99"),
    (-1, (4, 8), "output 0 dimension 0 is a size tensor"),
])
def test_non_constant_shapes_are_errors(host, op, shape, message):
    plugin = host.create("FakeOp", {"op": (INT32, op)})
    with pytest.raises(HostError, match=message):
        plugin.output_shapes([shape])
    plugin.close()


def test_plugin_status_and_log_reach_the_error(host):
    plugin = host.create("FakeOp", {"op": (INT32, 0)})
    with pytest.raises(HostError, match="getOutputShapes failed: FakeOp: input must have rank 2"):
        plugin.output_shapes([(1, 2, 3)])
    plugin.close()


BAD_LIBRARIES = {
    "no_finder": ("extern \"C\" __attribute__((visibility(\"default\"))) void* getCreators(int& n) "
                  "{ n = 0; return nullptr; }", "does not export setLoggerFinder"),
    "wrong_kind": ("""#include "plugingen/trt_abi.h"
using namespace nvinfer1;
struct Creator final : IPluginCreatorInterface {
    InterfaceInfo getInterfaceInfo() const noexcept override { return InterfaceInfo{"PLUGIN CREATOR_V1", 1, 0}; }
};
extern "C" __attribute__((visibility("default"))) void setLoggerFinder(ILoggerFinder*) {}
extern "C" __attribute__((visibility("default"))) IPluginCreatorInterface* const* getCreators(int32_t& n) {
    static Creator creator;
    static IPluginCreatorInterface* const creators[] = {&creator};
    n = 1;
    return creators;
}
""", r'creator 0 reports \{"PLUGIN CREATOR_V1", 1, 0\}'),
}


@pytest.mark.parametrize("name", sorted(BAD_LIBRARIES))
def test_open_rejects_bad_libraries(build_dir, tmp_path, name):
    source, message = BAD_LIBRARIES[name]
    (tmp_path / "bad.cpp").write_text(source)
    library = _compile_so(tmp_path / "bad.cpp", tmp_path / f"lib{name}.so")
    with pytest.raises(HostError, match=message):
        PluginHost(library, build_host(build_dir))


def test_open_reports_dlopen_failure(build_dir, tmp_path):
    with pytest.raises(HostError, match="dlopen failed"):
        PluginHost(tmp_path / "missing.so", build_host(build_dir))


SANITIZED_SCRIPT = """
import sys
import numpy as np
from plugingen.host import HostError, PluginFieldType as T, PluginHost, numpy_tensor
with PluginHost(sys.argv[1], sys.argv[2]) as host:
    plugin = host.create("FakeScale", {"k": (T.INT32, 2), "alpha": (T.FLOAT32, 3.0)})
    assert plugin.output_shapes([(4, 5)]) == [(8, 5)]
    copy = plugin.roundtrip().clone()
    x, out = np.ones((4, 5), np.float32), np.zeros((8, 5), np.float32)
    copy.enqueue([numpy_tensor(x)], [numpy_tensor(out)])
    assert (out == 3.0).all()
    try:
        host.create("FakeScale", {})
    except HostError as error:
        assert "missing required field 'k'" in error.message
    op = host.create("FakeOp", {"op": (T.INT32, 8)})
    assert op.output_shapes([(7, 2)]) == [(4,)]
print("sanitized ok")
"""


@pytest.mark.parametrize("trt_major", [10, 11])
def test_under_address_and_undefined_sanitizers(build_dir, tmp_path, trt_major):
    # libstdc++ is preloaded too: ASan's __cxa_throw interceptor must find the real one at startup (python is C).
    preload = [subprocess.run([CXX, f"-print-file-name={name}"], capture_output=True, text=True).stdout.strip()
               for name in ("libasan.so", "libstdc++.so.6")]
    if not all(os.path.isabs(path) for path in preload):
        pytest.skip("no libasan / libstdc++ to preload")
    sanitize = ("-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", "-fno-omit-frame-pointer")
    plugin = _compile_so(ABI / "fake_plugin.cpp", tmp_path / "libfake_asan.so", sanitize)
    host_lib = build_host(build_dir, trt_major=trt_major, sanitize=True)
    env = dict(os.environ, LD_PRELOAD=" ".join(preload), ASAN_OPTIONS="detect_leaks=0",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, "-c", SANITIZED_SCRIPT, str(plugin), str(host_lib)], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "sanitized ok" in result.stdout, result.stdout + result.stderr[-4000:]
