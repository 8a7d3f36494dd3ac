"""Programmatic dependent launch (issue 14): launch_pdl=True. Python wrapper: ``pdl_increment_kernel(x)`` ->
``[out]`` (x + 1). Needs Triton 3.4 or newer (tests/gpu/prebuild.py reads MIN_TRITON)."""
from plugingen import *  # noqa: F401,F403

TEST_ARCHS = "90"  # num_ctas > 1, cooperative and PDL launches: sm_90 and newer

MIN_TRITON = (3, 4)

KERNELS = [
    KernelMetaData(
        kernel_name='pdl_increment_kernel',
        kernel_file='launch_pdl.py',
        ios=[InputArg('x', Type('tensor[fp32]')), OutputArg('out', Type('tensor[fp32]')), DimSizeArg('n'),
             Constexpr(256)],
        shape_infer_rules=['x[d] -> out[d]', 'x[d] : d -> n'],
        grid_dims=('cdiv(n, 256)', '1', '1'),
        num_warps=4,
        launch_pdl=True,
    ),
]
