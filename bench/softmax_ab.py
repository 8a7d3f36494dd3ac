"""A/B check (GPU) behind docs/PERFORMANCE.md's note on row_softmax at 8192 x 8192: the prebuilt plugin and Triton's
JIT launch of the same kernel, each writing into each of two output buffers, timed as 10-launch CUDA graphs over 30
rotated rounds. Does a gap follow the launcher or the buffers?

    PYTHONPATH=$PWD PLUGINGEN_PREBUILT=$PWD/.prebuilt python bench/softmax_ab.py
"""
import os, statistics, sys
import torch, triton
sys.path.insert(0, "tests/kernels")
from row_softmax import row_softmax_kernel
from plugingen.host import DataType, PluginHost, TensorRTPhase, build_host
from plugingen.testing import _default_host_dir

rows = cols = 8192
lib = os.path.join(os.environ["PLUGINGEN_PREBUILT"], "kernels-row_softmax_config/output/libtriton_plugins.so")
host = PluginHost(lib, build_host(_default_host_dir()))
plugin = host.create("row_softmax_kernelPlugin", {}, phase=TensorRTPhase.RUNTIME)
x = torch.randn(rows, cols, device="cuda", dtype=torch.float16)
bufs = {k: (torch.empty_like(x), torch.empty(rows, device="cuda")) for k in "AB"}

def plug(k):
    y, m = bufs[k]
    plugin.enqueue([(DataType.HALF, (rows, cols), x.data_ptr())],
                   [(DataType.HALF, (rows, cols), y.data_ptr()), (DataType.FLOAT, (rows,), m.data_ptr())],
                   stream=torch.cuda.current_stream().cuda_stream)

def jit(k):
    y, m = bufs[k]
    row_softmax_kernel[(rows, 1, 1)](x, y, m, rows, cols, BLOCK=1024, num_warps=4, num_stages=2)

variants = {f"{name}->{k}": (fn, k) for name, fn in (("plugin", plug), ("jit", jit)) for k in "AB"}
graphs = {}
for label, (fn, k) in variants.items():
    fn(k); torch.cuda.synchronize()
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        for _ in range(10):
            fn(k)
    graphs[label] = g
times = {label: [] for label in graphs}
labels = list(graphs)
for r in range(30):
    order = labels[r % 4:] + labels[:r % 4]
    for label in order:
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record(); graphs[label].replay(); e.record(); e.synchronize()
        times[label].append(s.elapsed_time(e) * 1000 / 10)
for label in labels:
    print(f"{label:12s} median {statistics.median(times[label]):7.1f} us  min {min(times[label]):7.1f}")
print("A y ptr", hex(bufs["A"][0].data_ptr()), "B y ptr", hex(bufs["B"][0].data_ptr()), "x", hex(x.data_ptr()))
