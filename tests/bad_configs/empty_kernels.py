"""A config whose KERNELS is empty."""
from plugingen import *  # noqa: F401,F403

KERNELS = []  # <-- error
