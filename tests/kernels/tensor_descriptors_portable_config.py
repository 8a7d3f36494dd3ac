"""Host tensor descriptors through the portable PTX only (issue 14): built for sm_80, where Triton does not lower
descriptors to TMA, the plugin passes each one decomposed (base, shape, strides, options); on a newer GPU the driver
JIT-compiles this PTX. Python wrapper: ``desc_scale_kernel(alpha, x)`` -> ``[y]``. Needs Triton 3.4 or newer."""
from plugingen import *  # noqa: F401,F403

TEST_ARCHS = "80"

MIN_TRITON = (3, 4)

KERNELS = [
    KernelMetaData(
        kernel_name='desc_scale_kernel',
        kernel_file='tensor_descriptors.py',
        ios=[
            InputArg('x_desc', Type('tensordesc[fp16]'), block_shape=['BLOCK_M', 'BLOCK_N']),
            OutputArg('y_desc', Type('tensordesc[fp16]'), block_shape=['BLOCK_M', 'BLOCK_N']),
            ParamArg('alpha', Type('fp32')),
            Constexpr(64),  # BLOCK_M
            Constexpr(64),  # BLOCK_N
        ],
        shape_infer_rules=['x_desc[b, r, c] -> y_desc[b, r, c]', 'x_desc[b, r, c] : b * r -> rows',
                           'x_desc[b, r, c] : c -> cols'],
        grid_dims=('cdiv(rows, BLOCK_M)', 'cdiv(cols, BLOCK_N)', '1'),
        num_warps=4,
    ),
]
