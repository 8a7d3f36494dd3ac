"""fp16 vector add: ``out[i] = x[i] + y[i]`` for ``0 <= i < n``.

The simplest plugingen example. Each program handles ``BLOCK`` consecutive elements; the tail block is
masked, so any ``n >= 0`` works (the plugin launches nothing when ``n == 0``). The sum is computed in fp16,
exactly as ``torch.add`` does for two fp16 tensors.
"""
import triton
import triton.language as tl


@triton.jit
def vector_add_kernel(x, y, out, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    # int64 offsets: n itself is int32, but pid * BLOCK + BLOCK - 1 may not be.
    offs = pid.to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    a = tl.load(x + offs, mask=mask)
    b = tl.load(y + offs, mask=mask)
    tl.store(out + offs, a + b, mask=mask)
