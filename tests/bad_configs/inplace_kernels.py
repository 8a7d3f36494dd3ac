"""An autotuned kernel that zeroes its output before each launch (for the in-place bad configs)."""
import triton
import triton.language as tl


@triton.autotune(configs=[triton.Config({'BLOCK': 128})], key=['n'], reset_to_zero=['out'])  # <-- error
@triton.jit
def zeroed_kernel(x, out, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.atomic_add(out + offs, tl.load(x + offs, mask=offs < n), mask=offs < n)
