"""RMS norm forward over the rows of a 2-D fp16 tensor, one program per row, the whole row in one tile: the shape of
Liger-Kernel's row kernels (a ``BLOCK_SIZE`` that is the row width rounded up to a power of two, masked loads,
per-row strides, a cached per-row statistic), whose Python wrappers choose ``BLOCK_SIZE`` and ``num_warps`` from
the row width. (plugingen's own test kernel; no Liger code.)

For ``X`` fp16 [rows, n_cols] and ``W`` fp16 [n_cols]::

    xf   = X.float()
    RSTD = 1 / sqrt((xf * xf).mean(-1) + eps)                 # fp32 [rows]
    Y    = (xf * RSTD[:, None] * W.float()).half()            # fp16 [rows, n_cols]

The kernel needs ``BLOCK_SIZE >= n_cols`` (it loads the row once); its wrapper takes ``next_power_of_2(n_cols)``.
"""
import triton
import triton.language as tl


@triton.jit
def rms_norm_rows_kernel(Y_ptr, Y_row_stride, X_ptr, X_row_stride, W_ptr, RSTD_ptr, n_cols, eps,
                         BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK_SIZE)
    in_row = cols < n_cols

    x = tl.load(X_ptr + row * X_row_stride + cols, mask=in_row, other=0.0).to(tl.float32)
    w = tl.load(W_ptr + cols, mask=in_row, other=0.0).to(tl.float32)

    mean_square = tl.sum(x * x, axis=0) / n_cols
    rstd = tl.rsqrt(mean_square + eps)
    tl.store(RSTD_ptr + row, rstd)

    y = x * rstd * w
    tl.store(Y_ptr + row * Y_row_stride + cols, y.to(tl.float16), mask=in_row)
