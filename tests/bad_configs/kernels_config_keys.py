"""An autotuned kernel whose configs set BLOCK_SIZE; the kernel's parameter is BLOCK_N."""
import triton
import triton.language as tl


@triton.autotune(configs=[
    triton.Config({"BLOCK_SIZE": 128}, num_warps=4),  # <-- error
    triton.Config({"BLOCK_SIZE": 256}, num_warps=8),
], key=["n"])
@triton.jit
def add_kernel(x, y, out, n, BLOCK_N: tl.constexpr):
    offs = tl.program_id(0) * BLOCK_N + tl.arange(0, BLOCK_N)
    mask = offs < n
    tl.store(out + offs, tl.load(x + offs, mask=mask) + tl.load(y + offs, mask=mask), mask=mask)
