"""SwiGLU forward over the rows of two 2-D tensors, in the style of Liger-Kernel's ``_swiglu_forward_kernel``: the
row width ``n_cols`` is a ``tl.constexpr``, so each intermediate size of a model is its own compiled kernel, and
its wrapper takes the tile and warps from it (Liger's ``calculate_settings``). (plugingen's own test kernel.)

For ``a``, ``b`` fp16 [rows, n_cols]::

    c = (silu(a.float()).half() * b)          # silu(x) = x * sigmoid(x); fp16 [rows, n_cols]
"""
import triton
import triton.language as tl


@triton.jit
def _silu(x):
    return x * tl.sigmoid(x)


@triton.jit
def _swiglu_forward_kernel(a_ptr, b_ptr, c_ptr, row_stride, n_cols: tl.constexpr, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    offsets = row * row_stride + tl.arange(0, BLOCK_SIZE)
    inside = tl.arange(0, BLOCK_SIZE) < n_cols
    gate = tl.load(a_ptr + offsets, mask=inside, other=0).to(tl.float32)
    up = tl.load(b_ptr + offsets, mask=inside, other=0)
    tl.store(c_ptr + offsets, _silu(gate).to(up.dtype) * up, mask=inside)
