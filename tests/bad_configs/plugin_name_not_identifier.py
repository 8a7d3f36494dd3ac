"""A plugin name that cannot name the generated Python function."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='add_kernel',
        plugin_name='add-2',  # <-- error
        kernel_file='kernels.py',
        ios=[InputArg('x', Type('tensor[fp32]')), InputArg('y', Type('tensor[fp32]')),
             OutputArg('out', Type('tensor[fp32]')), DimSizeArg('n'), Constexpr(256)],
        shape_infer_rules=['x[d], y[d] -> out[d]', 'x[d] : d -> n'],
        grid_dims=('cdiv(n, 256)', '1', '1'),
    ),
]
