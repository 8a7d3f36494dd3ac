"""A kernel named like a function functional.py defines itself."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='register_plugins',  # <-- error
        kernel_file='kernels.py',
        ios=[InputArg('x', Type('tensor[fp32]')), OutputArg('out', Type('tensor[fp32]'))],
        shape_infer_rules=['x[d] -> out[d]'],
    ),
]
