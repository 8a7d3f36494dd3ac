"""Constexpr given for a parameter that is not tl.constexpr."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='add_kernel',
        kernel_file='kernels.py',
        ios=[
            InputArg('x', Type('tensor[fp32]')),
            InputArg('y', Type('tensor[fp32]')),
            OutputArg('out', Type('tensor[fp32]')),
            Constexpr(1024),  # <-- error
            Constexpr(256),
        ],
        shape_infer_rules=[
            'x[d] -> out[d]',
        ],
        version=1,
        num_warps=4,
        grid_dims=('4', '1', '1'),
    ),
]
