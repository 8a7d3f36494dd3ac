"""The semantic model every stage shares: what a plugin is, from the validated config to the compiled images.

Frozen types only; each fact lives here once and the stages derive what they need from it:

* ``DType``: the one dtype table (TensorRT, plugin field, runtime scalar, C++, ONNX, torch and numpy spellings).
* ``Hint``: a specialisation promise about one argument, with its C++ condition and description.
* ``KernelSpec`` (from ``config``): a kernel's arguments, shape rules, dim sizes, grid and hint variants, plus the
  derived queries (names a grid may use, launch order per variant, Triton signature, variant choice).
* ``Image`` / ``CompiledKernel`` / ``CompiledConfig`` (from ``aot``): the compiled images and the manifest's content.
"""
from __future__ import annotations

import dataclasses
import enum
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple, Union

from . import expr
from .errors import Location
from .trt import DataType, PluginFieldType

__all__ = ["Location", "DType", "Hint", "ArgKind", "KernelArg", "OutputShape", "DimSizeValue", "Variant",
           "KernelSpec", "ConfigSpec", "LaunchParam", "Image", "CompiledKernel", "CompiledConfig"]


# ------------------------------------------------------------------------------------------------ dtypes
@dataclasses.dataclass(frozen=True)
class DTypeInfo:
    name: str  # plugingen's (and Triton's) spelling
    cpp: str  # how the plugin stores a scalar of this type (fp16/bf16 as raw bits)
    size: int  # bytes
    is_float: bool
    trt: Optional[DataType]  # tensor type; None where TensorRT has none
    field: Optional[PluginFieldType]  # plugin field type; None where a ParamArg cannot have this type
    scalar: Optional[str]  # runtime.h's plugingen::Scalar kind of a field of this type
    onnx: int  # onnx.TensorProto element type
    torch: str  # torch dtype attribute
    numpy: Optional[str]  # numpy dtype; None where numpy has none


class DType(enum.Enum):
    """Element types: the one table every other dtype mapping is derived from."""

    FP16 = DTypeInfo("fp16", "uint16_t", 2, True, DataType.HALF, PluginFieldType.FLOAT16, "kFP16", 10, "float16",
                     "float16")
    BF16 = DTypeInfo("bf16", "uint16_t", 2, True, DataType.BF16, PluginFieldType.BF16, "kBF16", 16, "bfloat16", None)
    FP32 = DTypeInfo("fp32", "float", 4, True, DataType.FLOAT, PluginFieldType.FLOAT32, "kFP32", 1, "float32",
                     "float32")
    FP64 = DTypeInfo("fp64", "double", 8, True, None, PluginFieldType.FLOAT64, "kFP64", 11, "float64", "float64")
    INT8 = DTypeInfo("i8", "int8_t", 1, False, DataType.INT8, PluginFieldType.INT8, "kI8", 3, "int8", "int8")
    INT32 = DTypeInfo("i32", "int32_t", 4, False, DataType.INT32, PluginFieldType.INT32, "kI32", 6, "int32", "int32")
    INT64 = DTypeInfo("i64", "int64_t", 8, False, DataType.INT64, PluginFieldType.INT64, "kI64", 7, "int64", "int64")
    UINT8 = DTypeInfo("u8", "uint8_t", 1, False, DataType.UINT8, None, None, 2, "uint8", "uint8")
    BOOL = DTypeInfo("i1", "bool", 1, False, DataType.BOOL, None, None, 9, "bool", "bool_")

    @property
    def abbr(self) -> str:
        return self.value.name

    @property
    def triton(self) -> str:
        return self.value.name

    cpp = property(lambda self: self.value.cpp)
    size = property(lambda self: self.value.size)
    is_float = property(lambda self: self.value.is_float)
    trt = property(lambda self: self.value.trt)
    field = property(lambda self: self.value.field)
    scalar = property(lambda self: self.value.scalar)
    onnx = property(lambda self: self.value.onnx)
    torch = property(lambda self: self.value.torch)
    numpy = property(lambda self: self.value.numpy)

    @property
    def wire(self) -> "DType":
        """The type a field value of this type travels as from Python (numpy has no bf16: fp32, rounded by the
        plugin)."""
        return self if self.numpy else DType.FP32

    @property
    def onnx_attribute(self) -> str:
        """The ONNX attribute type that carries a field of this type."""
        return "FLOAT" if self.is_float else "INT"

    @classmethod
    def named(cls, name: str) -> Optional["DType"]:
        return next((d for d in cls if d.value.name == name), None)


