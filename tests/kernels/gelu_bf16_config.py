"""bf16 tensors; rank-2 input; 2-D grid (column blocks x rows).

Python wrapper: ``gelu_bf16_kernel(x)``; x is bf16 [rows, cols].
"""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='gelu_bf16_kernel',
        kernel_file='gelu_bf16.py',
        ios=[
            InputArg('x', Type('tensor[bf16]'), hints=['16', '']),
            OutputArg('y', Type('tensor[bf16]'), hints=['16', '']),
            DimSizeArg('rows'),
            DimSizeArg('cols', hints=['16', '']),
            Constexpr(512),  # BLOCK
        ],
        shape_infer_rules=[
            'x[r, c] -> y[r, c]',
            'x[r, c] : r -> rows',
            'x[r, c] : c -> cols',
        ],
        version=1,
        num_warps=4,
        num_stages=2,
        grid_dims=('cdiv(cols, 512)', 'rows', '1'),
    ),
]
