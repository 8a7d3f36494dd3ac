"""A row-wise RMS norm whose tile width and masking come from @triton.heuristics, as published kernels often do:
BLOCK_SIZE = max(16, next_power_of_2(N)) (an integer: compiled for a declared set of values) and EVEN_N (a truth value:
compiled for both). (plugingen's own test kernel.)"""
import triton
import triton.language as tl


@triton.heuristics({"BLOCK_SIZE": lambda args: max(16, triton.next_power_of_2(args["N"])),
                    "EVEN_N": lambda args: args["N"] == args["BLOCK_SIZE"]})
@triton.jit
def _rms_norm_kernel(X, Y, W, stride, N, eps, BLOCK_SIZE: tl.constexpr, EVEN_N: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK_SIZE)
    if EVEN_N:
        x = tl.load(X + row * stride + cols).to(tl.float32)
        w = tl.load(W + cols).to(tl.float32)
    else:
        x = tl.load(X + row * stride + cols, mask=cols < N, other=0.0).to(tl.float32)
        w = tl.load(W + cols, mask=cols < N, other=0.0).to(tl.float32)
    y = x * tl.rsqrt(tl.sum(x * x, axis=0) / N + eps) * w
    if EVEN_N:
        tl.store(Y + row * stride + cols, y.to(tl.float16))
    else:
        tl.store(Y + row * stride + cols, y.to(tl.float16), mask=cols < N)
