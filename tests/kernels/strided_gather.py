import triton
import triton.language as tl


@triton.jit
def strided_gather_kernel(x, out, stride, n, BLOCK: tl.constexpr):
    """out[i] = x[(i * stride) % n] for i < n."""
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out + offs, tl.load(x + (offs * stride) % n, mask=mask), mask=mask)
