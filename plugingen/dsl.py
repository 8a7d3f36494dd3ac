"""The config DSL users write in ``kernel_config.py`` — PluginGen's classes, names and argument order.

These classes only record what the user wrote (and where); ``config.py`` validates them into a
``KernelSpec``. Each object remembers the config-file line that created it so errors can point there.
"""
from __future__ import annotations

import dataclasses
import enum
import os
import sys
from typing import Any, List, Optional, Sequence, Union

from .errors import ConfigError, Location

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _caller_location() -> Location:
    """The first stack frame outside this package: the config line that built the object."""
    frame = sys._getframe(1)
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _PACKAGE_DIR:
        frame = frame.f_back
    if frame is None:
        return Location("<unknown>")
    return Location(frame.f_code.co_filename, frame.f_lineno)


@dataclasses.dataclass(frozen=True)
class _DTypeInfo:
    abbr: str
    triton: str
    cpp: str  # how the plugin stores a scalar of this type (fp16/bf16 as raw bits)
    size: int
    trt: Optional[int]  # nvinfer1::DataType, None where TensorRT has no tensor type
    field: Optional[int]  # nvinfer1::PluginFieldType, None where no scalar field exists
    is_float: bool
    numpy: Optional[str]


class DType(enum.Enum):
    """Element types. Values follow TensorRT's DataType / PluginFieldType numbering."""

    FP16 = _DTypeInfo("fp16", "fp16", "uint16_t", 2, 1, 0, True, "float16")
    BF16 = _DTypeInfo("bf16", "bf16", "uint16_t", 2, 7, 9, True, None)
    FP32 = _DTypeInfo("fp32", "fp32", "float", 4, 0, 1, True, "float32")
    FP64 = _DTypeInfo("fp64", "fp64", "double", 8, None, 2, True, "float64")
    INT8 = _DTypeInfo("i8", "i8", "int8_t", 1, 2, 3, False, "int8")
    INT32 = _DTypeInfo("i32", "i32", "int32_t", 4, 3, 5, False, "int32")
    INT64 = _DTypeInfo("i64", "i64", "int64_t", 8, 8, 10, False, "int64")
    UINT8 = _DTypeInfo("u8", "u8", "uint8_t", 1, 5, None, False, "uint8")
    BOOL = _DTypeInfo("i1", "i1", "bool", 1, 4, None, False, "bool")

    @property
    def abbr(self) -> str:
        return self.value.abbr

    @classmethod
    def from_abbr(cls, abbr: str) -> "DType":
        for dtype in cls:
            if dtype.value.abbr == abbr:
                return dtype
        valid = ", ".join(d.value.abbr for d in cls)
        raise ConfigError(f"unknown dtype '{abbr}' (valid: {valid})", _caller_location())


_TENSOR_PREFIX = "tensor["


class Type:
    """``Type('fp32')`` is a scalar, ``Type('tensor[fp16]')`` (or ``'*fp16'``) a tensor of fp16."""

    def __init__(self, text: Union[str, "Type", DType]) -> None:
        if isinstance(text, Type):
            self.dtype, self.is_tensor = text.dtype, text.is_tensor
            return
        if isinstance(text, DType):
            self.dtype, self.is_tensor = text, False
            return
        if not isinstance(text, str):
            raise ConfigError(f"a Type is written as a string like 'fp16' or 'tensor[fp16]', got {text!r}",
                              _caller_location())
        spelled = text.replace(" ", "")
        self.is_tensor = False
        if spelled.startswith(_TENSOR_PREFIX) and spelled.endswith("]"):
            spelled, self.is_tensor = spelled[len(_TENSOR_PREFIX):-1], True
        elif spelled.startswith("*"):
            spelled, self.is_tensor = spelled[1:], True
        self.dtype = DType.from_abbr(spelled)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Type) and (self.dtype, self.is_tensor) == (other.dtype, other.is_tensor)

    def __hash__(self) -> int:
        return hash((self.dtype, self.is_tensor))

    def __repr__(self) -> str:
        return f"Type('{self}')"

    def __str__(self) -> str:
        return f"tensor[{self.dtype.abbr}]" if self.is_tensor else self.dtype.abbr

    def to_triton_sig(self) -> str:
        return ("*" if self.is_tensor else "") + self.dtype.value.triton

    @classmethod
    def tensor_ty(cls, abbr: str) -> "Type":
        return cls(f"tensor[{abbr}]")


