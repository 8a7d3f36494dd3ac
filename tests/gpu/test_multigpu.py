"""Multi-GPU: one process, plugin instances on GPU 0 and GPU 1 enqueued alternately and concurrently, each checked
against torch; then two execution contexts (clones) per GPU. Skipped with fewer than two GPUs."""
import threading

import numpy as np
import pytest

torch = pytest.importorskip("torch")
if torch.cuda.device_count() < 2:
    pytest.skip("needs two or more CUDA GPUs", allow_module_level=True)

from conftest import EXAMPLES  # noqa: E402
from plugingen.host import DataType, PluginFieldType, PluginHost, TensorRTPhase, build_host  # noqa: E402
from plugingen.testing import _default_host_dir  # noqa: E402

pytestmark = [pytest.mark.gpu, pytest.mark.multigpu]


def arg(t):
    return ({torch.float16: DataType.HALF, torch.float32: DataType.FLOAT}[t.dtype], tuple(t.shape), t.data_ptr())


@pytest.fixture(scope="module")
def fmha_host(build_plugin):
    with PluginHost(build_plugin(EXAMPLES / "fmha" / "kernel_config.py") / "libtriton_plugins.so",
                    build_host(_default_host_dir())) as host:
        yield host


def make_plugin(host, heads):
    return host.create("fused_attention_kernelPlugin",
                       {"sm_scale": (PluginFieldType.FLOAT32, np.array([0.125], np.float32)),
                        "num_heads": (PluginFieldType.INT32, np.array([heads], np.int32))},
                       phase=TensorRTPhase.RUNTIME)


def run_on(device, plugin, iterations, seq_len):
    """Enqueue `iterations` times on `device` (set current, as TensorRT's caller does) and check the result."""
    with torch.cuda.device(device):
        q, k, v = (torch.randn(2, 2, seq_len, 64, device=device, dtype=torch.float16) for _ in range(3))
        out = torch.empty_like(q)
        l = torch.empty(q.shape[:3], device=device)
        m = torch.empty(q.shape[:3], device=device)
        stream = torch.cuda.current_stream(device)
        for _ in range(iterations):
            plugin.enqueue([arg(q), arg(k), arg(v)], [arg(out), arg(l), arg(m)], stream=stream.cuda_stream)
        stream.synchronize()
        ref = torch.nn.functional.scaled_dot_product_attention(q, k, v, scale=0.125)
        torch.testing.assert_close(out, ref, atol=1e-2, rtol=1e-2)


def test_alternating_between_gpus(fmha_host):
    plugins = [make_plugin(fmha_host, 2), make_plugin(fmha_host, 2)]
    for round_ in range(6):
        device = round_ % 2
        run_on(device, plugins[device], 3, 100 + 37 * round_)
    contexts = {text.rsplit(" ", 1)[1] for _, text in fmha_host.log() if "loaded variant" in text}
    assert len(contexts) >= 2


def test_concurrent_threads_one_per_gpu(fmha_host):
    errors = []

    def work(device):
        try:
            plugin = make_plugin(fmha_host, 2)
            for i in range(20):
                run_on(device, plugin, 5, 64 + 13 * i)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(d,)) for d in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


def test_two_execution_contexts_per_gpu(fmha_host):
    base = make_plugin(fmha_host, 2)
    clones = {device: [base.attach(), base.attach()] for device in (0, 1)}
    errors = []

    def work(device, plugin):
        try:
            run_on(device, plugin, 10, 300)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(d, p)) for d, ps in clones.items() for p in ps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
