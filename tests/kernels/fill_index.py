"""int64 arithmetic with an i64 plugin attribute that may exceed 2^32.

For ``x`` int32 of shape [n]::

    out[i] = offset + i + x[i]        # int64, wrapping on int64 overflow

With ``x = zeros`` this is ``offset + arange(n)``. ``n`` is an int64 DimSizeArg and the index is int64.
"""
import triton
import triton.language as tl


@triton.jit
def fill_index_kernel(x, out, offset, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    idx = pid.to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    mask = idx < n
    v = tl.load(x + idx, mask=mask, other=0).to(tl.int64)
    tl.store(out + idx, offset + idx + v, mask=mask)
