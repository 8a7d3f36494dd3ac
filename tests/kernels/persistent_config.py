"""A persistent kernel sized by the GPU (issue 14): the grid reads ``num_sms``, the device's SM count at launch.
Python wrapper: ``persistent_scale_kernel(x)`` -> ``[out, programs]`` (x * 3, and the programs launched)."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='persistent_scale_kernel',
        kernel_file='persistent.py',
        ios=[
            InputArg('x', Type('tensor[fp32]')),
            OutputArg('out', Type('tensor[fp32]')),
            OutputArg('programs', Type('tensor[i32]')),
            DimSizeArg('n'),
            Constexpr(1024),  # BLOCK
        ],
        shape_infer_rules=['x[d] -> out[d]', 'x[d] -> programs[1]', 'x[d] : d -> n'],
        grid_dims=('min(num_sms, cdiv(n, BLOCK))', '1', '1'),
        num_warps=4,
    ),
]
