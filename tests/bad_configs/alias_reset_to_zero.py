"""reset_to_zero of an in-place output."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='zeroed_kernel',
        kernel_file='inplace_kernels.py',
        ios=[
            InputArg('x', Type('tensor[fp32]')),
            OutputArg('out', Type('tensor[fp32]'), alias='x'),
            DimSizeArg('n'),
        ],
        shape_infer_rules=['x[d] : d -> n'],
        grid_dims=('cdiv(n, BLOCK)', '1', '1'),
    ),
]
