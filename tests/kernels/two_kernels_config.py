"""Two kernels in one config (one .so, one functional.py, two plugins), sharing one kernel file.

The two plugins differ in version (1 and 2) and BLOCK, so a test can check that each creator registers
under its own config version. Python wrappers: ``add_kernel(x, y)``, ``mul_kernel(x, y)``; rank-1 fp32.
"""
from plugingen import *  # noqa: F401,F403


def _binary(name, version, block):
    return KernelMetaData(
        kernel_name=name,
        kernel_file='binary_ops.py',
        ios=[
            InputArg('x', Type('tensor[fp32]'), hints=['16', '']),
            InputArg('y', Type('tensor[fp32]'), hints=['16', '']),
            OutputArg('out', Type('tensor[fp32]'), hints=['16', '']),
            DimSizeArg('n', hints=['16', '']),
            Constexpr(block),  # BLOCK
        ],
        shape_infer_rules=[
            'x[d], y[d] -> out[d]',
            'x[d] : d -> n',
        ],
        version=version,
        num_warps=4,
        num_stages=2,
        grid_dims=(f'cdiv(n, {block})', '1', '1'),
    )


KERNELS = [
    _binary('add_kernel', version=1, block=1024),
    _binary('mul_kernel', version=2, block=256),
]
