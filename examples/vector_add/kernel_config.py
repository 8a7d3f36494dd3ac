"""plugingen config for the fp16 vector add in ``vector_add.py``.

Build it with::

    plugingen --workspace ./ws --kernel_config examples/vector_add/kernel_config.py

The plugin takes one rank-1 fp16 tensor pair ``x``, ``y`` of the same length and returns ``out = x + y``.
Two variants are compiled: one for pointers and length divisible by 16 (vectorized loads), and a generic
fallback used for anything else.
"""
from plugingen import *  # noqa: F401,F403  (KernelMetaData, InputArg, OutputArg, DimSizeArg, Constexpr, Type)

BLOCK = 1024

KERNELS = [
    KernelMetaData(
        kernel_name='vector_add_kernel',
        kernel_file='vector_add.py',
        ios=[
            # Exactly vector_add_kernel's parameters, in order.
            InputArg('x', Type('tensor[fp16]'), hints=['16', '']),
            InputArg('y', Type('tensor[fp16]'), hints=['16', '']),
            OutputArg('out', Type('tensor[fp16]'), hints=['16', '']),
            DimSizeArg('n', hints=['16', '']),
            Constexpr(BLOCK),
        ],
        shape_infer_rules=[
            'x[d], y[d] -> out[d]',  # x and y have one size; out has it too
            'x[d] : d -> n',  # n = number of elements of the rank-1 input
        ],
        version=1,
        num_warps=4,
        num_stages=2,
        grid_dims=('cdiv(n, 1024)', '1', '1'),
    ),
]
