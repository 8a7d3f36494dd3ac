"""A kernel that needs Triton's global scratch on sm_90 (device-side TMA descriptors): the plugin asks TensorRT for
a workspace of (programs x 256 bytes + alignment) and passes it as the hidden scratch pointer. One variant only:
TMA needs aligned pointers and rows. Wrapper ``tma_scale_kernel(alpha, x)``, x fp32 ``[M, N]`` with N % 16 == 0.
Ref: ``out = alpha * x``."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='tma_scale_kernel',
        kernel_file='tma_scale.py',
        ios=[
            InputArg('x', Type('tensor[fp32]'), hints=['16']),
            OutputArg('out', Type('tensor[fp32]'), hints=['16']),
            ParamArg('alpha', Type('fp32')),
            DimSizeArg('M'),
            DimSizeArg('N', hints=['16']),
            Constexpr(64),  # BLOCK_M
            Constexpr(64),  # BLOCK_N
        ],
        shape_infer_rules=[
            'x[m, n] -> out[m, n]',
            'x[m, n] : m -> M',
            'x[m, n] : n -> N',
        ],
        num_warps=4,
        num_stages=2,
        grid_dims=('cdiv(M, BLOCK_M)', 'cdiv(N, BLOCK_N)', '1'),
    ),
]
