"""The Triton tutorial's fused softmax (02-fused-softmax.py), as published: a persistent kernel (it strides over
rows by the grid size), fp32 rows of at most BLOCK_SIZE columns, 8 warps as the tutorial launches it."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='softmax_kernel',
        kernel_file='softmax.py',
        ios=[
            OutputArg('output_ptr', Type('tensor[fp32]')),
            InputArg('input_ptr', Type('tensor[fp32]')),
            DimSizeArg('input_row_stride'),
            DimSizeArg('output_row_stride'),
            DimSizeArg('n_rows'),
            DimSizeArg('n_cols'),
            Constexpr(1024),  # BLOCK_SIZE
            Constexpr(4),  # the kernel's num_stages parameter (its row loop's pipelining)
        ],
        shape_infer_rules=[
            'input_ptr[m, n] -> output_ptr[m, n]',
            'input_ptr[m, n] : n -> input_row_stride',
            'input_ptr[m, n] : n -> output_row_stride',
            'input_ptr[m, n] : m -> n_rows',
            'input_ptr[m, n] : n -> n_cols',
        ],
        num_warps=8,
        num_stages=3,
        grid_dims=('min(n_rows, 1056)', '1', '1'),
    ),
]
