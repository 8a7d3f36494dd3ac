"""Generated plugins built with AddressSanitizer + UBSan, driven through every host-side failure path: bad fields,
int32 overflow of a DimSizeArg, zero-size work, no CUDA driver. Every failure must come back as a status plus a
logged reason; the sanitizers must stay silent."""
import os
import subprocess
import sys

import pytest

from conftest import EXAMPLES, ROOT, TEST_KERNELS, have_cxx
from plugingen.host import build_host

SCRIPT = r"""
import sys
import numpy as np
from plugingen.host import DataType as D, HostError, PluginFieldType as T, PluginHost, TensorRTPhase

def refused(host, name, fields, reason):
    try:
        host.create(name, fields)
    except HostError as error:
        assert reason in error.message, error.message
    else:
        raise AssertionError(f"{name} accepted {fields}")

fmha_so, add_so, host_lib = sys.argv[1:4]
with PluginHost(fmha_so, host_lib) as host:
    good = {"sm_scale": (T.FLOAT32, np.float32(0.5)), "num_heads": (T.INT32, np.int32(2))}
    plugin = host.create("fused_attention_kernelPlugin", good)
    assert plugin.output_shapes([(2, 2, 100, 64)] * 3) == [(2, 2, 100, 64), (2, 2, 100), (2, 2, 100)]
    runtime = plugin.roundtrip().clone()
    refused(host, "fused_attention_kernelPlugin", {"sm_scale": good["sm_scale"]}, "missing field 'num_heads'")
    refused(host, "fused_attention_kernelPlugin", {**good, "extra": (T.INT32, np.int32(1))}, "unknown field 'extra'")
    refused(host, "fused_attention_kernelPlugin", {**good, "num_heads": (T.FLOAT32, np.float32(2))}, "integer parameter")
    refused(host, "fused_attention_kernelPlugin", {**good, "num_heads": (T.INT32, np.array([1, 2], np.int32))},
            "must hold 1 value")
    refused(host, "fused_attention_kernelPlugin", {**good, "sm_scale": (T.CHAR, "0.5")}, "not a number")
    try:
        plugin.output_shapes([(2, 64)] * 3)
    except HostError as error:
        assert "has rank 2" in error.message
    else:
        raise AssertionError("rank 2 accepted")
with PluginHost(add_so, host_lib) as host:
    plugin = host.create("vector_add_kernelPlugin", {}, phase=TensorRTPhase.RUNTIME)
    buf = np.zeros(16, np.float16)
    empty = (D.HALF, (0,), buf.ctypes.data)
    plugin.enqueue([empty, empty], [empty])
    huge = (D.HALF, (2**31,), 0)
    beyond = (D.HALF, (2**40, 2**40), 0)  # a volume over 2^63: refused before any count wraps
    for tensors, reason in (([huge, huge], "does not fit in 32-bit"),
                            ([beyond, beyond], "more bytes than int64 counts"),
                            ([(D.HALF, (-1,), 0)] * 2, "dimension 0 of -1"),
                            ([(D.HALF, (16,), buf.ctypes.data)] * 2, "libcuda.so.1")):
        try:
            plugin.enqueue(tensors, tensors[:1])
        except HostError as error:
            assert reason in error.message, error.message
        else:
            raise AssertionError("enqueue succeeded")
print("sanitized ok")
"""

SANITIZE = "-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-sanitize=vptr -fno-omit-frame-pointer"


def _sanitized_build(tmp_path, config, cache):
    workspace = tmp_path / config.parent.name
    env = dict(os.environ, CXXFLAGS=SANITIZE, LDFLAGS="-fsanitize=address,undefined")
    result = subprocess.run([sys.executable, "-m", "plugingen", "--workspace", str(workspace), "--kernel_config",
                             str(config), "--arch", "80", "--cache-dir", str(cache)], env=env, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    library = workspace / "output" / "libtriton_plugins.so"
    needed = subprocess.run(["readelf", "-d", str(library)], capture_output=True, text=True).stdout
    assert "libasan" in needed  # CXXFLAGS/LDFLAGS reached the compiler through CMake
    return library


@pytest.mark.skipif(not have_cxx(), reason="no C++ compiler")
@pytest.mark.parametrize("trt_major", [10, 11])
def test_plugin_host_paths_under_sanitizers(tmp_path, aot_cache, trt_major):
    cxx = os.environ.get("CXX", "g++")
    preload = [subprocess.run([cxx, f"-print-file-name={name}"], capture_output=True, text=True).stdout.strip()
               for name in ("libasan.so", "libstdc++.so.6")]
    if not all(os.path.isabs(path) for path in preload):
        pytest.skip("no libasan / libstdc++ to preload")
    fmha = _sanitized_build(tmp_path, EXAMPLES / "fmha" / "kernel_config.py", aot_cache)
    add = _sanitized_build(tmp_path, EXAMPLES / "vector_add" / "kernel_config.py", aot_cache)
    host_lib = build_host(tmp_path / "host", trt_major=trt_major, sanitize=True)
    env = dict(os.environ, LD_PRELOAD=" ".join(preload), ASAN_OPTIONS="detect_leaks=0",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(fmha), str(add), str(host_lib)], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "sanitized ok" in result.stdout, result.stdout + result.stderr[-4000:]
