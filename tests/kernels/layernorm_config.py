"""3-D input; DimSizeArg from a product of two dims; fp32 + i32 ParamArgs; an i32 ParamArg in the grid;
inputs of two dtypes (fp16 x, fp32 w/bias).

Python wrapper: ``layernorm_kernel(eps, rows_per_program, x, w, bias)``; x fp16 [b, s, h], w/bias fp32 [h].
"""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='layernorm_kernel',
        kernel_file='layernorm.py',
        ios=[
            InputArg('x', Type('tensor[fp16]'), hints=['16', '']),
            InputArg('w', Type('tensor[fp32]'), hints=['16', '']),
            InputArg('bias', Type('tensor[fp32]'), hints=['16', '']),
            OutputArg('y', Type('tensor[fp16]'), hints=['16', '']),
            ParamArg('eps', Type('fp32')),
            ParamArg('rows_per_program', Type('i32')),
            DimSizeArg('rows'),
            DimSizeArg('hidden', hints=['16', '']),
            Constexpr(1024),  # BLOCK
        ],
        shape_infer_rules=[
            'x[b, s, h], w[h], bias[h] -> y[b, s, h]',
            'x[b, s, h] : b*s -> rows',
            'x[b, s, h] : h -> hidden',
        ],
        version=1,
        num_warps=4,
        num_stages=2,
        grid_dims=('cdiv(rows, rows_per_program)', '1', '1'),
    ),
]
