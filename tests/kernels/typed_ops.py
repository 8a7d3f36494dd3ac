"""Kernels written once for several dtypes: the tensors' element type follows the pointers.

* ``axpby``: ``out = alpha * x + beta * y`` elementwise, alpha and beta in the tensors' type.
* ``row_rms``: per row of ``x[rows, cols]``, ``y = x / rms`` in x's type and the side output ``rms`` in fp32
  (``rms = sqrt(mean(x**2) + eps)``, accumulated in fp32).
"""
import triton
import triton.language as tl


@triton.jit
def axpby_kernel(x, y, out, alpha, beta, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    a = tl.load(x + offs, mask=mask)
    b = tl.load(y + offs, mask=mask)
    tl.store(out + offs, alpha * a + beta * b, mask=mask)


@triton.jit
def row_rms_kernel(x, y, rms, eps, cols, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    total = tl.zeros([BLOCK], dtype=tl.float32)
    for start in range(0, cols, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        v = tl.load(x + row * cols + offs, mask=offs < cols, other=0.0).to(tl.float32)
        total += v * v
    r = tl.sqrt(tl.sum(total, axis=0) / cols + eps)
    tl.store(rms + row, r)
    for start in range(0, cols, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        v = tl.load(x + row * cols + offs, mask=offs < cols, other=0.0).to(tl.float32)
        tl.store(y + row * cols + offs, (v / r).to(y.dtype.element_ty), mask=offs < cols)
