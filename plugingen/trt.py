"""TensorRT's enum numbering, the Python side (``include/plugingen/trt_abi.h`` is the C++ side; a test keeps the two
equal). Member names are the C++ enumerators without their ``k``: ``DataType.HALF`` is ``nvinfer1::DataType::kHALF``.
"""
from __future__ import annotations

import enum


class _Enum(enum.IntEnum):
    @property
    def cpp(self) -> str:
        """The C++ enumerator, e.g. ``DataType::kHALF``."""
        return f"{type(self).__name__}::k{self.name}"


class DataType(_Enum):
    """``nvinfer1::DataType``."""

    FLOAT = 0
    HALF = 1
    INT8 = 2
    INT32 = 3
    BOOL = 4
    UINT8 = 5
    FP8 = 6
    BF16 = 7
    INT64 = 8
    INT4 = 9
    FP4 = 10
    E8M0 = 11


class TensorFormat(_Enum):
    """``nvinfer1::TensorFormat``."""

    LINEAR = 0
    CHW2 = 1
    HWC8 = 2
    CHW4 = 3
    CHW16 = 4
    CHW32 = 5
    DHWC8 = 6
    CDHW32 = 7
    HWC = 8
    DLA_LINEAR = 9
    DLA_HWC4 = 10
    HWC16 = 11
    DHWC = 12


class PluginFieldType(_Enum):
    """``nvinfer1::PluginFieldType``."""

    FLOAT16 = 0
    FLOAT32 = 1
    FLOAT64 = 2
    INT8 = 3
    INT16 = 4
    INT32 = 5
    CHAR = 6
    DIMS = 7
    UNKNOWN = 8
    BF16 = 9
    INT64 = 10
    FP8 = 11
    INT4 = 12
    FP4 = 13


class TensorRTPhase(_Enum):
    """``nvinfer1::TensorRTPhase``."""

    BUILD = 0
    RUNTIME = 1
