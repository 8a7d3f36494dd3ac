"""bf16 GELU (tanh approximation) over a 2-D tensor, on a 2-D grid.

For ``x`` of shape [rows, cols], computed in fp32 and rounded to bf16::

    y = 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x**3)))

which is ``torch.nn.functional.gelu(x.float(), approximate='tanh').bfloat16()``. tanh is evaluated as
``1 - 2 / (exp(2u) + 1)`` (exact in the limits: +-inf give +-1).
"""
import triton
import triton.language as tl


@triton.jit
def gelu_bf16_kernel(x, y, rows, cols, BLOCK: tl.constexpr):
    col_block = tl.program_id(0)
    row = tl.program_id(1)
    offs = col_block * BLOCK + tl.arange(0, BLOCK)
    mask = offs < cols
    base = row.to(tl.int64) * cols
    v = tl.load(x + base + offs, mask=mask, other=0.0).to(tl.float32)
    u = 0.7978845608028654 * (v + 0.044715 * v * v * v)  # sqrt(2/pi) * (...)
    tanh_u = 1.0 - 2.0 / (tl.exp(2.0 * u) + 1.0)
    tl.store(y + base + offs, (0.5 * v * (1.0 + tanh_u)).to(tl.bfloat16), mask=mask)
