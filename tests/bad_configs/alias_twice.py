"""Two in-place outputs of one input."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='add_kernel',
        kernel_file='kernels.py',
        ios=[
            InputArg('x', Type('tensor[fp32]')),
            OutputArg('y', Type('tensor[fp32]'), alias='x'),
            OutputArg('out', Type('tensor[fp32]'), alias='x'),  # <-- error
            DimSizeArg('n'),
            Constexpr(256),
        ],
        shape_infer_rules=['x[d] : d -> n'],
        grid_dims=('cdiv(n, 256)', '1', '1'),
    ),
]
