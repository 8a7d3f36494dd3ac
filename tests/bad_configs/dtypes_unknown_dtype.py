"""An unknown dtype among a type variable's."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='add_kernel',
        kernel_file='kernels.py',
        dtypes={'T': ['fp16', 'float99']},  # <-- error
        ios=[
            InputArg('x', Type('tensor[T]')),
            InputArg('y', Type('tensor[T]')),
            OutputArg('out', Type('tensor[T]')),
            DimSizeArg('n'),
            Constexpr(256),
        ],
        shape_infer_rules=['x[d] -> out[d]', 'x[d] : d -> n'],
        grid_dims=('cdiv(n, 256)', '1', '1'),
    ),
]
