"""What differs between the Triton versions plugingen builds with (3.3 to 3.9), in one place.

Where a difference can be read off the installed Triton (an attribute that moved), it is detected here; what can only
be known per version (the parameters Triton appends to every compiled kernel) is a row of ``ABI``. Versions newer than
the table's last row are used as that row says, and whatever they add that the row does not know (another hidden
parameter, a launch feature in the metadata) is an error, not a guess.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import re
from typing import Any, Iterator, Optional, Tuple

from .errors import BuildError

PROVEN = ("3.3.0", "3.9.0")  # the oldest and newest releases CI builds every example and test kernel with


@dataclasses.dataclass(frozen=True)
class Abi:
    """What one range of Triton versions appends to a kernel's parameters, in order (all pointers), which launch
    options it compiles, and how its launcher passes a host tensor descriptor that was not lowered to TMA: base
    pointer, shape and strides (i64), then ``descriptor_flags`` i1 options (padding; rounding to tf32), then the shape
    (i32) and strides (i64) again. A TMA descriptor is the CUtensorMap, then the shape (i32) and strides (i64)."""

    first: Tuple[int, int]  # the first version of the range (the range ends where the next row begins)
    hidden: Tuple[str, ...]
    launch_pdl: bool  # the launch_pdl option (and tl.extra.cuda.gdc_*)
    descriptor_flags: Optional[int]  # None: no host tensor descriptors (triton.tools.tensor_descriptor)


ABI: Tuple[Abi, ...] = (
    Abi((3, 3), ("global_scratch",), launch_pdl=False, descriptor_flags=None),
    Abi((3, 4), ("global_scratch",), launch_pdl=True, descriptor_flags=0),
    Abi((3, 5), ("global_scratch", "profile_scratch"), launch_pdl=True, descriptor_flags=1),
    Abi((3, 7), ("global_scratch", "profile_scratch"), launch_pdl=True, descriptor_flags=2),
)

# the keys of a compiled kernel's ``tensordesc_meta`` entries (3.4 to 3.9); another key is a surprise, not a guess
TENSORDESC_KEYS = frozenset({"swizzle", "elem_size", "elem_type", "block_size", "fp4_padded", "is_im2col"})


def tma_data_type(device_type: int) -> int:
    """The CUtensorMapDataType of Triton's device-side TMA element type (its launcher's TMA_DTYPE_DEVICE_TO_HOST:
    the two enums differ for three values)."""
    return {8: 10, 9: 8, 10: 9}.get(device_type, device_type)


def version(text: str = "") -> Tuple[int, int]:
    """(major, minor) of the installed Triton (or of ``text``)."""
    if not text:
        import triton

        text = triton.__version__
    match = re.match(r"(\d+)\.(\d+)", text)
    if not match:
        raise BuildError(f"cannot read Triton's version '{text}'")
    return int(match.group(1)), int(match.group(2))


OLDEST, NEWEST = version(PROVEN[0]), version(PROVEN[-1])


def supported_range() -> str:
    return f"{OLDEST[0]}.{OLDEST[1]} to {NEWEST[0]}.{NEWEST[1]}"


def require_supported(text: str = "") -> Tuple[int, int]:
    """The installed Triton's (major, minor), or a clear error when plugingen cannot build with it."""
    found = version(text)
    if found < OLDEST:
        raise BuildError(f"Triton {found[0]}.{found[1]} is older than plugingen supports ({supported_range()})",
                         hint=f"pip install 'triton>={OLDEST[0]}.{OLDEST[1]}'")
    return found


def abi(text: str = "") -> Abi:
    """The ``ABI`` row of the installed Triton (or of ``text``)."""
    found = version(text)
    return [row for row in ABI if row.first <= found][-1]


@contextlib.contextmanager
def active_driver(replacement: Any) -> Iterator[None]:
    """``triton.runtime.driver.active`` is ``replacement`` meanwhile. Triton 3.3 keeps the active driver in an
    attribute; later versions behind a property that would create the real (GPU) driver when read."""
    from triton.runtime import driver

    slot = "_active" if "_active" in vars(driver) else "active"
    saved = getattr(driver, slot)
    driver.set_active(replacement)
    try:
        yield
    finally:
        setattr(driver, slot, saved)


def fp_fusion() -> bool:
    """Whether Triton's JIT fuses multiplies and adds (its default, ``TRITON_DEFAULT_FP_FUSION``, on unless set off;
    ``TRITON_FORCE_DISABLE_FP_FUSION`` from 3.4). Passed to every compile explicitly: the images match what the JIT
    compiles in this environment, the AOT cache key covers it, and Triton 3.9 does not warn that it is unset."""
    truthy = ("1", "true", "on", "yes")
    default = os.environ.get("TRITON_DEFAULT_FP_FUSION", "1").strip().lower() in truthy
    return default and os.environ.get("TRITON_FORCE_DISABLE_FP_FUSION", "").strip().lower() not in truthy


def cluster_dims(metadata: Any) -> Tuple[int, int, int]:
    """The CTAs of one program a compiled kernel needs launched together: Triton 3.3 to 3.5 record
    ``cluster_dims`` (their launcher multiplies the grid by it), later versions only ``num_ctas`` (a cluster along
    x, the grid's x multiplied by it). (1, 1, 1): a plain launch."""
    ctas = int(getattr(metadata, "num_ctas", 1) or 1)
    if ctas == 1:
        return (1, 1, 1)
    dims = tuple(int(d) for d in getattr(metadata, "cluster_dims", ()) or ())
    if len(dims) == 3 and dims[0] * dims[1] * dims[2] == ctas:
        return dims  # type: ignore[return-value]
    return (ctas, 1, 1)
