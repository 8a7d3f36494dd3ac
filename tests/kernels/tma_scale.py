import triton
import triton.language as tl

# tl.make_tensor_descriptor from Triton 3.4; Triton 3.3 names it _experimental_make_tensor_descriptor
make_tensor_descriptor = getattr(tl, "make_tensor_descriptor", None) or tl._experimental_make_tensor_descriptor


@triton.jit
def tma_scale_kernel(x, out, alpha, M, N, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr):
    """out = alpha * x for a row-major [M, N] fp32 matrix, through device-side tensor descriptors.

    On sm_90 Triton builds the TMA descriptors on the device, in global scratch memory (256 bytes per program),
    which the plugin carves from TensorRT's workspace. TMA needs 16-byte aligned rows: N % 4 == 0 (the config
    hints N % 16 == 0)."""
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
    src = make_tensor_descriptor(x, shape=[M, N], strides=[N, 1], block_shape=[BLOCK_M, BLOCK_N])
    dst = make_tensor_descriptor(out, shape=[M, N], strides=[N, 1], block_shape=[BLOCK_M, BLOCK_N])
    tile = src.load([pid_m * BLOCK_M, pid_n * BLOCK_N])
    dst.store([pid_m * BLOCK_M, pid_n * BLOCK_N], tile * alpha)
