"""The Triton tutorial's autotuned matmul (03-matrix-multiplication.py), as published: 16 configs = 16 tactics."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='matmul_kernel',
        kernel_file='matmul.py',
        ios=[
            InputArg('a_ptr', Type('tensor[fp16]')),
            InputArg('b_ptr', Type('tensor[fp16]')),
            OutputArg('c_ptr', Type('tensor[fp16]')),
            DimSizeArg('M'),
            DimSizeArg('N'),
            DimSizeArg('K'),
            DimSizeArg('stride_am'),
            DimSizeArg('stride_ak'),
            DimSizeArg('stride_bk'),
            DimSizeArg('stride_bn'),
            DimSizeArg('stride_cm'),
            DimSizeArg('stride_cn'),
            Constexpr('leaky_relu'),  # ACTIVATION
        ],
        shape_infer_rules=[
            'a_ptr[m, k], b_ptr[k, n] -> c_ptr[m, n]',
            'a_ptr[m, k] : m -> M',
            'b_ptr[k, n] : n -> N',
            'a_ptr[m, k] : k -> K',
            'a_ptr[m, k] : k -> stride_am',
            'a_ptr[m, k] : 1 -> stride_ak',
            'b_ptr[k, n] : n -> stride_bk',
            'b_ptr[k, n] : 1 -> stride_bn',
            'b_ptr[k, n] : n -> stride_cm',
            'b_ptr[k, n] : 1 -> stride_cn',
        ],
        grid_dims=('cdiv(M, BLOCK_SIZE_M) * cdiv(N, BLOCK_SIZE_N)', '1', '1'),
    ),
]
