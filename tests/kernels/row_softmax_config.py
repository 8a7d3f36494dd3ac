"""Two outputs of different dtypes and ranks from one multi-output shape rule; two DimSizeArgs.

Python wrapper: ``row_softmax_kernel(x)`` -> ``[y, rowmax]``; x is fp16 [rows, cols] (exactly rank 2).
"""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='row_softmax_kernel',
        kernel_file='row_softmax.py',
        ios=[
            InputArg('x', Type('tensor[fp16]'), hints=['16', '']),
            OutputArg('y', Type('tensor[fp16]'), hints=['16', '']),
            OutputArg('rowmax', Type('tensor[fp32]'), hints=['16', '']),
            DimSizeArg('rows'),
            DimSizeArg('cols', hints=['16', '']),
            Constexpr(1024),  # BLOCK: tile width, not a limit on cols
        ],
        shape_infer_rules=[
            'x[r, c] -> y[r, c], rowmax[r]',
            'x[r, c] : r -> rows',
            'x[r, c] : c -> cols',
        ],
        version=1,
        num_warps=4,
        num_stages=2,
        grid_dims=('rows', '1', '1'),
    ),
]
