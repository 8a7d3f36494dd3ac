"""An in-place output whose shape rule gives it another input's shape."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='add_kernel',
        kernel_file='kernels.py',
        ios=[
            InputArg('x', Type('tensor[fp32]')),
            InputArg('y', Type('tensor[fp32]')),
            OutputArg('out', Type('tensor[fp32]'), alias='x'),
            DimSizeArg('n'),
            Constexpr(256),
        ],
        shape_infer_rules=['y[d] -> out[d]',  # <-- error
                           'x[d] : d -> n'],
        grid_dims=('cdiv(n, 256)', '1', '1'),
    ),
]
