"""A ParamArg whose type variable is an integer in one signature and a float in another."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='scale_kernel',
        kernel_file='kernels.py',
        dtypes={'T': ['fp32', 'i32']},
        ios=[
            InputArg('x', Type('tensor[T]')),
            OutputArg('out', Type('tensor[T]')),
            ParamArg('alpha', Type('T')),  # <-- error
            DimSizeArg('n'),
            Constexpr(256),
        ],
        shape_infer_rules=['x[d] -> out[d]', 'x[d] : d -> n'],
        grid_dims=('cdiv(n, 256)', '1', '1'),
    ),
]
