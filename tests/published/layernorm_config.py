"""The Triton tutorial's layer norm forward (05-layer-norm.py), as published: '_' name, grid over rows (a launch
value: the row count is not a kernel parameter)."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='_layer_norm_fwd_fused',
        kernel_file='layernorm.py',
        ios=[
            InputArg('X', Type('tensor[fp16]')),
            OutputArg('Y', Type('tensor[fp16]')),
            InputArg('W', Type('tensor[fp16]')),
            InputArg('B', Type('tensor[fp16]')),
            OutputArg('Mean', Type('tensor[fp32]')),
            OutputArg('Rstd', Type('tensor[fp32]')),
            DimSizeArg('stride'),
            DimSizeArg('N'),
            ParamArg('eps', Type('fp32')),
            Constexpr(1024),  # BLOCK_SIZE: the column tile; the kernel loops over wider rows
        ],
        shape_infer_rules=[
            'X[m, n], W[n], B[n] -> Y[m, n], Mean[m], Rstd[m]',
            'X[m, n] : n -> stride',
            'X[m, n] : n -> N',
            'X[m, n] : m -> rows',
        ],
        num_warps=4,
        grid_dims=('rows', '1', '1'),
    ),
]
