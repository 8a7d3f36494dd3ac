"""GPU: enqueue's success path — with launches, hint-variant dispatch, tactics, heuristics and reset_to_zero
memsets — makes no heap allocation, counted by a preloaded test host that wraps glibc's allocator (a subprocess:
the wrapper must be preloaded to see the plugin's calls)."""
import json
import os
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    pytest.skip("no CUDA GPU", allow_module_level=True)

from conftest import EXAMPLES, TEST_KERNELS  # noqa: E402

from plugingen.host import build_host  # noqa: E402

pytestmark = pytest.mark.gpu

SCRIPT = r"""
import json, sys
import torch
from plugingen.host import DataType, PluginFieldType, PluginHost
host_lib, cases = sys.argv[1], json.loads(sys.argv[2])
types = {torch.float16: DataType.HALF, torch.float32: DataType.FLOAT}
counts = {}
for so, plugin_name, fields, shapes, tactic in cases:
    with PluginHost(so, host_lib, global_scope=True) as host:
        plugin = host.create(plugin_name, {k: (PluginFieldType(t), v) for k, (t, v) in fields.items()}, phase=1)
        inputs = [torch.randn(*s, device="cuda", dtype=torch.float16 if "fp16" in d else torch.float32)
                  for d, s in shapes["in"]]
        outputs = [torch.empty(*s, device="cuda", dtype=torch.float16 if "fp16" in d else torch.float32)
                   for d, s in shapes["out"]]
        desc = lambda ts: [(types[t.dtype], tuple(t.shape), t.data_ptr()) for t in ts]
        stream = torch.cuda.current_stream().cuda_stream
        plugin.set_tactic(tactic)
        plugin.enqueue(desc(inputs), desc(outputs), stream=stream)  # loads the module: may allocate
        seen = []
        for _ in range(20):
            plugin.enqueue(desc(inputs), desc(outputs), stream=stream, shape_change=False)
            seen.append(host.enqueue_allocations())
        torch.cuda.synchronize()
        counts[plugin_name + f"/{tactic}"] = seen
print(json.dumps(counts))
"""


def test_enqueue_success_path_makes_no_heap_allocation(build_plugin, tmp_path):
    counting = build_host(tmp_path, count_new=True)
    f32, i32 = 1, 5  # PluginFieldType.FLOAT32 / INT32 values
    cases = [
        (EXAMPLES / "vector_add" / "kernel_config.py", "vector_add_kernelPlugin", {},
         {"in": [("fp16", (1000,)), ("fp16", (1000,))], "out": [("fp16", (1000,))]}, 0),
        (EXAMPLES / "fmha" / "kernel_config.py", "fused_attention_kernelPlugin",
         {"sm_scale": (f32, 0.125), "num_heads": (i32, 2)},
         {"in": [("fp16", (1, 2, 128, 64))] * 3,
          "out": [("fp16", (1, 2, 128, 64)), ("fp32", (1, 2, 128)), ("fp32", (1, 2, 128))]}, 0),
        (TEST_KERNELS / "tuned_matmul_config.py", "_matmul_kernelPlugin", {},
         {"in": [("fp16", (100, 64)), ("fp16", (64, 30))], "out": [("fp16", (100, 30))]}, 3),
        (TEST_KERNELS / "heuristic_rows_config.py", "_rms_norm_kernelPlugin", {"eps": (f32, 1e-5)},
         {"in": [("fp16", (7, 100)), ("fp16", (100,))], "out": [("fp16", (7, 100))]}, 0),
        (TEST_KERNELS / "tuned_accumulate_config.py", "_accumulate_kernelPlugin", {"alpha": (f32, 2.0)},
         {"in": [("fp32", (3, 5, 7))], "out": [("fp32", (3, 5, 7))]}, 2),
    ]
    arg = json.dumps([(str(build_plugin(c) / "libtriton_plugins.so"), p, f, s, t) for c, p, f, s, t in cases])
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(counting), arg], capture_output=True, text=True,
                            env=dict(os.environ, LD_PRELOAD=str(counting)))
    assert result.returncode == 0, result.stderr[-3000:]
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(counts) == len(cases)
    assert all(seen == [0] * 20 for seen in counts.values()), counts
