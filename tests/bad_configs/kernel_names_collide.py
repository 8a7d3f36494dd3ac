"""'_copy_kernel' and 'copy_kernel' both become Python function copy_kernel."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='copy_kernel',
        kernel_file='tuned_kernels.py',
        ios=[
            InputArg('x', Type('tensor[fp32]')),
            OutputArg('out', Type('tensor[fp32]')),
            DimSizeArg('n'),
            Constexpr(128),
        ],
        shape_infer_rules=[
            'x[d] -> out[d]',
            'x[d] : d -> n',
        ],
        grid_dims=('cdiv(n, 128)', '1', '1'),
    ),
    KernelMetaData(
        kernel_name='_copy_kernel',  # <-- error
        kernel_file='tuned_kernels.py',
        ios=[
            InputArg('x', Type('tensor[fp32]')),
            OutputArg('out', Type('tensor[fp32]')),
            DimSizeArg('n'),
            Constexpr(128),
        ],
        shape_infer_rules=[
            'x[d] -> out[d]',
            'x[d] : d -> n',
        ],
        grid_dims=('cdiv(n, 128)', '1', '1'),
    ),
]
