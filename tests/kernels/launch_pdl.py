"""A kernel launched with programmatic dependent launch (Triton's launch_pdl=True, Triton 3.4 or newer): it may
start while the previous kernel in the stream still runs, and waits for it (gdc_wait) before reading its output.
out = x + 1."""
import triton
import triton.language as tl
from triton.language.extra.cuda import gdc_launch_dependents, gdc_wait


@triton.jit
def pdl_increment_kernel(x, out, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    gdc_wait()  # the previous kernel's writes (x) are visible from here on
    value = tl.load(x + offs, mask=offs < n)
    gdc_launch_dependents()
    tl.store(out + offs, value + 1, mask=offs < n)
