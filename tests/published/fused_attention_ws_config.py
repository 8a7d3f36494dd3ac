"""The Triton tutorial's fused attention forward (06-fused-attention.py, `_attn_fwd`) as its wrapper launches it on
Hopper by default: warp-specialised (warp_specialize=True), taking q, k, v and o as plain tensors from which the
kernel builds its TMA descriptors on the device (`tl.make_tensor_descriptor`; their global scratch comes from
TensorRT's workspace). Causal (STAGE=3), fp16, HEAD_DIM 64; `configs=` as in fused_attention_config.py, and the same
constraint (whole blocks of queries and keys)."""
import triton

from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='_attn_fwd',
        kernel_file='fused_attention.py',
        configs=[triton.Config({'BLOCK_M': 128, 'BLOCK_N': 64}, num_stages=3, num_warps=4),
                 triton.Config({'BLOCK_M': 128, 'BLOCK_N': 128}, num_stages=3, num_warps=8)],
        ios=[
            ParamArg('sm_scale', Type('fp32')),
            OutputArg('M', Type('tensor[fp32]')),
            DimSizeArg('Z'),
            DimSizeArg('H'),
            InputArg('desc_q', Type('tensor[fp16]')),
            InputArg('desc_k', Type('tensor[fp16]')),
            InputArg('desc_v', Type('tensor[fp16]')),
            OutputArg('desc_o', Type('tensor[fp16]')),
            DimSizeArg('N_CTX'),
            Constexpr(64),  # HEAD_DIM
            Constexpr(False),  # FP8_OUTPUT
            Constexpr(3),  # STAGE: causal
            Constexpr(True),  # warp_specialize
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
