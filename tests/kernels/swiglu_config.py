"""One kernel as two plugins: Liger-style ``_swiglu_forward_kernel`` (swiglu.py), whose row width ``n_cols`` is a
``tl.constexpr``, built for two intermediate sizes with ``plugin_name=``; ``BLOCK_SIZE`` and ``num_warps`` are the
wrapper's ``calculate_settings`` as config heuristics (computed at build time here: ``n_cols`` is a constexpr).

Python wrappers: ``swiglu_1000(a, b)`` -> ``[c]`` with a, b fp16 [rows, 1000]; ``swiglu_4096(a, b)`` -> ``[c]``
with a, b fp16 [rows, 4096]; c as a and b. Any other row width is refused (the rules' literal sizes).
"""
import triton

from plugingen import *  # noqa: F401,F403


def swiglu(n_cols):
    """The plugin of one intermediate size."""
    return KernelMetaData(
        kernel_name='_swiglu_forward_kernel', plugin_name=f'swiglu_{n_cols}', kernel_file='swiglu.py',
        ios=[
            InputArg('a_ptr', Type('tensor[fp16]')),
            InputArg('b_ptr', Type('tensor[fp16]')),
            OutputArg('c_ptr', Type('tensor[fp16]')),
            DimSizeArg('row_stride'),
            Constexpr(n_cols),
        ],
        shape_infer_rules=[f'a_ptr[r, {n_cols}], b_ptr[r, {n_cols}] -> c_ptr[r, {n_cols}]',
                           f'a_ptr[r, {n_cols}] : {n_cols} -> row_stride', 'a_ptr[r, c] : r -> rows'],
        heuristics={
            'BLOCK_SIZE': lambda args: triton.next_power_of_2(args['n_cols']),
            'num_warps': lambda args: (32 if args['BLOCK_SIZE'] >= 32768 else 16 if args['BLOCK_SIZE'] >= 8192 else
                                       8 if args['BLOCK_SIZE'] >= 2048 else 4),
        },
        grid_dims=('rows', '1', '1'),
    )


KERNELS = [swiglu(1000), swiglu(4096)]
