"""Every autotune config sets BLOCK_SIZE, which is not a kernel parameter (the kernel has BLOCK_N)."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='add_kernel',
        kernel_file='kernels_config_keys.py',
        ios=[
            InputArg('x', Type('tensor[fp32]')),
            InputArg('y', Type('tensor[fp32]')),
            OutputArg('out', Type('tensor[fp32]')),
            DimSizeArg('n'),
        ],
        shape_infer_rules=[
            'x[d] -> out[d]',
            'x[d] : d -> n',
        ],
        grid_dims=('cdiv(n, BLOCK_N)', '1', '1'),
    ),
]
