"""An activation over the rows of a 2-D fp32 tensor, attorch-style: relative imports of the package's heuristics and
device functions, a ``@triton.heuristics`` block size from the batch size, the activation as a string constexpr.

For ``input`` fp32 [batch_dim, feat_dim] (feat_dim <= 64)::

    output = relu(input)  or  leaky_relu(input, 0.01)
"""
import triton
import triton.language as tl

from .act_utils import apply_act_func
from .heuristics import BLOCK_SIZE_BATCH_heuristic


@triton.heuristics({'BLOCK_SIZE_BATCH': BLOCK_SIZE_BATCH_heuristic})
@triton.jit
def act_func_forward_kernel(input_pointer, output_pointer, batch_dim, feat_dim, act_func: tl.constexpr,
                            BLOCK_SIZE_FEAT: tl.constexpr, BLOCK_SIZE_BATCH: tl.constexpr):
    batch_offset = tl.program_id(0) * BLOCK_SIZE_BATCH + tl.arange(0, BLOCK_SIZE_BATCH)
    feat_offset = tl.arange(0, BLOCK_SIZE_FEAT)
    offsets = batch_offset[:, None] * feat_dim + feat_offset[None, :]
    inside = (batch_offset < batch_dim)[:, None] & (feat_offset < feat_dim)[None, :]
    x = tl.load(input_pointer + offsets, mask=inside)
    tl.store(output_pointer + offsets, apply_act_func(x, act_func), mask=inside)
