"""Kernels Triton rejects for some constexpr values: a heuristic's domain value, a static assertion."""
import triton
import triton.language as tl


@triton.heuristics({"BLOCK_D": lambda args: args["d"]})
@triton.jit
def rows_kernel(x, out, d, BLOCK_D: tl.constexpr):
    offs = tl.program_id(0) * d + tl.arange(0, BLOCK_D)
    mask = tl.arange(0, BLOCK_D) < d
    tl.store(out + offs, tl.load(x + offs, mask=mask), mask=mask)


@triton.jit
def asserting_kernel(x, out, n, BLOCK: tl.constexpr):
    tl.static_assert(BLOCK % 64 == 0)
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(out + offs, tl.load(x + offs, mask=offs < n), mask=offs < n)