class ArgKind(enum.Enum):
    INPUT = "InputArg"
    OUTPUT = "OutputArg"
    PARAM = "ParamArg"
    DIM_SIZE = "DimSizeArg"
    CONSTEXPR = "Constexpr"


def _hint_list(hints: Optional[Sequence[Any]]) -> List[str]:
    if hints is None:
        return []
    if isinstance(hints, (str, bytes)) or not isinstance(hints, (list, tuple)):
        raise ConfigError(f"hints must be a list of strings like ['16', ''], got {hints!r}", _caller_location())
    return [str(h) for h in hints]


class Argument:
    """One entry of ``KernelMetaData.ios``: a Triton kernel parameter and what feeds it."""

    kind: ArgKind

    def __init__(self, name: str, dtype: Union[str, Type, DType], hints: Optional[Sequence[Any]] = None) -> None:
        self.loc = _caller_location()
        self.name = name
        self.dtype = Type(dtype)
        self.hints = _hint_list(hints)

    @property
    def arg_type(self) -> ArgKind:
        return self.kind

    def __repr__(self) -> str:
        hints = f", hints={self.hints}" if self.hints else ""
        return f"{self.kind.value}({self.name!r}, {self.dtype!r}{hints})"


class InputArg(Argument):
    kind = ArgKind.INPUT


class OutputArg(Argument):
    kind = ArgKind.OUTPUT


class ParamArg(Argument):
    kind = ArgKind.PARAM


class DimSizeArg(Argument):
    """An integer computed at run time from input shapes by a ``... : expr -> name`` rule (int32 unless ``dtype='i64'``)."""

    kind = ArgKind.DIM_SIZE

    def __init__(self, name: str, hints: Optional[Sequence[Any]] = None,
                 dtype: Union[str, Type, DType] = "i32") -> None:
        super().__init__(name, dtype, hints)


class Constexpr:
    """The value of a ``tl.constexpr`` kernel parameter, fixed at build time."""

    kind = ArgKind.CONSTEXPR

    def __init__(self, value: Union[int, float, bool]) -> None:
        self.loc = _caller_location()
        self.value = value
        self.name = ""  # filled from the kernel signature by config.py
        self.hints: List[str] = []

    @property
    def arg_type(self) -> ArgKind:
        return self.kind

    def __repr__(self) -> str:
        return f"Constexpr({self.value!r})"


class KernelMetaData:
    """One Triton kernel and how it becomes one TensorRT plugin (PluginGen's field names and order)."""

    def __init__(self, kernel_name: str, ios: Sequence[Any] = (), shape_infer_rules: Sequence[str] = (),
                 version: int = 1, kernel_file: str = "", num_warps: int = 1, num_stages: int = 1,
                 grid_dims: Sequence[str] = ("1", "1", "1"), namespace: str = "") -> None:
        self.loc = _caller_location()
        self.kernel_name = kernel_name
        self.ios = list(ios) if isinstance(ios, (list, tuple)) else ios
        self.shape_infer_rules = list(shape_infer_rules) if isinstance(shape_infer_rules, (list, tuple)) \
            else shape_infer_rules
        self.version = version
        self.kernel_file = kernel_file
        self.num_warps = num_warps
        self.num_stages = num_stages
        self.grid_dims = grid_dims
        self.namespace = namespace

    def __repr__(self) -> str:
        return f"KernelMetaData({self.kernel_name!r})"


__all__ = ["DType", "Type", "ArgKind", "Argument", "InputArg", "OutputArg", "ParamArg", "DimSizeArg",
           "Constexpr", "KernelMetaData"]
