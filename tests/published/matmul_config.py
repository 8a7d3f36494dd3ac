"""The Triton tutorial's autotuned matmul (03-matrix-multiplication.py), as published: 16 configs = 16 tactics.

Hints give the specialisations Triton's JIT would use for common shapes (PluginGen's syntax: one variant per
position): everything a multiple of 16; only K (and the stride equal to it) a multiple of 16; aligned pointers
with odd sizes; and nothing assumed. The unit strides are always 1 ('1': compiled in, as the JIT does)."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='matmul_kernel',
        kernel_file='matmul.py',
        ios=[
            InputArg('a_ptr', Type('tensor[fp16]'), hints=['16', '16', '16', '']),
            InputArg('b_ptr', Type('tensor[fp16]'), hints=['16', '16', '16', '']),
            OutputArg('c_ptr', Type('tensor[fp16]'), hints=['16', '16', '16', '']),
            DimSizeArg('M', hints=['16', '', '', '']),
            DimSizeArg('N', hints=['16', '', '', '']),
            DimSizeArg('K', hints=['16', '16', '', '']),
            DimSizeArg('stride_am', hints=['16', '16', '', '']),
            DimSizeArg('stride_ak', hints=['1', '1', '1', '1']),
            DimSizeArg('stride_bk', hints=['16', '', '', '']),
            DimSizeArg('stride_bn', hints=['1', '1', '1', '1']),
            DimSizeArg('stride_cm', hints=['16', '', '', '']),
            DimSizeArg('stride_cn', hints=['1', '1', '1', '1']),
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
