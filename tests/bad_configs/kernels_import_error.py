"""A kernel file that fails when imported."""
import triton
import triton.language as tl
import triton_helpers_that_do_not_exist  # noqa: F401  # <-- error


@triton.jit
def add_kernel(x, y, out, n, BLOCK: tl.constexpr):
    pass
