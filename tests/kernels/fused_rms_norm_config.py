"""Optional inputs and one kernel as two plugins: flash-attention-style ``_rms_norm_fwd_kernel`` (fused_rms_norm.py)
built as

* ``rms_norm``: no residual, no bias, no residual output: ``Constexpr(None)`` at ``B``, ``RESIDUAL`` and
  ``RESIDUAL_OUT`` (the plugin passes nothing there; they are not plugin inputs or outputs), their flags False;
* ``add_rms_norm``: the residual added first (and stored, fp32), a bias added last.

Python wrappers: ``rms_norm(eps, X, W)`` -> ``[Y, Rstd]``; ``add_rms_norm(eps, X, W, B, RESIDUAL)`` ->
``[Y, RESIDUAL_OUT, Rstd]``; X, RESIDUAL fp16 [rows, N] with 1 <= N <= 1024, W, B fp16 [N]; Y fp16 [rows, N],
RESIDUAL_OUT fp32 [rows, N], Rstd fp32 [rows].
"""
from plugingen import *  # noqa: F401,F403

RULES = ['X[m, n] : n -> stride_row', 'X[m, n] : n -> N', 'X[m, n] : m -> rows']

KERNELS = [
    KernelMetaData(
        kernel_name='_rms_norm_fwd_kernel', plugin_name='rms_norm', kernel_file='fused_rms_norm.py',
        ios=[
            InputArg('X', Type('tensor[fp16]')),
            OutputArg('Y', Type('tensor[fp16]')),
            InputArg('W', Type('tensor[fp16]')),
            Constexpr(None),  # B
            Constexpr(None),  # RESIDUAL
            Constexpr(None),  # RESIDUAL_OUT
            OutputArg('Rstd', Type('tensor[fp32]')),
            DimSizeArg('stride_row'),
            DimSizeArg('N'),
            ParamArg('eps', Type('fp32')),
            Constexpr(1024),  # BLOCK_N
            Constexpr(False),  # HAS_RESIDUAL
            Constexpr(False),  # STORE_RESIDUAL_OUT
            Constexpr(False),  # HAS_BIAS
        ],
        shape_infer_rules=['X[m, n], W[n] -> Y[m, n], Rstd[m]', *RULES],
        constraints=['N <= 1024'],
        grid_dims=('rows', '1', '1'),
        num_warps=4,
    ),
    KernelMetaData(
        kernel_name='_rms_norm_fwd_kernel', plugin_name='add_rms_norm', kernel_file='fused_rms_norm.py',
        ios=[
            InputArg('X', Type('tensor[fp16]')),
            OutputArg('Y', Type('tensor[fp16]')),
            InputArg('W', Type('tensor[fp16]')),
            InputArg('B', Type('tensor[fp16]')),
            InputArg('RESIDUAL', Type('tensor[fp16]')),
            OutputArg('RESIDUAL_OUT', Type('tensor[fp32]')),
            OutputArg('Rstd', Type('tensor[fp32]')),
            DimSizeArg('stride_row'),
            DimSizeArg('N'),
            ParamArg('eps', Type('fp32')),
            Constexpr(1024),  # BLOCK_N
            Constexpr(True),  # HAS_RESIDUAL
            Constexpr(True),  # STORE_RESIDUAL_OUT
            Constexpr(True),  # HAS_BIAS
        ],
        shape_infer_rules=['X[m, n], W[n], B[n], RESIDUAL[m, n] -> Y[m, n], RESIDUAL_OUT[m, n], Rstd[m]', *RULES],
        constraints=['N <= 1024'],
        grid_dims=('rows', '1', '1'),
        num_warps=4,
    ),
]