# ------------------------------------------------------------------------------------------------ arguments
class ArgKind(enum.Enum):
    INPUT = "InputArg"
    OUTPUT = "OutputArg"
    PARAM = "ParamArg"
    DIM_SIZE = "DimSizeArg"
    CONSTEXPR = "Constexpr"


class Hint(str, enum.Enum):
    """What one hint variant promises about one argument (the config's spelling is the value)."""

    NONE = ""
    DIV16 = "16"
    ONE = "1"

    @property
    def passed(self) -> bool:
        """Whether the argument is passed at launch ('1' compiles it in as the constant 1)."""
        return self is not Hint.ONE

    def condition(self, value: str) -> str:
        """The C++ (and Python) condition on ``value`` under which the promise holds."""
        return {Hint.DIV16: f"{value} % 16 == 0", Hint.ONE: f"{value} == 1"}.get(self, "true")

    def holds(self, value: int) -> bool:
        return {Hint.DIV16: value % 16 == 0, Hint.ONE: value == 1}.get(self, True)


@dataclasses.dataclass(frozen=True)
class KernelArg:
    """One Triton kernel parameter, in kernel order, and what feeds it."""

    name: str
    kind: ArgKind
    dtype: Optional[DType]  # None for constexprs
    is_tensor: bool
    hints: Tuple[str, ...]  # one per variant, as written (empty: no hint in any variant)
    slot: int  # position among the arguments of the same kind (input #, output #, field #, dim-size #)
    loc: Location = dataclasses.field(compare=False)
    value: Union[int, float, bool, None] = None  # constexpr value

    @property
    def is_int_scalar(self) -> bool:
        return not self.is_tensor and self.dtype is not None and not self.dtype.is_float

    @property
    def is_int_constexpr(self) -> bool:
        return self.kind is ArgKind.CONSTEXPR and isinstance(self.value, int) and not isinstance(self.value, bool)

    @property
    def type_text(self) -> str:
        """``tensor[fp16]``, ``i32``, or ``constexpr``."""
        if self.kind is ArgKind.CONSTEXPR:
            return "constexpr"
        return f"tensor[{self.dtype.abbr}]" if self.is_tensor else self.dtype.abbr

    def triton_type(self) -> str:
        if self.kind is ArgKind.CONSTEXPR:
            return "constexpr"
        return ("*" if self.is_tensor else "") + self.dtype.triton


def grid_names(args) -> Tuple[str, ...]:
    """Names a grid expression may use: DimSizeArgs, integer ParamArgs and integer constexprs, in kernel order."""
    return tuple(a.name for a in args if a.kind is ArgKind.DIM_SIZE or (a.kind is ArgKind.PARAM and a.is_int_scalar)
                 or a.is_int_constexpr)


@dataclasses.dataclass(frozen=True)
class OutputShape:
    """How one output's shape follows from the inputs: a pattern of a shape rule, with input slots resolved."""

    output: int  # output slot
    rule: expr.ShapeRule
    pattern: expr.OutputPattern
    input_slots: Tuple[int, ...]  # plugin input slot of each left-hand pattern of the rule
    loc: Location = dataclasses.field(compare=False)


@dataclasses.dataclass(frozen=True)
class DimSizeValue:
    """How one DimSizeArg is computed from input shapes."""

    dim_size: int  # dim-size slot
    rule: expr.DimSizeRule
    input_slots: Tuple[int, ...]
    loc: Location = dataclasses.field(compare=False)


