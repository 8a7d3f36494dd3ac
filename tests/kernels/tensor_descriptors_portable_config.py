"""Host tensor descriptors through the portable PTX only (issue 14): tensor_descriptors_config.py's
``desc_scale_kernel`` built for sm_80, where Triton does not lower descriptors to TMA, so the plugin passes each one
decomposed (base, shape, strides, options); on a newer GPU the driver JIT-compiles this PTX. Python wrapper:
``desc_scale_kernel(alpha, x)`` -> ``[y]``. Needs Triton 3.4 or newer."""
from tensor_descriptors_config import KERNELS as _BOTH

TEST_ARCHS = "80"

MIN_TRITON = (3, 4)

KERNELS = [k for k in _BOTH if k.kernel_name == 'desc_scale_kernel']
