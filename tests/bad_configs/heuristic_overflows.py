"""A heuristic whose value overflows int64 (evaluated at build time, for the domain)."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='add_kernel',
        kernel_file='kernels.py',
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
        heuristics={'BLOCK': lambda args: 2 ** 63},  # <-- error
        version=1,
        num_warps=4,
        grid_dims=('cdiv(n, 256)', '1', '1'),
    ),
]