@dataclasses.dataclass(frozen=True)
class Variant:
    """One AOT specialisation: the hint of every kernel argument (``Hint.NONE`` = no assumption)."""

    hints: Tuple[Hint, ...]  # aligned with KernelSpec.args

    def __post_init__(self) -> None:
        object.__setattr__(self, "hints", tuple(Hint(h) for h in self.hints))

    @property
    def rank(self) -> int:
        return sum(1 for h in self.hints if h is not Hint.NONE)


@dataclasses.dataclass(frozen=True)
class KernelSpec:
    kernel_name: str
    plugin_name: str
    version: str
    namespace: str
    kernel_file: Path
    source_key: str  # Triton's hash of the kernel's source and of the jit functions it calls
    args: Tuple[KernelArg, ...]  # every kernel parameter, in kernel order
    output_shapes: Tuple[OutputShape, ...]  # one per output, in output order
    dim_size_values: Tuple[DimSizeValue, ...]  # one per DimSizeArg, in order
    grid: Tuple[expr.Expr, expr.Expr, expr.Expr]
    num_warps: int
    num_stages: int
    variants: Tuple[Variant, ...]  # most specialised first
    loc: Location = dataclasses.field(compare=False)

    def of_kind(self, kind: ArgKind) -> Tuple[KernelArg, ...]:
        return tuple(a for a in self.args if a.kind is kind)

    inputs = property(lambda self: self.of_kind(ArgKind.INPUT))
    outputs = property(lambda self: self.of_kind(ArgKind.OUTPUT))
    fields = property(lambda self: self.of_kind(ArgKind.PARAM), doc="the ParamArgs: the plugin's fields")
    dim_sizes = property(lambda self: self.of_kind(ArgKind.DIM_SIZE))

    @property
    def function_name(self) -> str:
        """The name of the kernel's function in functional.py and onnx_plugins.py."""
        return self.kernel_name

    # ---- launch values: what grid expressions may name
    def grid_names(self) -> Tuple[str, ...]:
        return grid_names(self.args)

    def grid_env(self, fields: Mapping[str, int], dim_sizes: Mapping[str, int]) -> Dict[str, int]:
        """The value of every grid name, from field and DimSizeArg values."""
        names = set(self.grid_names())
        return {a.name: int(dim_sizes[a.name] if a.kind is ArgKind.DIM_SIZE else
                            fields[a.name] if a.kind is ArgKind.PARAM else a.value)
                for a in self.args if a.name in names}

    def dim_size_env(self, input_shapes) -> Dict[str, int]:
        """Each DimSizeArg's value for concrete input shapes (in input order), as the plugin computes it."""
        values = {}
        for value in self.dim_size_values:
            env = {name: int(input_shapes[value.input_slots[pattern]][position])
                   for name, (pattern, position) in expr.dim_bindings(value.rule.inputs).items()}
            values[self.dim_sizes[value.dim_size].name] = expr.evaluate(value.rule.expr, env)
        return values

    # ---- variants
    def hinted(self, variant: Variant) -> Tuple[Tuple[KernelArg, Hint], ...]:
        """The arguments ``variant`` promises something about, with the promise."""
        return tuple((a, h) for a, h in zip(self.args, variant.hints) if h is not Hint.NONE)

    def describe(self, variant: Variant) -> str:
        """``x % 16 == 0, n == 1``, or ``generic (no hints)``."""
        return ", ".join(h.condition(a.name) for a, h in self.hinted(variant)) or "generic (no hints)"

    def launched(self, variant: Variant) -> Tuple[KernelArg, ...]:
        """The arguments ``variant``'s compiled entry takes, in order (before Triton's hidden ones)."""
        return tuple(a for a, h in zip(self.args, variant.hints) if a.kind is not ArgKind.CONSTEXPR and h.passed)

    def triton_signature(self, variant: Variant) -> Tuple[Tuple[str, str, object, bool], ...]:
        """(name, Triton type or 'constexpr', constant value or None, divisible by 16) of each parameter as the AOT
        compiles ``variant``."""
        out = []
        for a, h in zip(self.args, variant.hints):
            if a.kind is ArgKind.CONSTEXPR:
                out.append((a.name, "constexpr", a.value, False))
            elif h is Hint.ONE:
                out.append((a.name, "constexpr", 1, False))
            else:
                out.append((a.name, a.triton_type(), None, h is Hint.DIV16))
        return tuple(out)

    def select_variant(self, values: Mapping[str, int]) -> Optional[int]:
        """The index of the variant the plugin launches for these argument values (pointers as addresses): the
        first, i.e. most specialised, whose hints hold; None when none does."""
        for index, variant in enumerate(self.variants):
            if all(h.holds(int(values[a.name])) for a, h in self.hinted(variant)):
                return index
        return None

    @property
    def has_generic(self) -> bool:
        return any(v.rank == 0 for v in self.variants)


