"""fp32 copy ``out[i] = x[i]``, compiled only for 16-aligned pointers and n % 16 == 0.

See ``aligned_only_config.py``: there is no generic variant, so a misaligned pointer (e.g. ``x[1:]`` of an
aligned fp32 buffer) or an ``n`` that is not a multiple of 16 must make the plugin fail with a clear error
instead of launching or silently doing nothing.
"""
import triton
import triton.language as tl


@triton.jit
def aligned_copy_kernel(x, out, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out + offs, tl.load(x + offs, mask=mask), mask=mask)
