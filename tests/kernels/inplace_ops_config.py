"""In-place plugins: each OutputArg with ``alias=`` is its input, updated by the kernel (TensorRT gets it through
getAliasedInput). ``accumulate_kernel`` serves fp16 and fp32; ``cache_write_kernel`` leaves its output's shape
rule out (an aliased output has its input's shape); ``scale_kernel`` updates ``x`` through its one pointer, so its
in-place output ``x_out`` is not a kernel parameter.

Wrappers: ``accumulate_kernel(alpha, acc, x)``, acc and x ``[n]`` fp16 or fp32; ``cache_write_kernel(pos, cache,
new)``, cache fp16 ``[b, s, d]``, new fp16 ``[b, d]``. Refs: ``acc + alpha * x`` (acc itself updated);
``cache[:, pos] = new`` (the rest of cache unchanged); ``scale_kernel(alpha, x)``, x fp32 any shape: ``x * alpha``.
"""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='accumulate_kernel',
        kernel_file='inplace_ops.py',
        dtypes={'T': ['fp16', 'fp32']},
        ios=[
            InputArg('acc', Type('tensor[T]')),
            InputArg('x', Type('tensor[T]')),
            OutputArg('acc_out', Type('tensor[T]'), alias='acc'),
            ParamArg('alpha', Type('fp32')),
            DimSizeArg('n'),
            Constexpr(1024),  # BLOCK
        ],
        shape_infer_rules=['acc[d], x[d] -> acc_out[d]', 'acc[d] : d -> n'],
        num_warps=4,
        grid_dims=('cdiv(n, BLOCK)', '1', '1'),
    ),
    KernelMetaData(
        kernel_name='cache_write_kernel',
        kernel_file='inplace_ops.py',
        ios=[
            InputArg('cache', Type('tensor[fp16]')),
            InputArg('new', Type('tensor[fp16]')),
            OutputArg('cache_out', Type('tensor[fp16]'), alias='cache'),
            ParamArg('pos', Type('i32')),
            DimSizeArg('seq'),
            DimSizeArg('dim'),
            Constexpr(256),  # BLOCK
        ],
        shape_infer_rules=['cache[b, s, d], new[b, d] : s -> seq', 'cache[b, s, d] : d -> dim',
                           'cache[b, s, d] : b -> batch'],
        constraints=['0 <= pos < seq'],  # pos indexes the cache: both bounds
        num_warps=4,
        grid_dims=('batch', '1', '1'),
    ),
    KernelMetaData(
        kernel_name='scale_kernel',
        kernel_file='inplace_ops.py',
        ios=[
            InputArg('x', Type('tensor[fp32]')),
            ParamArg('alpha', Type('fp32')),
            DimSizeArg('n'),
            Constexpr(1024),  # BLOCK
            OutputArg('x_out', Type('tensor[fp32]'), alias='x'),  # not a kernel parameter: x itself, updated
        ],
        shape_infer_rules=['x[*] : numel(x) -> n'],
        num_warps=4,
        grid_dims=('cdiv(n, BLOCK)', '1', '1'),
    ),
]
