"""domains naming no heuristic."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='sized_heuristic_kernel',
        kernel_file='tuned_kernels.py',
        ios=[
            InputArg('x', Type('tensor[fp32]')),
            OutputArg('out', Type('tensor[fp32]')),
            DimSizeArg('n'),
        ],
        shape_infer_rules=[
            'x[d] -> out[d]',
            'x[d] : d -> n',
        ],
        grid_dims=('1', '1', '1'),
        domains={'BLOCK': [128], 'WIDTH': [1]},  # <-- error
    ),
]
