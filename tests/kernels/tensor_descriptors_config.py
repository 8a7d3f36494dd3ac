"""Host tensor descriptors (issue 14): ``Type('tensordesc[...]')`` with ``block_shape=`` over constexprs, and with
the block shapes an autotune config's pre_hook sets. Python wrappers: ``desc_scale_kernel(alpha, x)`` -> ``[y]``
(x * alpha; x of rank 3, seen as a matrix of b * r rows), ``desc_add_kernel(a, b)`` -> ``[c]``. Rows must be 16-byte
multiples (TMA's stride rule): c % 8 == 0 for fp16. Needs Triton 3.4 or newer (tests/gpu/prebuild.py reads
MIN_TRITON)."""
from plugingen import *  # noqa: F401,F403

TEST_ARCHS = "80,90"  # sm_90: TMA (a CUtensorMap per descriptor); the portable sm_80 PTX: descriptors decomposed

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
    KernelMetaData(
        kernel_name='desc_add_kernel',
        kernel_file='tensor_descriptors.py',
        ios=[
            InputArg('a_desc', Type('tensordesc[fp32]')),
            InputArg('b_desc', Type('tensordesc[fp32]')),
            OutputArg('c_desc', Type('tensordesc[fp32]')),
            DimSizeArg('M'),
            DimSizeArg('N'),
        ],
        shape_infer_rules=['a_desc[m, n], b_desc[m, n] -> c_desc[m, n]', 'a_desc[m, n] : m -> M',
                           'a_desc[m, n] : n -> N'],
        grid_dims=('cdiv(M, BLOCK_M)', 'cdiv(N, BLOCK_N)', '1'),
    ),
]
