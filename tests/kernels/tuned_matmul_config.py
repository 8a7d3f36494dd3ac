"""An autotuned kernel as its author wrote it: ios lists only what a caller passes (the configs set the BLOCK_*
meta-parameters, the heuristic sets EVEN_K); the grid names the meta-parameters; every config is a TensorRT tactic.

Python wrapper: ``matmul_kernel(a, b)`` -> ``[c]``; a is fp16 [M, K], b fp16 [K, N], c = leaky_relu(a @ b) [M, N].
"""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='_matmul_kernel',
        kernel_file='tuned_matmul.py',
        ios=[
            InputArg('a', Type('tensor[fp16]')),
            InputArg('b', Type('tensor[fp16]')),
            OutputArg('c', Type('tensor[fp16]')),
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
            'a[m, k], b[k, n] -> c[m, n]',
            'a[m, k] : m -> M',
            'b[k, n] : n -> N',
            'a[m, k] : k -> K',
            'a[m, k] : k -> stride_am',
            'a[m, k] : 1 -> stride_ak',
            'b[k, n] : n -> stride_bk',
            'b[k, n] : 1 -> stride_bn',
            'b[k, n] : n -> stride_cm',
            'b[k, n] : 1 -> stride_cn',
        ],
        grid_dims=('cdiv(M, BLOCK_M) * cdiv(N, BLOCK_N)', '1', '1'),
    ),
]
