"""A type variable taking a dtype TensorRT has no tensor type for."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='add_kernel',
        kernel_file='kernels.py',
        dtypes={'T': ['fp32', 'fp64']},
        ios=[
            InputArg('x', Type('tensor[T]')),  # <-- error
            InputArg('y', Type('tensor[T]')),
            OutputArg('out', Type('tensor[T]')),
            DimSizeArg('n'),
            Constexpr(256),
        ],
        shape_infer_rules=['x[d] -> out[d]', 'x[d] : d -> n'],
        grid_dims=('cdiv(n, 256)', '1', '1'),
    ),
]
