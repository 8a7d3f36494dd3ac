"""fp8 (e4m3) quantisation and back: ``q = fp8(x * scale)``, ``y = q / scale`` in x's type."""
import triton
import triton.language as tl


@triton.jit
def fp8_quantize_kernel(x, q, scale, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    v = tl.load(x + offs, mask=mask).to(tl.float32)
    tl.store(q + offs, (v * scale).to(q.dtype.element_ty), mask=mask)


@triton.jit
def fp8_dequantize_kernel(q, y, scale, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    v = tl.load(q + offs, mask=mask).to(tl.float32)
    tl.store(y + offs, (v / scale).to(y.dtype.element_ty), mask=mask)
