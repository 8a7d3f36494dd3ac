"""num_warps beside autotune configs, which set it per config."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='tuned_kernel',
        kernel_file='kernels.py',
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
        num_warps=4,  # <-- error
    ),
]
