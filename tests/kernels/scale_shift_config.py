"""fp32 ParamArgs (alpha, beta) passed at their true width; grid uses the constexpr name BLOCK.

Python wrapper: ``scale_shift_kernel(alpha, beta, x)``; x is rank-1 fp32.
"""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='scale_shift_kernel',
        kernel_file='scale_shift.py',
        ios=[
            InputArg('x', Type('tensor[fp32]'), hints=['16', '']),
            OutputArg('out', Type('tensor[fp32]'), hints=['16', '']),
            ParamArg('alpha', Type('fp32')),
            ParamArg('beta', Type('fp32')),
            DimSizeArg('n', hints=['16', '']),
            Constexpr(1024),  # BLOCK
        ],
        shape_infer_rules=[
            'x[d] -> out[d]',
            'x[d] : d -> n',
        ],
        version=1,
        num_warps=4,
        num_stages=2,
        grid_dims=('cdiv(n, BLOCK)', '1', '1'),
    ),
]
