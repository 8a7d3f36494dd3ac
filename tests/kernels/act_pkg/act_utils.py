"""Device functions the kernels share."""
import triton
import triton.language as tl


@triton.jit
def apply_act_func(x, act_func: tl.constexpr):
    """``act_func`` of fp32 ``x``: 'relu' or 'leaky_relu' (slope 0.01)."""
    if act_func == 'relu':
        return tl.maximum(x, 0.0)
    else:
        return tl.where(x > 0, x, 0.01 * x)
