"""A '1' hint: the first variant is compiled for stride == 1 (the parameter becomes a constant and leaves the kernel's
signature); any other stride takes the generic variant. Wrapper ``strided_gather_kernel(stride, x)``; x fp32 ``[n]``.
Ref: ``out = x[(arange(n) * stride) % n]``."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='strided_gather_kernel',
        kernel_file='strided_gather.py',
        ios=[
            InputArg('x', Type('tensor[fp32]')),
            OutputArg('out', Type('tensor[fp32]')),
            ParamArg('stride', Type('i32'), hints=['1', '']),
            DimSizeArg('n'),
            Constexpr(256),  # BLOCK
        ],
        shape_infer_rules=[
            'x[d] -> out[d]',
            'x[d] : d -> n',
        ],
        num_warps=4,
        grid_dims=('cdiv(n, BLOCK)', '1', '1'),
    ),
]
