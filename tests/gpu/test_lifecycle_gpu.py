"""GPU: no growth over a plugin's lifecycles (issue 23): create / clone / attach / destroy cycles, shape changes and
library unload / reload keep GPU memory, loaded modules and host memory constant. Modules are counted from the
plugin's own log line for each load (`loaded variant ...`, kINFO); an unload frees what the load took, so the device's
free memory comes back. (The same lifecycle on the CPU, with a stand-in driver counting loads and unloads:
tests/test_plugin_checks.py.) Skipped without torch + CUDA."""
import resource

import pytest

torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    pytest.skip("no CUDA GPU", allow_module_level=True)

from conftest import EXAMPLES  # noqa: E402
from plugingen.host import DataType, PluginHost, TensorRTPhase, build_host  # noqa: E402
from plugingen.testing import _default_host_dir  # noqa: E402

pytestmark = pytest.mark.gpu

SIZES = (1000, 1024, 4096, 4099, 65536)  # both hint variants (n % 16 == 0 and not)


def tensor_arg(t):
    return (DataType.HALF, tuple(t.shape), t.data_ptr())


def loads(host):
    return sum("loaded variant" in text for _, text in host.log())


def run_cycles(host, tensors, rounds):
    """`rounds` create / clone / attach / enqueue over every size / destroy cycles; checks every result."""
    stream = torch.cuda.current_stream().cuda_stream
    for _ in range(rounds):
        plugin = host.create("vector_add_kernelPlugin", {}, phase=TensorRTPhase.RUNTIME)
        copy = plugin.clone()
        runtime = copy.attach()
        for x, y, out in tensors:
            runtime.enqueue([tensor_arg(x), tensor_arg(y)], [tensor_arg(out)], stream=stream)
        for p in (runtime, copy, plugin):
            p.close()
    torch.cuda.synchronize()
    for x, y, out in tensors:
        torch.testing.assert_close(out, x + y)


def device_free():
    torch.cuda.synchronize()
    return torch.cuda.mem_get_info()[0]


def test_no_growth_across_plugin_and_library_lifecycles(build_plugin):
    library = build_plugin(EXAMPLES / "vector_add" / "kernel_config.py") / "libtriton_plugins.so"
    host_lib = build_host(_default_host_dir())
    tensors = [tuple(torch.randn(n, device="cuda", dtype=torch.float16) for _ in range(3)) for n in SIZES]
    with PluginHost(library, host_lib) as host:  # warm up: the modules, torch's and the driver's own caches
        host.clear_log()  # the host's log is one per process
        run_cycles(host, tensors, 5)
        per_load = loads(host)
        assert per_load == 2, host.log()  # one module per hint variant the sizes select
    free, rss = device_free(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for round in range(30):
        with PluginHost(library, host_lib) as host:
            host.clear_log()
            run_cycles(host, tensors, 20)
            assert loads(host) == per_load, host.log()  # shape changes and new plugins load nothing more
    # every unload gave back what its load took (a module is at least a page of device memory: 30 leaked rounds
    # of 2 would show); host memory stays within a small margin of its peak after warm-up
    assert device_free() >= free - (2 << 20), (free, device_free())
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss <= rss + 64 * 1024, "host memory grew (KiB)"
