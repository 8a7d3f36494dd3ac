"""Two kernels given the same plugin name (different versions and namespaces: still one name)."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='add_kernel', plugin_name='add', kernel_file='kernels.py',
        ios=[InputArg('x', Type('tensor[fp32]')), InputArg('y', Type('tensor[fp32]')),
             OutputArg('out', Type('tensor[fp32]')), DimSizeArg('n'), Constexpr(256)],
        shape_infer_rules=['x[d], y[d] -> out[d]', 'x[d] : d -> n'],
        grid_dims=('cdiv(n, 256)', '1', '1'),
    ),
    KernelMetaData(
        kernel_name='scale_kernel', version=2, namespace='other',
        plugin_name='add',  # <-- error
        kernel_file='kernels.py', ios=[],
    ),
]
