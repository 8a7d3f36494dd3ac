"""A kernel file written for a package (relative import) but not inside one."""
from .kernels import add_kernel  # noqa: F401  # <-- error
