"""A config that forgot `from plugingen import *`."""
KERNELS = [
    KernelMetaData(  # <-- error
        kernel_name='add_kernel',
        kernel_file='kernels.py',
    ),
]
