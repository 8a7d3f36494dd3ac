"""GPU: plugins enqueued from many threads and streams at once, clones in flight together, and one plugin used in
two CUDA contexts (the per-context module cache). Skipped without torch + CUDA."""
import ctypes
import re
import shutil
import threading

import numpy as np
import pytest

torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    pytest.skip("no CUDA GPU", allow_module_level=True)

from conftest import EXAMPLES, TEST_KERNELS  # noqa: E402
from plugingen.host import DataType, PluginHost, TensorRTPhase, build_host  # noqa: E402
from plugingen.testing import _default_host_dir  # noqa: E402

pytestmark = pytest.mark.gpu

THREADS, STREAMS, ITERATIONS = 8, 2, 1000


def tensor_arg(t):
    types = {torch.float16: DataType.HALF, torch.float32: DataType.FLOAT}
    return (types[t.dtype], tuple(t.shape), t.data_ptr())


def test_threads_times_streams_times_enqueues(build_plugin):
    """8 threads x 2 streams x 1000 enqueues of two plugin instances (different plugins), all results correct."""
    add_lib = build_plugin(EXAMPLES / "vector_add" / "kernel_config.py") / "libtriton_plugins.so"
    scale_lib = build_plugin(TEST_KERNELS / "scale_shift_config.py") / "libtriton_plugins.so"
    host_lib = build_host(_default_host_dir())
    with PluginHost(add_lib, host_lib) as add_host, PluginHost(scale_lib, host_lib) as scale_host:
        add = add_host.create("vector_add_kernelPlugin", {}, phase=TensorRTPhase.RUNTIME)
        import plugingen.host as h

        scale = scale_host.create("scale_shift_kernelPlugin",
                                  {"alpha": (h.PluginFieldType.FLOAT32, np.array([2.5], np.float32)),
                                   "beta": (h.PluginFieldType.FLOAT32, np.array([1.0], np.float32))},
                                  phase=TensorRTPhase.RUNTIME)
        errors = []

        def work(index):
            try:
                n = 1000 + 37 * index
                streams = [torch.cuda.Stream() for _ in range(STREAMS)]
                x = torch.randn(n, device="cuda", dtype=torch.float16)
                y = torch.randn(n, device="cuda", dtype=torch.float16)
                xf = torch.randn(n, device="cuda")
                outs = [(torch.empty_like(x), torch.empty_like(xf)) for _ in streams]
                torch.cuda.synchronize()
                for i in range(ITERATIONS):
                    s = i % STREAMS
                    stream = streams[s].cuda_stream
                    add.enqueue([tensor_arg(x), tensor_arg(y)], [tensor_arg(outs[s][0])], stream=stream)
                    scale.enqueue([tensor_arg(xf)], [tensor_arg(outs[s][1])], stream=stream)
                for stream in streams:
                    stream.synchronize()
                for out_add, out_scale in outs:
                    assert torch.equal(out_add, x + y)
                    torch.testing.assert_close(out_scale, xf * 2.5 + 1.0)
            except Exception as exc:  # collected and re-raised in the main thread
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[0]


def test_clones_in_flight_together(build_plugin):
    """Two execution contexts' worth of clones (attachToContext), enqueued on two streams at once."""
    lib = build_plugin(EXAMPLES / "fmha" / "kernel_config.py") / "libtriton_plugins.so"
    with PluginHost(lib, build_host(_default_host_dir())) as host:
        import plugingen.host as h

        base = host.create("fused_attention_kernelPlugin",
                           {"sm_scale": (h.PluginFieldType.FLOAT32, np.array([0.125], np.float32)),
                            "num_heads": (h.PluginFieldType.INT32, np.array([2], np.int32))})
        contexts = [base.attach(), base.attach()]
        base.close()
        streams = [torch.cuda.Stream(), torch.cuda.Stream()]
        qkv = [[torch.randn(2, 2, 300 + 50 * i, 64, device="cuda", dtype=torch.float16) for _ in range(3)]
               for i in range(2)]
        outs = []
        torch.cuda.synchronize()
        for plugin, stream, (q, k, v) in zip(contexts, streams, qkv):
            out = torch.empty_like(q)
            l = torch.empty(q.shape[:3], device="cuda")
            m = torch.empty(q.shape[:3], device="cuda")
            for _ in range(50):
                plugin.enqueue([tensor_arg(q), tensor_arg(k), tensor_arg(v)],
                               [tensor_arg(out), tensor_arg(l), tensor_arg(m)], stream=stream.cuda_stream)
            outs.append(out)
        torch.cuda.synchronize()
        for out, (q, k, v) in zip(outs, qkv):
            ref = torch.nn.functional.scaled_dot_product_attention(q, k, v, scale=0.125)
            torch.testing.assert_close(out, ref, atol=1e-2, rtol=1e-2)


