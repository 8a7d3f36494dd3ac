"""Two heuristics, the second reading the first; the first cannot become plugin code."""
import triton
import triton.language as tl


@triton.heuristics({"HALF": lambda args: args["n"] / 2})  # <-- error
@triton.heuristics({"EVEN": lambda args: args["n"] % args["HALF"] == 0})
@triton.jit
def add_kernel(x, y, out, n, BLOCK: tl.constexpr, HALF: tl.constexpr, EVEN: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out + offs, tl.load(x + offs, mask=mask) + tl.load(y + offs, mask=mask), mask=mask)
