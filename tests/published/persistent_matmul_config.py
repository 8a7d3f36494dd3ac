"""The Triton tutorial's persistent TMA matmul (09-persistent-matmul.py, `matmul_kernel_tma_persistent`), as
published: a, b (N x K, as the tutorial passes it) and c are host tensor descriptors, warp-specialised
(WARP_SPECIALIZE=True), persistent: min(NUM_SMS, tiles) programs stride over the tiles.

The tutorial autotunes 48 configs; `configs=` keeps two of them (EPILOGUE_SUBTILE off and on), written without its
pre_hook: the descriptors' block shapes are given here (c's block is halved under EPILOGUE_SUBTILE, as the pre_hook
does). NUM_SMS is a constexpr: the plugin is compiled for 132 SMs (an H100/H200) and correct on any GPU, since the
grid uses the same value (a GPU with fewer SMs runs some programs in a second wave). Rows are 16-byte multiples
(TMA): K and N multiples of 8."""
import triton

from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='matmul_kernel_tma_persistent',
        kernel_file='persistent_matmul.py',
        configs=[
            triton.Config({'BLOCK_SIZE_M': 128, 'BLOCK_SIZE_N': 128, 'BLOCK_SIZE_K': 64, 'GROUP_SIZE_M': 8,
                           'EPILOGUE_SUBTILE': False}, num_stages=3, num_warps=8),
            triton.Config({'BLOCK_SIZE_M': 128, 'BLOCK_SIZE_N': 256, 'BLOCK_SIZE_K': 64, 'GROUP_SIZE_M': 8,
                           'EPILOGUE_SUBTILE': True}, num_stages=3, num_warps=8),
        ],
        ios=[
            InputArg('a_desc', Type('tensordesc[fp16]'), block_shape=['BLOCK_SIZE_M', 'BLOCK_SIZE_K']),
            InputArg('b_desc', Type('tensordesc[fp16]'), block_shape=['BLOCK_SIZE_N', 'BLOCK_SIZE_K']),
            OutputArg('c_desc', Type('tensordesc[fp16]'),
                      block_shape=['BLOCK_SIZE_M', 'BLOCK_SIZE_N // (1 + EPILOGUE_SUBTILE)']),
            DimSizeArg('M'),
            DimSizeArg('N'),
            DimSizeArg('K'),
            Constexpr(False),  # FP8_OUTPUT
            Constexpr(132),  # NUM_SMS
            Constexpr(True),  # WARP_SPECIALIZE
        ],
        shape_infer_rules=[
            'a_desc[m, k], b_desc[n, k] -> c_desc[m, n]',
            'a_desc[m, k] : m -> M',
            'b_desc[n, k] : n -> N',
            'a_desc[m, k] : k -> K',
        ],
        grid_dims=('min(NUM_SMS, cdiv(M, BLOCK_SIZE_M) * cdiv(N, BLOCK_SIZE_N))', '1', '1'),
    ),
]
