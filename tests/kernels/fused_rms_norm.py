"""Fused residual add + RMS norm over the rows of a 2-D fp16 tensor, in the style of flash-attention's fused
layer-norm kernel: the optional tensors (bias, residual, the residual output) are pointers a caller passes as
``None``, each paired with a ``tl.constexpr`` flag that compiles its use in or out. Triton's JIT specialises a
``None`` argument as a constexpr, so each combination of absent tensors is its own compiled kernel; in a config
that is ``Constexpr(None)`` at the pointer and ``Constexpr(False)`` at its flag. (plugingen's own test kernel.)

For ``X`` fp16 [rows, N], ``W`` fp16 [N] and the optional ``RESIDUAL`` fp16 [rows, N], ``B`` fp16 [N]::

    h      = X.float() + (RESIDUAL.float() if HAS_RESIDUAL else 0)
    Rstd   = 1 / sqrt((h * h).mean(-1) + eps)                    # fp32 [rows]
    Y      = (h * Rstd[:, None] * W.float() + (B.float() if HAS_BIAS else 0)).half()
    RESIDUAL_OUT = h                                             # fp32 [rows, N], if STORE_RESIDUAL_OUT

One program per row; the row must fit one tile (``N <= BLOCK_N``).
"""
import triton
import triton.language as tl


@triton.jit
def _rms_norm_fwd_kernel(X, Y, W, B, RESIDUAL, RESIDUAL_OUT, Rstd, stride_row, N, eps, BLOCK_N: tl.constexpr,
                         HAS_RESIDUAL: tl.constexpr, STORE_RESIDUAL_OUT: tl.constexpr, HAS_BIAS: tl.constexpr):
    row = tl.program_id(0)
    X += row * stride_row
    Y += row * stride_row
    if HAS_RESIDUAL:
        RESIDUAL += row * stride_row
    if STORE_RESIDUAL_OUT:
        RESIDUAL_OUT += row * stride_row
    cols = tl.arange(0, BLOCK_N)
    inside = cols < N
    h = tl.load(X + cols, mask=inside, other=0.0).to(tl.float32)
    if HAS_RESIDUAL:
        h += tl.load(RESIDUAL + cols, mask=inside, other=0.0).to(tl.float32)
    if STORE_RESIDUAL_OUT:
        tl.store(RESIDUAL_OUT + cols, h, mask=inside)
    mean_square = tl.sum(h * h, axis=0) / N
    rstd = 1 / tl.sqrt(mean_square + eps)
    tl.store(Rstd + row, rstd)
    w = tl.load(W + cols, mask=inside).to(tl.float32)
    y = h * rstd * w
    if HAS_BIAS:
        y += tl.load(B + cols, mask=inside).to(tl.float32)
    tl.store(Y + cols, y.to(tl.float16), mask=inside)
