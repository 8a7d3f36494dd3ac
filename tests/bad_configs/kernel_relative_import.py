"""A kernel file with a relative import, outside any package (no __init__.py beside it)."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='add_kernel',
        kernel_file='relative_import_kernels.py',
        ios=[InputArg('x', Type('tensor[fp32]')), InputArg('y', Type('tensor[fp32]')),
             OutputArg('out', Type('tensor[fp32]')), DimSizeArg('n'), Constexpr(256)],
        shape_infer_rules=['x[d], y[d] -> out[d]', 'x[d] : d -> n'],
        grid_dims=('cdiv(n, 256)', '1', '1'),
    ),
]
