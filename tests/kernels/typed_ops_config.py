"""One plugin per op serving fp16, bf16 and fp32 (``dtypes={'T': [...]}``): an elementwise kernel whose scalars
follow the tensors' type, and a row reduction with an fp32 side output.

Wrappers: ``axpby_kernel(alpha, beta, x, y)``, x and y ``[n]`` of one of fp16/bf16/fp32; ``row_rms_kernel(eps, x)``,
x ``[rows, cols]``. Refs: ``out = alpha * x + beta * y``; ``rms = sqrt(mean(x.float()**2, -1) + eps)``,
``y = (x.float() / rms[:, None]).to(x.dtype)``.
"""
from plugingen import *  # noqa: F401,F403

FLOATS = ['fp16', 'bf16', 'fp32']

KERNELS = [
    KernelMetaData(
        kernel_name='axpby_kernel',
        kernel_file='typed_ops.py',
        dtypes={'T': FLOATS},
        ios=[
            InputArg('x', Type('tensor[T]'), hints=['16', '']),
            InputArg('y', Type('tensor[T]'), hints=['16', '']),
            OutputArg('out', Type('tensor[T]'), hints=['16', '']),
            ParamArg('alpha', Type('T')),
            ParamArg('beta', Type('T')),
            DimSizeArg('n', hints=['16', '']),
            Constexpr(1024),  # BLOCK
        ],
        shape_infer_rules=['x[d], y[d] -> out[d]', 'x[d] : d -> n'],
        num_warps=4,
        grid_dims=('cdiv(n, BLOCK)', '1', '1'),
    ),
    KernelMetaData(
        kernel_name='row_rms_kernel',
        kernel_file='typed_ops.py',
        dtypes={'T': FLOATS},
        ios=[
            InputArg('x', Type('tensor[T]')),
            OutputArg('y', Type('tensor[T]')),
            OutputArg('rms', Type('tensor[fp32]')),
            ParamArg('eps', Type('fp32')),
            DimSizeArg('cols'),
            Constexpr(512),  # BLOCK
        ],
        shape_infer_rules=['x[r, c] -> y[r, c], rms[r]', 'x[r, c] : c -> cols', 'x[r, c] : r -> rows'],
        num_warps=4,
        grid_dims=('rows', '1', '1'),
    ),
]
