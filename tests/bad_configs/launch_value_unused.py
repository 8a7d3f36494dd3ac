"""A ':' rule whose target is not a kernel parameter and that no grid uses."""
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
            'x[d] : d * 2 -> twice',  # <-- error
        ],
        grid_dims=('cdiv(n, 128)', '1', '1'),
    ),
]
