"""Valid config, but the kernel's tl.static_assert (without a message) fails for Constexpr(32)."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='asserting_kernel',
        kernel_file='kernels_compile_errors.py',
        ios=[
            InputArg('x', Type('tensor[fp32]')),
            OutputArg('out', Type('tensor[fp32]')),
            DimSizeArg('n'),
            Constexpr(32),
        ],
        shape_infer_rules=[
            'x[d] -> out[d]',
            'x[d] : d -> n',
        ],
        grid_dims=('cdiv(n, 32)', '1', '1'),
    ),
]
