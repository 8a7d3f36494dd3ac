"""Valid config, but one value of the heuristic's domain (96) is no tl.arange size Triton compiles."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='rows_kernel',
        kernel_file='kernels_compile_errors.py',
        ios=[
            InputArg('x', Type('tensor[fp32]')),
            OutputArg('out', Type('tensor[fp32]')),
            DimSizeArg('d'),
        ],
        shape_infer_rules=[
            'x[r, d] -> out[r, d]',
            'x[r, d] : d -> d',
        ],
        domains={'BLOCK_D': [64, 96]},
        constraints=['d <= BLOCK_D'],
        grid_dims=('1', '1', '1'),
    ),
]
