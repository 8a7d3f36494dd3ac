"""reset_to_zero, numel() of an any-rank tensor, and an autotuned kernel whose tactics differ in BLOCK.

Python wrapper: ``accumulate_kernel(x, alpha=...)`` -> ``[out]``; x is fp32 of any shape, out = alpha * x.
"""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='_accumulate_kernel',
        kernel_file='tuned_accumulate.py',
        ios=[
            InputArg('x', Type('tensor[fp32]')),
            OutputArg('out', Type('tensor[fp32]')),
            ParamArg('alpha', Type('fp32')),
            DimSizeArg('n', dtype='i64'),
        ],
        shape_infer_rules=[
            'x[*] -> out[*]',
            'x[*] : numel(x) -> n',
        ],
        grid_dims=('cdiv(n, BLOCK)', '1', '1'),
    ),
]
