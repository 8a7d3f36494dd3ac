"""fp8 e4m3 tensors (TensorRT's kFP8, Triton's fp8e4nv): a quantise and a dequantise plugin, each serving fp16 and
fp32 on the other side. fp8 needs sm_89 or newer; a build for older archs compiles these for sm_89+ only.

Wrappers: ``fp8_quantize_kernel(scale, x)``, x ``[n]`` fp16/fp32 -> q fp8e4m3; ``fp8_dequantize_kernel(scale, q)``
-> y fp16/fp32 (signatures listed: the output's type is chosen by the inputs, so one per input type).
Refs: ``q = (x.float() * scale).to(torch.float8_e4m3fn)``, ``y = (q.float() / scale).to(dtype)``.
"""
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='fp8_quantize_kernel',
        kernel_file='fp8_cast.py',
        dtypes={'T': ['fp16', 'fp32']},
        ios=[
            InputArg('x', Type('tensor[T]'), hints=['16', '']),
            OutputArg('q', Type('tensor[fp8e4m3]'), hints=['16', '']),
            ParamArg('scale', Type('fp32')),
            DimSizeArg('n', hints=['16', '']),
            Constexpr(1024),  # BLOCK
        ],
        shape_infer_rules=['x[*] -> q[*]', 'x[*] : numel(x) -> n'],
        num_warps=4,
        grid_dims=('cdiv(n, BLOCK)', '1', '1'),
    ),
    KernelMetaData(
        kernel_name='fp8_dequantize_kernel',
        kernel_file='fp8_cast.py',
        dtypes={'T': ['fp16', 'fp32']},
        signatures=[{'T': 'fp16'}],
        ios=[
            InputArg('q', Type('tensor[fp8e4nv]')),
            OutputArg('y', Type('tensor[T]')),
            ParamArg('scale', Type('fp32')),
            DimSizeArg('n'),
            Constexpr(1024),  # BLOCK
        ],
        shape_infer_rules=['q[*] -> y[*]', 'q[*] : numel(q) -> n'],
        num_warps=4,
        grid_dims=('cdiv(n, BLOCK)', '1', '1'),
    ),
]
