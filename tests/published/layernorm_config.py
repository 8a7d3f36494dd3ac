"""The Triton tutorial's layer norm forward (05-layer-norm.py), as published: '_' name, grid over rows (a launch
value: the row count is not a kernel parameter). Its wrapper, ``LayerNorm.forward``, becomes config heuristics,
for fp16 (``x.element_size()`` is 2):

* ``BLOCK_SIZE = min(MAX_FUSED_SIZE, next_power_of_2(N))`` with ``MAX_FUSED_SIZE = 65536 // 2`` (64 KB of fp16).
* ``num_warps = min(max(BLOCK_SIZE // 256, 1), 8)``, a compile option chosen per launch as the wrapper passes it.
* The wrapper raises for ``N > BLOCK_SIZE`` ("doesn't support feature dim >= 64KB"), i.e. N above 32768: the
  constraints refuse those rows before launch. ``N <= 32768`` also bounds BLOCK_SIZE's domain (1 to 32768: 16
  images); ``N <= BLOCK_SIZE`` is the wrapper's own check, kept as it is written.
* ``num_stages``: the wrapper passes none, so the JIT's default, 3.
"""
import triton

from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='_layer_norm_fwd_fused',
        kernel_file='layernorm.py',
        ios=[
            InputArg('X', Type('tensor[fp16]')),
            OutputArg('Y', Type('tensor[fp16]')),
            InputArg('W', Type('tensor[fp16]')),
            InputArg('B', Type('tensor[fp16]')),
            OutputArg('Mean', Type('tensor[fp32]')),
            OutputArg('Rstd', Type('tensor[fp32]')),
            DimSizeArg('stride'),
            DimSizeArg('N'),
            ParamArg('eps', Type('fp32')),
            # BLOCK_SIZE: set by the heuristics
        ],
        shape_infer_rules=[
            'X[m, n], W[n], B[n] -> Y[m, n], Mean[m], Rstd[m]',
            'X[m, n] : n -> stride',
            'X[m, n] : n -> N',
            'X[m, n] : m -> rows',
        ],
        heuristics={
            'BLOCK_SIZE': lambda args: min(65536 // 2, triton.next_power_of_2(args['N'])),
            'num_warps': lambda args: min(max(args['BLOCK_SIZE'] // 256, 1), 8),
        },
        constraints=['N <= 32768', 'N <= BLOCK_SIZE'],
        num_stages=3,
        grid_dims=('rows', '1', '1'),
    ),
]
