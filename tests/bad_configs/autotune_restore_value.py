"""restore_value: the kernel updates a tensor in place."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='restoring_kernel',
        kernel_file='tuned_kernels.py',
        ios=[
            InputArg('x', Type('tensor[fp32]')),
            OutputArg('out', Type('tensor[fp32]')),
            DimSizeArg('n'),
        ],
        shape_infer_rules=[
            'x[d] -> out[d]',
            'x[d] : d -> n',
        ],
        grid_dims=('cdiv(n, BLOCK)', '1', '1'),
    ),
]
