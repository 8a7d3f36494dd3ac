"""plugingen config for the fused attention kernel in ``fmha_triton.py`` (PluginGen's FMHA example).

Inputs Q, K, V are fp16 ``[batch, heads, seq_len, 64]`` (all three the same shape, checked); outputs are ``Out``
(fp16, Q's shape) and the softmax statistics ``L``, ``M`` (fp32 ``[batch, heads, seq_len]``; see the kernel's
docstring). ``sm_scale`` and ``num_heads`` are plugin attributes (``num_heads`` must equal the tensors' head count:
a constraint); ``batch_size`` and ``seq_len`` are read from Q's shape at run time. Two variants: ``seq_len``
divisible by 16, and any ``seq_len``.

``num_stages`` is fixed at 2 (PluginGen queried the GPU and used 1 below sm_80; the build has no GPU).
"""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='fused_attention_kernel',
        kernel_file='fmha_triton.py',
        ios=[
            # outputs
            OutputArg('Out', Type('tensor[fp16]'), hints=['16', '16']),
            OutputArg('L', Type('tensor[fp32]'), hints=['16', '16']),
            OutputArg('M', Type('tensor[fp32]'), hints=['16', '16']),
            # inputs
            InputArg('Q', Type('tensor[fp16]'), hints=['16', '16']),
            InputArg('K', Type('tensor[fp16]'), hints=['16', '16']),
            InputArg('V', Type('tensor[fp16]'), hints=['16', '16']),
            # plugin attributes
            ParamArg('sm_scale', Type('fp32')),
            # sizes read from Q's shape
            DimSizeArg('batch_size'),
            ParamArg('num_heads', Type('i32')),
            DimSizeArg('seq_len', hints=['', '16']),
            # constexprs: BLOCK_M, BLOCK_DMODEL (= head size), BLOCK_N
            Constexpr(128),
            Constexpr(64),
            Constexpr(128),
        ],
        shape_infer_rules=[
            # Q, K and V are [batch, heads, seq_len, 64] (the kernel's head size is fixed at 64), all the same;
            # the outputs follow Q
            'Q[b, h, s, 64], K[b, h, s, 64], V[b, h, s, 64] -> Out[b, h, s, 64], L[b, h, s], M[b, h, s]',
            # the DimSizeArgs batch_size and seq_len, and a launch value: the head count of the tensors
            'Q[b, h, s, 64] : b -> batch_size',
            'Q[b, h, s, 64] : s -> seq_len',
            'Q[b, h, s, 64] : h -> heads',
        ],
        # the grid's y is batch_size * num_heads: the num_heads field must be the tensors' head count
        constraints=['num_heads == heads'],
        version=1,
        num_warps=4,
        num_stages=2,
        grid_dims=('(seq_len+127)/128', 'batch_size*num_heads', '1'),
    ),
]
