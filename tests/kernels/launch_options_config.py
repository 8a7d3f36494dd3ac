"""Launch attributes (issue 14): num_ctas=2 (clusters, cuLaunchKernelEx with the grid times the cluster) and
launch_cooperative_grid=True. Python wrappers: ``cluster_scale_kernel(x)`` -> ``[out]`` (2 * x);
``cooperative_count_kernel(x, arrived)`` -> ``[out]``: 2 * x, and ``arrived`` (int32 [1], zero) ends at the grid's
program count."""
from plugingen import *  # noqa: F401,F403

TEST_ARCHS = "90"  # num_ctas > 1, cooperative and PDL launches: sm_90 and newer

KERNELS = [
    KernelMetaData(
        kernel_name='cluster_scale_kernel',
        kernel_file='launch_options.py',
        ios=[InputArg('x', Type('tensor[fp32]')), OutputArg('out', Type('tensor[fp32]')), DimSizeArg('n'),
             Constexpr(256)],
        shape_infer_rules=['x[d] -> out[d]', 'x[d] : d -> n'],
        grid_dims=('cdiv(n, 256)', '1', '1'),
        num_warps=4,
        num_ctas=2,
    ),
    KernelMetaData(
        kernel_name='cooperative_count_kernel',
        kernel_file='launch_options.py',
        ios=[InputArg('x', Type('tensor[fp32]')), OutputArg('out', Type('tensor[fp32]')),
             InputArg('arrived', Type('tensor[i32]')), DimSizeArg('n'), Constexpr(256)],
        shape_infer_rules=['x[d], arrived[1] -> out[d]', 'x[d] : d -> n'],
        grid_dims=('cdiv(n, 256)', '1', '1'),
        num_warps=4,
        launch_cooperative_grid=True,
    ),
]
