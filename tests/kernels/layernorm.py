"""LayerNorm over the last dim of a 3-D fp16 tensor, with an i32 attribute that also sizes the grid.

For ``x`` fp16 [b, s, h], ``w`` and ``bias`` fp32 [h], ``rows = b * s``, ``hidden = h``::

    xf     = x.float()
    mean   = xf.mean(-1, keepdim=True)
    var    = ((xf - mean) ** 2).mean(-1, keepdim=True)          # biased variance
    y      = ((xf - mean) / sqrt(var + eps) * w + bias).half()  # fp16 [b, s, h]

i.e. ``torch.nn.functional.layer_norm(x.float(), (h,), w, bias, eps).half()``.
Each program normalizes ``rows_per_program`` consecutive rows (an i32 attribute, >= 1), so the grid is
``cdiv(rows, rows_per_program)``. Rows are walked in tiles of ``BLOCK`` (three passes: mean, variance,
write), so any ``hidden >= 1`` works.
"""
import triton
import triton.language as tl


@triton.jit
def layernorm_kernel(x, w, bias, y, eps, rows_per_program, rows, hidden, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    first = tl.program_id(0) * rows_per_program
    for r in range(0, rows_per_program):
        row = first + r
        if row < rows:
            base = row.to(tl.int64) * hidden
            acc = tl.zeros([BLOCK], dtype=tl.float32)
            for start in range(0, hidden, BLOCK):
                mask = start + offs < hidden
                acc += tl.load(x + base + start + offs, mask=mask, other=0.0).to(tl.float32)
            mean = tl.sum(acc, axis=0) / hidden

            acc = tl.zeros([BLOCK], dtype=tl.float32)
            for start in range(0, hidden, BLOCK):
                mask = start + offs < hidden
                v = tl.load(x + base + start + offs, mask=mask, other=0.0).to(tl.float32)
                d = tl.where(mask, v - mean, 0.0)
                acc += d * d
            rstd = 1.0 / tl.sqrt(tl.sum(acc, axis=0) / hidden + eps)

            for start in range(0, hidden, BLOCK):
                mask = start + offs < hidden
                v = tl.load(x + base + start + offs, mask=mask, other=0.0).to(tl.float32)
                g = tl.load(w + start + offs, mask=mask, other=0.0)
                b = tl.load(bias + start + offs, mask=mask, other=0.0)
                out = (v - mean) * rstd * g + b
                tl.store(y + base + start + offs, out.to(tl.float16), mask=mask)
