"""A kernel file inside a package (``act_pkg/``, with ``__init__.py``): ``act_pkg/act_kernels.py`` is imported as
``act_pkg.act_kernels``, so its relative imports (``from .heuristics import ...``) work unchanged; its
``@triton.heuristics`` block size (``act_pkg/heuristics.py``) computes with ``2 ** 10``.

Python wrapper: ``act_func_forward_kernel(input_pointer)`` -> ``[output_pointer]``; input fp32 [batch, feat] with
1 <= feat <= 64; output as input, ``leaky_relu(input, 0.01)``.
"""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='act_func_forward_kernel', kernel_file='act_pkg/act_kernels.py',
        ios=[
            InputArg('input_pointer', Type('tensor[fp32]')),
            OutputArg('output_pointer', Type('tensor[fp32]')),
            DimSizeArg('batch_dim'),
            DimSizeArg('feat_dim'),
            Constexpr('leaky_relu'),  # act_func
            Constexpr(64),  # BLOCK_SIZE_FEAT
        ],
        shape_infer_rules=['input_pointer[b, f] -> output_pointer[b, f]', 'input_pointer[b, f] : b -> batch_dim',
                           'input_pointer[b, f] : f -> feat_dim'],
        constraints=['feat_dim <= 64'],
        grid_dims=('cdiv(batch_dim, BLOCK_SIZE_BATCH)', '1', '1'),
        num_warps=4,
    ),
]
