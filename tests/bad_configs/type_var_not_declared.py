"""An argument's type variable that dtypes does not declare."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='add_kernel',
        kernel_file='kernels.py',
        dtypes={'T': ['fp16', 'fp32']},
        ios=[
            InputArg('x', Type('tensor[T]')),
            InputArg('y', Type('tensor[U]')),  # <-- error
            OutputArg('out', Type('tensor[T]')),
            DimSizeArg('n'),
            Constexpr(256),
        ],
        shape_infer_rules=['x[d] -> out[d]', 'x[d] : d -> n'],
        grid_dims=('cdiv(n, 256)', '1', '1'),
    ),
]
