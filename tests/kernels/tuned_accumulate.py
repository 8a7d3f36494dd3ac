"""An autotuned kernel that accumulates into its output with atomics, so autotune's reset_to_zero must zero the
output before every launch (the plugin does it with an async memset). (plugingen's own test kernel.)"""
import triton
import triton.language as tl


@triton.autotune(configs=[triton.Config({"BLOCK": 128}, num_warps=2), triton.Config({"BLOCK": 512}, num_warps=4),
                          triton.Config({"BLOCK": 1024}, num_warps=8, num_stages=2)],
                 key=["n"], reset_to_zero=["out"])
@triton.jit
def _accumulate_kernel(x, out, alpha, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.atomic_add(out + offs, tl.load(x + offs, mask=mask) * alpha, mask=mask)
