"""i64 ParamArg (must survive values above 2^32), i64 DimSizeArg, i32 input, i64 output.

Python wrapper: ``fill_index_kernel(offset, x)``; x is int32 [n]; out is int64 [n].
"""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='fill_index_kernel',
        kernel_file='fill_index.py',
        ios=[
            InputArg('x', Type('tensor[i32]'), hints=['16', '']),
            OutputArg('out', Type('tensor[i64]'), hints=['16', '']),
            ParamArg('offset', Type('i64')),
            DimSizeArg('n', dtype=Type('i64'), hints=['16', '']),
            Constexpr(512),  # BLOCK
        ],
        shape_infer_rules=[
            'x[d] -> out[d]',
            'x[d] : d -> n',
        ],
        version=1,
        num_warps=4,
        num_stages=2,
        grid_dims=('cdiv(n, 512)', '1', '1'),
    ),
]
