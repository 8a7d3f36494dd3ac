"""Fused multi-head attention forward (flash-attention style), non-causal, for plugingen.

Shapes (all tensors contiguous, row-major)::

    Q, K, V : fp16 [batch_size, num_heads, seq_len, 64]
    Out     : fp16 [batch_size, num_heads, seq_len, 64]
    L, M    : fp32 [batch_size, num_heads, seq_len]

With ``S = sm_scale * Q @ K^T`` (fp32, shape [batch, heads, seq_len, seq_len]), for every query row ``i``::

    M[b, h, i]   = max_j S[b, h, i, j]                         # row max of the scaled scores
    L[b, h, i]   = sum_j exp(S[b, h, i, j] - M[b, h, i])       # softmax denominator relative to M (>= 1)
    Out[b, h, i] = sum_j exp(S[b, h, i, j] - M[b, h, i]) / L[b, h, i] * V[b, h, j]   # = softmax(S) @ V

All logarithms/exponentials are natural (base e), so ``M + log(L)`` is the row's log-sum-exp. The torch
reference is::

    S   = sm_scale * (Q.float() @ K.float().transpose(-1, -2))
    M   = S.amax(-1)
    L   = torch.exp(S - M[..., None]).sum(-1)
    Out = (torch.softmax(S, -1) @ V.float()).half()

(the kernel rounds the unnormalized probabilities to fp16 before ``P @ V``; compare Out with fp16 tolerances,
e.g. atol=rtol=1e-2, and L, M with fp32-accumulation tolerances, e.g. atol=rtol=1e-3).

Works for any ``seq_len >= 1`` (not only multiples of ``BLOCK_M``/``BLOCK_N``): loads are masked, key
columns at or beyond ``seq_len`` get a score of -inf, and rows at or beyond ``seq_len`` are never stored.
``seq_len == 0`` launches an empty grid. The head size is fixed at ``BLOCK_DMODEL`` (64 in the config);
nothing checks it at run time, so the caller must pass head size 64.

Grid: ``(cdiv(seq_len, BLOCK_M), batch_size * num_heads, 1)``. Program (m, bh) computes query rows
``m*BLOCK_M ...`` of the (batch, head) pair ``bh = b * num_heads + h``. Softmax is computed online over key
blocks of ``BLOCK_N`` with fp32 accumulators; ``P`` is rounded to fp16 for the ``P @ V`` product.
"""
import triton
import triton.language as tl


@triton.jit
def fused_attention_kernel(
    Out, L, M,  # outputs
    Q, K, V,  # inputs
    sm_scale,
    batch_size, num_heads, seq_len,
    BLOCK_M: tl.constexpr,
    BLOCK_DMODEL: tl.constexpr,
    BLOCK_N: tl.constexpr,
):
    start_m = tl.program_id(0)
    off_hz = tl.program_id(1)  # b * num_heads + h; batch_size and num_heads only size the grid

    offs_m = start_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, BLOCK_DMODEL)
    row_ok = offs_m < seq_len

    # int64 base offsets: batch * heads * seq_len * 64 can exceed 2^31.
    qkv_base = off_hz.to(tl.int64) * seq_len * BLOCK_DMODEL
    lm_base = off_hz.to(tl.int64) * seq_len

    q_ptrs = Q + qkv_base + offs_m[:, None] * BLOCK_DMODEL + offs_d[None, :]
    q = tl.load(q_ptrs, mask=row_ok[:, None], other=0.0)

    m_i = tl.full([BLOCK_M], float("-inf"), dtype=tl.float32)
    l_i = tl.zeros([BLOCK_M], dtype=tl.float32)
    acc = tl.zeros([BLOCK_M, BLOCK_DMODEL], dtype=tl.float32)

    # Every key block starts below seq_len, so it holds at least one unmasked column: the running max is
    # finite after the first block and exp(-inf - finite) = 0 never meets an (-inf) - (-inf).
    for start_n in range(0, seq_len, BLOCK_N):
        cols = start_n + offs_n
        col_ok = cols < seq_len
        # K is read transposed: kt[d, j] = K[cols[j], d].
        kt_ptrs = K + qkv_base + cols[None, :] * BLOCK_DMODEL + offs_d[:, None]
        kt = tl.load(kt_ptrs, mask=col_ok[None, :], other=0.0)
        s = tl.dot(q, kt) * sm_scale  # fp32 [BLOCK_M, BLOCK_N]
        s = tl.where(col_ok[None, :], s, float("-inf"))

        m_new = tl.maximum(m_i, tl.max(s, axis=1))
        alpha = tl.exp(m_i - m_new)  # rescales what was accumulated against the old max
        p = tl.exp(s - m_new[:, None])  # 0 for the masked columns
        l_i = l_i * alpha + tl.sum(p, axis=1)

        v_ptrs = V + qkv_base + cols[:, None] * BLOCK_DMODEL + offs_d[None, :]
        v = tl.load(v_ptrs, mask=col_ok[:, None], other=0.0)
        acc = acc * alpha[:, None] + tl.dot(p.to(tl.float16), v)
        m_i = m_new

    out = acc / l_i[:, None]
    out_ptrs = Out + qkv_base + offs_m[:, None] * BLOCK_DMODEL + offs_d[None, :]
    tl.store(out_ptrs, out.to(tl.float16), mask=row_ok[:, None])
    tl.store(L + lm_base + offs_m, l_i, mask=row_ok)
    tl.store(M + lm_base + offs_m, m_i, mask=row_ok)
