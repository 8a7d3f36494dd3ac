"""A heuristic that fails, read by the next one: one error, not a knock-on one."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='add_kernel',
        kernel_file='kernels_heuristic_chain.py',
        ios=[
            InputArg('x', Type('tensor[fp32]')),
            InputArg('y', Type('tensor[fp32]')),
            OutputArg('out', Type('tensor[fp32]')),
            DimSizeArg('n'),
            Constexpr(256),
        ],
        shape_infer_rules=[
            'x[d] -> out[d]',
            'x[d] : d -> n',
        ],
        version=1,
        num_warps=4,
        grid_dims=('cdiv(n, 256)', '1', '1'),
    ),
]
