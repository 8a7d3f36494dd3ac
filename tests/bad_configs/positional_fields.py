"""KernelMetaData fields given positionally (PluginGen's order), with a negative version."""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        'add_kernel',
        [
            InputArg('x', Type('tensor[fp32]')),
            InputArg('y', Type('tensor[fp32]')),
            OutputArg('out', Type('tensor[fp32]')),
            DimSizeArg('n'),
            Constexpr(256),
        ],
        ['x[d] -> out[d]', 'x[d] : d -> n'],
        -2,  # <-- error
        'kernels.py',
        4,
        1,
        ('cdiv(n, 256)', '1', '1'),
    ),
]
