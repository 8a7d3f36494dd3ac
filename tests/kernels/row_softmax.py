"""Row softmax of a 2-D fp16 tensor with two outputs of different dtype and rank.

For ``x`` of shape [rows, cols]::

    y[r, :]   = softmax(x[r, :].float()).half()      # fp16 [rows, cols]
    rowmax[r] = max_c x[r, c]  (as fp32)             # fp32 [rows]

One program per row. The row is walked in tiles of ``BLOCK`` columns (three passes: max, sum, write), so
any ``cols >= 1`` works, power of two or not; ``BLOCK`` is only the tile width. With ``cols == 0`` nothing
is written to ``y`` and ``rowmax`` is -inf.
"""
import triton
import triton.language as tl


@triton.jit
def row_softmax_kernel(x, y, rowmax, rows, cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    base = row.to(tl.int64) * cols
    offs = tl.arange(0, BLOCK)

    # Pass 1: the row max. Each tile starts below cols, so it has at least one unmasked element.
    m = float("-inf")
    for start in range(0, cols, BLOCK):
        mask = start + offs < cols
        v = tl.load(x + base + start + offs, mask=mask, other=float("-inf")).to(tl.float32)
        m = tl.maximum(m, tl.max(v, axis=0))

    # Pass 2: the denominator.
    denom = 0.0
    for start in range(0, cols, BLOCK):
        mask = start + offs < cols
        v = tl.load(x + base + start + offs, mask=mask, other=float("-inf")).to(tl.float32)
        denom += tl.sum(tl.where(mask, tl.exp(v - m), 0.0), axis=0)

    # Pass 3: the normalized row.
    for start in range(0, cols, BLOCK):
        mask = start + offs < cols
        v = tl.load(x + base + start + offs, mask=mask, other=float("-inf")).to(tl.float32)
        tl.store(y + base + start + offs, (tl.exp(v - m) / denom).to(tl.float16), mask=mask)

    tl.store(rowmax + row, m)
