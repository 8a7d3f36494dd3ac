"""The Triton tutorial's fused attention forward (06-fused-attention.py, `_attn_fwd`), as published: host tensor
descriptors over q, k, v and o (each [Z, H, N_CTX, HEAD_DIM], seen as the [Z * H * N_CTX, HEAD_DIM] matrix the
tutorial's TensorDescriptors describe), causal (STAGE=3), fp16, HEAD_DIM 64, as its wrapper launches it on Hopper
(warp_specialize off with host descriptors there).

The tutorial's autotune list is pruned by N_CTX (a launch argument), so `configs=` gives the tactics; their block
shapes are written with the descriptors (the tutorial's pre_hook sets the same ones). The kernel reads whole blocks
of keys and queries (no masking), so N_CTX must be a multiple of BLOCK_M: a constraint, checked before every launch.
"""
import triton

from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='_attn_fwd',
        kernel_file='fused_attention.py',
        configs=[triton.Config({'BLOCK_M': 128, 'BLOCK_N': 64}, num_stages=3, num_warps=4),
                 triton.Config({'BLOCK_M': 128, 'BLOCK_N': 32}, num_stages=4, num_warps=4)],
        ios=[
            ParamArg('sm_scale', Type('fp32')),
            OutputArg('M', Type('tensor[fp32]')),
            DimSizeArg('Z'),
            DimSizeArg('H'),
            InputArg('desc_q', Type('tensordesc[fp16]'), block_shape=['BLOCK_M', 'HEAD_DIM']),
            InputArg('desc_k', Type('tensordesc[fp16]'), block_shape=['BLOCK_N', 'HEAD_DIM']),
            InputArg('desc_v', Type('tensordesc[fp16]'), block_shape=['BLOCK_N', 'HEAD_DIM']),
            OutputArg('desc_o', Type('tensordesc[fp16]'), block_shape=['BLOCK_M', 'HEAD_DIM']),
            DimSizeArg('N_CTX'),
            Constexpr(64),  # HEAD_DIM
            Constexpr(False),  # FP8_OUTPUT
            Constexpr(3),  # STAGE: causal
            Constexpr(False),  # warp_specialize
            Constexpr(True),  # IS_HOPPER
        ],
        shape_infer_rules=[
            'desc_q[z, h, n, 64], desc_k[z, h, n, 64], desc_v[z, h, n, 64] -> desc_o[z, h, n, 64], M[z, h, n]',
            'desc_q[z, h, n, 64] : z -> Z',
            'desc_q[z, h, n, 64] : h -> H',
            'desc_q[z, h, n, 64] : n -> N_CTX',
        ],
        constraints=['N_CTX % BLOCK_M == 0'],
        grid_dims=('cdiv(N_CTX, BLOCK_M)', 'Z * H', '1'),
    ),
]