@dataclasses.dataclass(frozen=True)
class ConfigSpec:
    config_file: Path
    kernels: Tuple[KernelSpec, ...]


# ------------------------------------------------------------------------------------------------ compiled
@dataclasses.dataclass(frozen=True)
class LaunchParam:
    """One parameter of the compiled kernel's entry, as the PTX declares it."""

    name: str  # kernel parameter name, or 'global_scratch' / 'profile_scratch' for Triton's hidden ones
    size: int  # bytes passed to cuLaunchKernel
    hidden: bool


@dataclasses.dataclass(frozen=True)
class Image:
    """One compiled image: a hint variant for one arch."""

    variant: Variant
    arch: int
    entry: str  # kernel symbol in the cubin
    cubin: bytes
    ptx: str  # kept for the lowest arch only (JIT fallback for newer GPUs), else ''
    shared: int  # dynamic shared memory bytes
    num_warps: int
    params: Tuple[LaunchParam, ...]
    scratch: int = 0  # Triton's global scratch bytes per program (e.g. device-side TMA descriptors), from the workspace
    scratch_align: int = 1


@dataclasses.dataclass(frozen=True)
class CompiledKernel:
    spec: KernelSpec
    images: Tuple[Image, ...]  # variant order (most specialised first), then arch ascending

    def images_of(self, variant: Variant) -> Tuple[Image, ...]:
        return tuple(i for i in self.images if i.variant == variant)

    @property
    def scratch(self) -> int:
        """Global scratch bytes per program: the most any image needs."""
        return max((i.scratch for i in self.images), default=0)

    @property
    def scratch_align(self) -> int:
        return max((i.scratch_align for i in self.images), default=1)


@dataclasses.dataclass(frozen=True)
class CompiledConfig:
    config: ConfigSpec
    kernels: Tuple[CompiledKernel, ...]
    archs: Tuple[int, ...]  # ascending
    triton_version: str

    def manifest(self, tool_version: str, trt_headers: str) -> dict:
        """The content of ``manifest.json``."""
        kernels = []
        for kernel in self.kernels:
            s = kernel.spec
            kernels.append({
                "kernel": s.kernel_name, "plugin": s.plugin_name, "version": s.version, "namespace": s.namespace,
                "fields": [{"name": a.name, "dtype": a.dtype.abbr} for a in s.fields],
                "inputs": [{"name": a.name, "dtype": a.dtype.abbr} for a in s.inputs],
                "outputs": [{"name": a.name, "dtype": a.dtype.abbr} for a in s.outputs],
                "variants": [[f"{a.name}:{h.value}" for a, h in s.hinted(v)] for v in s.variants],
                "images": [{"variant": s.variants.index(i.variant), "arch": i.arch, "entry": i.entry,
                            "shared": i.shared, "scratch": i.scratch, "ptx": bool(i.ptx)} for i in kernel.images],
            })
        return {"plugingen": tool_version, "triton": self.triton_version, "config": self.config.config_file.name,
                "archs": list(self.archs), "trt_headers": trt_headers, "kernels": kernels}
