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
            Constexpr(4),  # the kernel's num_stages parameter (its row loop's pipelining): see num_stages below
        ],
        shape_infer_rules=[
            'input_ptr[m, n] -> output_ptr[m, n]',
            'input_ptr[m, n] : n -> input_row_stride',
            'input_ptr[m, n] : n -> output_row_stride',
            'input_ptr[m, n] : m -> n_rows',
            'input_ptr[m, n] : n -> n_cols',
        ],
        num_warps=8,
        # the tutorial passes num_stages=4 (on GPUs with over 200 KB of shared memory) as a keyword, which Triton
        # takes as both the kernel parameter and the compile option
        num_stages=4,
        grid_dims=('min(n_rows, 1056)', '1', '1'),
    ),
]
