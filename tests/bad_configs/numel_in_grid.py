"""numel() outside a rule."""
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
        grid_dims=('cdiv(numel(x), 128)', '1', '1')  # <-- error,
    ),
]
