"""Config heuristics in place of a wrapper's launch logic: Liger-Kernel's ``calculate_settings(n)``, which its row
kernels' wrappers call to pick the launch from the row width, written as heuristics on a plain ``@triton.jit``
kernel:

    BLOCK_SIZE = next_power_of_2(n)             # refused (RuntimeError) when above MAX_FUSED_SIZE = 65536
    num_warps  = 32 if BLOCK_SIZE >= 32768 else 16 if BLOCK_SIZE >= 8192 else 8 if BLOCK_SIZE >= 2048 else 4

(the CUDA branch; on HIP Liger takes 16 warps at 32768 and above). The refusal is a constraint: ``n_cols <= 65536``
is ``next_power_of_2(n_cols) <= 65536`` for every row width, and it bounds BLOCK_SIZE's domain, 1 to 65536: 17
values, one image each; ``num_warps`` is a compile option chosen per launch, as the wrapper passes it.

Python wrapper: ``rms_norm_rows_kernel(eps, X, W)`` -> ``[Y, RSTD]``; X fp16 [rows, n_cols] with
1 <= n_cols <= 65536, W fp16 [n_cols]; Y fp16 [rows, n_cols], RSTD fp32 [rows].
"""
import triton

from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='rms_norm_rows_kernel',
        kernel_file='liger_rows.py',
        ios=[
            OutputArg('Y_ptr', Type('tensor[fp16]')),
            DimSizeArg('Y_row_stride'),
            InputArg('X_ptr', Type('tensor[fp16]')),
            DimSizeArg('X_row_stride'),
            InputArg('W_ptr', Type('tensor[fp16]')),
            OutputArg('RSTD_ptr', Type('tensor[fp32]')),
            DimSizeArg('n_cols'),
            ParamArg('eps', Type('fp32')),
        ],
        shape_infer_rules=[
            'X_ptr[m, n], W_ptr[n] -> Y_ptr[m, n], RSTD_ptr[m]',
            'X_ptr[m, n] : n -> Y_row_stride',
            'X_ptr[m, n] : n -> X_row_stride',
            'X_ptr[m, n] : n -> n_cols',
            'X_ptr[m, n] : m -> rows',
        ],
        heuristics={
            'BLOCK_SIZE': lambda args: triton.next_power_of_2(args['n_cols']),
            'num_warps': lambda args: (32 if args['BLOCK_SIZE'] >= 32768 else
                                       16 if args['BLOCK_SIZE'] >= 8192 else
                                       8 if args['BLOCK_SIZE'] >= 2048 else 4),
        },
        constraints=['n_cols <= 65536'],
        num_stages=3,  # the wrapper passes none: the JIT's default
        grid_dims=('rows', '1', '1'),
    ),
]
