"""Kernels that take host tensor descriptors (Triton's TensorDescriptor): a 2-D scale over a tensor of any rank
(its leading dims flattened), and an autotuned add whose configs' pre_hook sets the descriptors' block shapes, as
Triton's tutorials do."""
import triton
import triton.language as tl


@triton.jit
def desc_scale_kernel(x_desc, y_desc, alpha, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr):
    m = tl.program_id(0) * BLOCK_M
    n = tl.program_id(1) * BLOCK_N
    x = x_desc.load([m, n])
    y_desc.store([m, n], (x.to(tl.float32) * alpha).to(tl.float16))


def set_block_shapes(nargs):
    block = [nargs["BLOCK_M"], nargs["BLOCK_N"]]
    nargs["a_desc"].block_shape = block
    nargs["b_desc"].block_shape = block
    nargs["c_desc"].block_shape = block


@triton.autotune(configs=[triton.Config({"BLOCK_M": 32, "BLOCK_N": 64}, num_warps=4, pre_hook=set_block_shapes),
                          triton.Config({"BLOCK_M": 64, "BLOCK_N": 128}, num_warps=8, pre_hook=set_block_shapes)],
                 key=["M", "N"])
@triton.jit
def desc_add_kernel(a_desc, b_desc, c_desc, M, N, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr):
    m = tl.program_id(0) * BLOCK_M
    n = tl.program_id(1) * BLOCK_N
    c_desc.store([m, n], a_desc.load([m, n]) + b_desc.load([m, n]))
