"""Kernels that update a tensor in place.

* ``accumulate_kernel``: ``acc += alpha * x`` (``acc`` read and written through one pointer, ``acc_out``).
* ``cache_write_kernel``: writes ``new[b, d]`` into row ``pos`` of ``cache[b, s, d]``, leaving other rows as they are.
* ``scale_kernel``: ``x *= alpha`` through its one pointer ``x``.
"""
import triton
import triton.language as tl


@triton.jit
def accumulate_kernel(acc, x, acc_out, alpha, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    a = tl.load(acc + offs, mask=mask)
    v = tl.load(x + offs, mask=mask)
    tl.store(acc_out + offs, a + alpha * v, mask=mask)


@triton.jit
def cache_write_kernel(cache, new, cache_out, pos, seq, dim, BLOCK: tl.constexpr):
    b = tl.program_id(0).to(tl.int64)
    offs = tl.arange(0, BLOCK)
    for start in range(0, dim, BLOCK):
        mask = start + offs < dim
        v = tl.load(new + b * dim + start + offs, mask=mask)
        tl.store(cache_out + (b * seq + pos) * dim + start + offs, v, mask=mask)


@triton.jit
def scale_kernel(x, alpha, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(x + offs, tl.load(x + offs, mask=mask) * alpha, mask=mask)
