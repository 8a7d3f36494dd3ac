"""KernelMetaData(configs=...) whose second config sets a name that is no kernel parameter."""
import triton

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
        version=1,
        configs=[
            triton.Config({'BLOCK': 128}),
            triton.Config({'BLOK': 256}),  # <-- error
        ],
        grid_dims=('cdiv(n, BLOCK)', '1', '1'),
    ),
]
