"""Heuristics: BLOCK_SIZE (an integer per launch, one image per value of its domain) and EVEN_N (a truth value:
both compiled); a launch value (``rows``, not a kernel parameter) sizes the grid.

Python wrapper: ``rms_norm_kernel(X, W, eps=...)`` -> ``[Y]``; X fp16 [rows, N] with N <= 2048, W fp16 [N].
"""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='_rms_norm_kernel',
        kernel_file='heuristic_rows.py',
        ios=[
            InputArg('X', Type('tensor[fp16]')),
            OutputArg('Y', Type('tensor[fp16]')),
            InputArg('W', Type('tensor[fp16]')),
            DimSizeArg('stride'),
            DimSizeArg('N'),
            ParamArg('eps', Type('fp32')),
        ],
        shape_infer_rules=[
            'X[m, n], W[n] -> Y[m, n]',
            'X[m, n] : n -> stride',
            'X[m, n] : n -> N',
            'X[m, n] : m -> rows',
        ],
        num_warps=4,
        grid_dims=('rows', '1', '1'),
        domains={'BLOCK_SIZE': [16, 32, 64, 128, 256, 512, 1024, 2048]},
    ),
]
