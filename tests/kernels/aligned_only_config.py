"""Every variant hinted '16' (no generic fallback): misaligned inputs must raise a clear error.

Python wrapper: ``aligned_copy_kernel(x)``; x is rank-1 fp32. Accepted: data pointers of x and out
divisible by 16 bytes and n % 16 == 0. Anything else: no hint variant matches.
"""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='aligned_copy_kernel',
        kernel_file='aligned_copy.py',
        ios=[
            InputArg('x', Type('tensor[fp32]'), hints=['16']),
            OutputArg('out', Type('tensor[fp32]'), hints=['16']),
            DimSizeArg('n', hints=['16']),
            Constexpr(1024),  # BLOCK
        ],
        shape_infer_rules=[
            'x[d] -> out[d]',
            'x[d] : d -> n',
        ],
        version=1,
        num_warps=4,
        num_stages=2,
        grid_dims=('cdiv(n, 1024)', '1', '1'),
    ),
]
