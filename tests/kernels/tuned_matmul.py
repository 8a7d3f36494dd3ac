"""An autotuned fp16 matmul written the way Triton's tutorials write kernels: the config list is built by asking
the driver at import, the kernel's name starts with '_', the activation is a string constexpr, and a heuristic
flag (EVEN_K) picks unmasked loads when K is a multiple of the tile. (plugingen's own test kernel.)"""
import triton
import triton.language as tl


def _on_cuda():
    return triton.runtime.driver.active.get_current_target().backend == "cuda"


def tuning_space():
    """(BLOCK_M, BLOCK_N, BLOCK_K, num_warps, num_stages) to try; chosen per arch like production kernels do."""
    if not _on_cuda():
        return []
    stages = 4 if triton.runtime.driver.active.get_current_target().arch >= 80 else 2
    shapes = [(64, 64, 32, 4), (128, 64, 32, 4), (64, 128, 64, 4), (32, 32, 32, 2)]
    return [triton.Config({"BLOCK_M": m, "BLOCK_N": n, "BLOCK_K": k, "GROUP_M": 8}, num_warps=w, num_stages=stages)
            for m, n, k, w in shapes]


@triton.autotune(configs=tuning_space(), key=["M", "N", "K"])
@triton.heuristics({"EVEN_K": lambda args: args["K"] % args["BLOCK_K"] == 0})
@triton.jit
def _matmul_kernel(a, b, c, M, N, K, stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
                   BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, GROUP_M: tl.constexpr,
                   EVEN_K: tl.constexpr, ACTIVATION: tl.constexpr):
    pid = tl.program_id(0)
    tiles_m = tl.cdiv(M, BLOCK_M)
    tiles_n = tl.cdiv(N, BLOCK_N)
    group = GROUP_M * tiles_n
    first_m = (pid // group) * GROUP_M
    rows_in_group = min(tiles_m - first_m, GROUP_M)
    pid_m = first_m + (pid % group) % rows_in_group
    pid_n = (pid % group) // rows_in_group
    rm = (pid_m * BLOCK_M + tl.arange(0, BLOCK_M)) % M
    rn = (pid_n * BLOCK_N + tl.arange(0, BLOCK_N)) % N
    rk = tl.arange(0, BLOCK_K)
    a_ptrs = a + rm[:, None] * stride_am + rk[None, :] * stride_ak
    b_ptrs = b + rk[:, None] * stride_bk + rn[None, :] * stride_bn
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for step in range(0, tl.cdiv(K, BLOCK_K)):
        if EVEN_K:
            x = tl.load(a_ptrs)
            y = tl.load(b_ptrs)
        else:
            left = K - step * BLOCK_K
            x = tl.load(a_ptrs, mask=rk[None, :] < left, other=0.0)
            y = tl.load(b_ptrs, mask=rk[:, None] < left, other=0.0)
        acc = tl.dot(x, y, acc)
        a_ptrs += BLOCK_K * stride_ak
        b_ptrs += BLOCK_K * stride_bk
    if ACTIVATION == "leaky_relu":
        acc = tl.where(acc >= 0, acc, 0.01 * acc)
    cm = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    cn = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    tl.store(c + cm[:, None] * stride_cm + cn[None, :] * stride_cn, acc.to(tl.float16),
             mask=(cm[:, None] < M) & (cn[None, :] < N))
