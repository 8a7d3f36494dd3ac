"""An fp8 kernel built for sm_80 only (the tests build for sm_80)."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(  # <-- error
        kernel_name='add_kernel',
        kernel_file='kernels.py',
        ios=[
            InputArg('x', Type('tensor[fp8e4m3]')),
            InputArg('y', Type('tensor[fp8e4m3]')),
            OutputArg('out', Type('tensor[fp8e4m3]')),
            DimSizeArg('n'),
            Constexpr(256),
        ],
        shape_infer_rules=['x[d] -> out[d]', 'x[d] : d -> n'],
        grid_dims=('cdiv(n, 256)', '1', '1'),
    ),
]