class _Driver:
    """The few driver calls this test needs, through ctypes (the plugin resolves its own)."""

    def __init__(self):
        self.lib = ctypes.CDLL("libcuda.so.1")

    def __call__(self, name, *args):
        result = getattr(self.lib, name)(*args)
        assert result == 0, f"{name} returned CUDA error {result}"


def test_one_plugin_in_two_cuda_contexts_on_one_gpu(build_plugin, tmp_path):
    """The module cache is per CUDA context: a second context (driver API) gets its own module and correct results,
    and the first context keeps working."""
    copy = tmp_path / "vector_add_ctx.so"
    shutil.copy(build_plugin(EXAMPLES / "vector_add" / "kernel_config.py") / "libtriton_plugins.so", copy)
    cu = _Driver()
    n = 4096
    with PluginHost(copy, build_host(_default_host_dir())) as host:
        plugin = host.create("vector_add_kernelPlugin", {}, phase=TensorRTPhase.RUNTIME)
        x = torch.randn(n, device="cuda", dtype=torch.float16)
        y = torch.randn(n, device="cuda", dtype=torch.float16)
        out = torch.empty_like(x)
        plugin.enqueue([tensor_arg(x), tensor_arg(y)], [tensor_arg(out)], stream=torch.cuda.current_stream().cuda_stream)
        torch.cuda.synchronize()
        assert torch.equal(out, x + y)

        ctx = ctypes.c_void_p()
        cu("cuCtxCreate_v2", ctypes.byref(ctx), 0, 0)  # new context on device 0, now current
        try:
            hx, hy = np.random.randn(n).astype(np.float16), np.random.randn(n).astype(np.float16)
            pointers = [ctypes.c_uint64() for _ in range(3)]
            for p in pointers:
                cu("cuMemAlloc_v2", ctypes.byref(p), ctypes.c_size_t(n * 2))
            cu("cuMemcpyHtoD_v2", pointers[0], hx.ctypes.data_as(ctypes.c_void_p), ctypes.c_size_t(n * 2))
            cu("cuMemcpyHtoD_v2", pointers[1], hy.ctypes.data_as(ctypes.c_void_p), ctypes.c_size_t(n * 2))
            args = [(DataType.HALF, (n,), p.value) for p in pointers]
            plugin.enqueue(args[:2], args[2:], stream=0)  # null stream: the current (new) context
            cu("cuCtxSynchronize")
            result = np.empty(n, np.float16)
            cu("cuMemcpyDtoH_v2", result.ctypes.data_as(ctypes.c_void_p), pointers[2], ctypes.c_size_t(n * 2))
            np.testing.assert_array_equal(result, hx + hy)
            for p in pointers:
                cu("cuMemFree_v2", p)
        finally:
            popped = ctypes.c_void_p()
            cu("cuCtxPopCurrent_v2", ctypes.byref(popped))
            cu("cuCtxDestroy_v2", ctx)
        plugin.enqueue([tensor_arg(x), tensor_arg(y)], [tensor_arg(out)], stream=torch.cuda.current_stream().cuda_stream)
        torch.cuda.synchronize()
        assert torch.equal(out, x + y)
        contexts = {re.search(r"into CUDA context (\d+)", text).group(1)
                    for _, text in host.log() if "loaded variant" in text}
        assert len(contexts) == 2, host.log()
