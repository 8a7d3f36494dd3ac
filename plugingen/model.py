"""The semantic model every stage shares: what a plugin is, from the validated config to the compiled images.

Frozen types only; each fact lives here once and the stages derive what they need from it:

* ``DType``: the one dtype table (TensorRT, plugin field, runtime scalar, C++, ONNX, torch and numpy spellings).
* ``Hint``: a specialisation promise about one argument, with its C++ condition and description.
* ``Tactic``, ``Heuristic``: the autotune configs (TensorRT tactics) and the ``@triton.heuristics`` a kernel carries.
* ``Signature``: one combination of a plugin's type variables (``dtypes={'T': [...]}``).
* ``KernelSpec`` (from ``config``): a kernel's arguments, shape rules, dim sizes and launch values, grid, tactics,
  heuristics, hint variants and dtype signatures, plus the derived queries (names a grid may use, the compiled
  points, launch order per variant, Triton signature, variant choice, each argument's dtype per signature).
* ``Image`` / ``CompiledKernel`` / ``CompiledConfig`` (from ``aot``): the compiled images and the manifest's content.
"""
from __future__ import annotations

import dataclasses
import enum
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Mapping, Optional, Sequence, Tuple, Union

from . import expr
from .errors import Location
from .trt import DataType, PluginFieldType

if TYPE_CHECKING:  # the plan stage builds on this model
    from .plan import KernelPlan

__all__ = ["NUM_SMS", "default_plugin_name", "function_name", "Location", "DType", "Hint", "ArgKind", "KernelArg",
           "OutputShape", "DimSizeValue", "Variant",
           "CompileOptions", "Tactic", "integer_meta", "COMPILE_OPTION_HEURISTICS", "Heuristic", "Constraint",
           "Signature", "Point", "KernelSpec", "ConfigSpec",
           "LaunchParam", "TensorMap", "Image", "Tuning", "CompiledKernel", "CompiledConfig"]


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
    plugin_io: bool = True  # TensorRT allows it for plugin inputs and outputs (PluginTensorDesc::type)
    triton_name: str = ""  # Triton's spelling where it differs from plugingen's
    min_arch: int = 0  # the lowest SM whose Triton backend (and TensorRT) handle it


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
    # NvInferRuntime.h, PluginTensorDesc::type and getOutputDataTypes: "DataType:kBOOL and DataType::kUINT8 are not
    # supported" for plugin I/O (TensorRT 10.0-10.14, 11 and TensorRT-RTX)
    UINT8 = DTypeInfo("u8", "uint8_t", 1, False, DataType.UINT8, None, None, 2, "uint8", "uint8", plugin_io=False)
    BOOL = DTypeInfo("i1", "bool", 1, False, DataType.BOOL, None, None, 9, "bool", "bool_", plugin_io=False)
    # TensorRT's kFP8 is e4m3 (Triton's fp8e4nv, torch's float8_e4m3fn); TensorRT has no e5m2 type. Triton converts
    # fp8e4nv on sm_89 and newer only.
    FP8E4M3 = DTypeInfo("fp8e4m3", "uint8_t", 1, True, DataType.FP8, None, None, 17, "float8_e4m3fn", None,
                        triton_name="fp8e4nv", min_arch=89)
    FP8E5M2 = DTypeInfo("fp8e5m2", "uint8_t", 1, True, None, None, None, 19, "float8_e5m2", None,
                        triton_name="fp8e5")

    @property
    def abbr(self) -> str:
        return self.value.name

    @property
    def triton(self) -> str:
        return self.value.triton_name or self.value.name

    cpp = property(lambda self: self.value.cpp)
    size = property(lambda self: self.value.size)
    is_float = property(lambda self: self.value.is_float)
    trt = property(lambda self: self.value.trt)
    field = property(lambda self: self.value.field)
    scalar = property(lambda self: self.value.scalar)
    onnx = property(lambda self: self.value.onnx)
    torch = property(lambda self: self.value.torch)
    numpy = property(lambda self: self.value.numpy)
    plugin_io = property(lambda self: self.value.plugin_io)
    min_arch = property(lambda self: self.value.min_arch)

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
        """The dtype spelt ``name`` by plugingen (``fp8e4m3``) or by Triton (``fp8e4nv``)."""
        return next((d for d in cls if name in (d.value.name, d.triton)), None)


# ------------------------------------------------------------------------------------------------ arguments
class ArgKind(enum.Enum):
    INPUT = "InputArg"
    OUTPUT = "OutputArg"
    PARAM = "ParamArg"
    DIM_SIZE = "DimSizeArg"
    CONSTEXPR = "Constexpr"
    TUNED = "triton.Config"  # a constexpr each autotune config (tactic) sets; not in ios
    HEURISTIC = "triton.heuristics"  # a constexpr a heuristic computes per launch; not in ios

    @property
    def is_constexpr(self) -> bool:
        return self in (ArgKind.CONSTEXPR, ArgKind.TUNED, ArgKind.HEURISTIC)


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
    # Constexpr value, None included (an absent optional input, as Triton's JIT specialises a None argument); TUNED /
    # HEURISTIC: set per tactic / launch
    value: Union[int, float, bool, str, None] = None
    type_var: Optional[str] = None  # typed by a type variable (``tensor[T]``): dtype is None, each signature says
    alias: Optional[str] = None  # an OutputArg that is this InputArg itself (updated in place)
    is_parameter: bool = True  # False: an in-place OutputArg the kernel reaches through its input's parameter
    is_read: bool = True  # False: the kernel's body never names it (no fact about it changes the compiled code)
    is_descriptor: bool = False  # a tensor the kernel takes as a host tensor descriptor (``tensordesc[...]``)
    block_shape: Tuple[expr.Expr, ...] = ()  # a descriptor's block, over constexprs (or from the configs' pre_hook)

    @property
    def is_int_scalar(self) -> bool:
        return not self.is_tensor and self.dtype is not None and not self.dtype.is_float

    @property
    def is_int_constexpr(self) -> bool:
        return self.kind is ArgKind.CONSTEXPR and _is_int(self.value)

    @property
    def type_text(self) -> str:
        """``tensor[fp16]``, ``i32``, or ``constexpr``."""
        if self.kind.is_constexpr:
            return "constexpr"
        name = self.type_var or self.dtype.abbr
        return f"{'tensordesc' if self.is_descriptor else 'tensor'}[{name}]" if self.is_tensor else name

    def triton_type(self, dtype: Optional[DType] = None, block: Tuple[int, ...] = ()) -> str:
        """Triton's type of the parameter (``dtype``: what its type variable is in one signature; ``block``: a
        descriptor's block shape at one point)."""
        if self.kind.is_constexpr:
            return "constexpr"
        dtype = dtype or self.dtype
        name = dtype.triton if dtype else self.type_var
        if self.is_descriptor:
            return f"tensordesc<{name}{list(block)}>"
        return ("*" if self.is_tensor else "") + name


def default_plugin_name(kernel_name: str) -> str:
    """The plugin a kernel becomes when its config gives no ``plugin_name``."""
    return f"{kernel_name}Plugin"


def function_name(plugin_name: str) -> str:
    """A plugin's function in the generated Python modules: its name less a trailing ``Plugin`` and leading
    underscores (``_attn_fwdPlugin`` -> ``attn_fwd``, ``swiglu_14336`` -> ``swiglu_14336``)."""
    return plugin_name[:-len("Plugin")].lstrip("_") if plugin_name.endswith("Plugin") else plugin_name.lstrip("_")


NUM_SMS = "num_sms"  # the launch value every grid and constraint may use: the device's SM count, read at launch


def _is_int(value: object) -> bool:
    """An integer or a bool: what grids and heuristics compute with."""
    return isinstance(value, int)


def scalar_names(args) -> Tuple[str, ...]:
    """Arguments an expression (a grid, a heuristic) may name: DimSizeArgs, integer ParamArgs and integer (or bool)
    constexprs, in kernel order (tuned and heuristic constexprs too; ``KernelSpec`` checks their values)."""
    return tuple(a.name for a in args if a.kind in (ArgKind.DIM_SIZE, ArgKind.TUNED, ArgKind.HEURISTIC)
                 or (a.kind is ArgKind.PARAM and a.is_int_scalar) or a.is_int_constexpr)


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
    """A value computed from input shapes by a ``... : expr -> target`` rule: a DimSizeArg (passed to the kernel),
    or a launch value (a name grid expressions use; int64)."""

    target: str
    dtype: DType  # the DimSizeArg's type; INT64 for a launch value
    is_argument: bool
    rule: expr.DimSizeRule
    input_slots: Tuple[int, ...]
    loc: Location = dataclasses.field(compare=False)


@dataclasses.dataclass(frozen=True)
class Variant:
    """One AOT specialisation: the hint of every kernel argument (``Hint.NONE`` = no assumption)."""

    hints: Tuple[Hint, ...]  # aligned with KernelSpec.args
    automatic: bool = dataclasses.field(default=False, compare=False)  # added by specialise, not in the config

    def __post_init__(self) -> None:
        object.__setattr__(self, "hints", tuple(Hint(h) for h in self.hints))

    @property
    def rank(self) -> int:
        return sum(1 for h in self.hints if h is not Hint.NONE)


@dataclasses.dataclass(frozen=True)
class CompileOptions:
    """Triton's compile options a tactic sets (the keywords of ``kernel[grid](...)`` that are not arguments)."""

    num_warps: int
    num_stages: int
    maxnreg: Optional[int] = None
    num_ctas: int = 1  # a cluster of num_ctas CTAs per program (sm_90+): launched through cuLaunchKernelEx
    launch_pdl: bool = False  # programmatic dependent launch (the kernel may start before the previous one ends)
    launch_cooperative_grid: bool = False  # a cooperative launch (grid-wide synchronisation)

    def compile_options(self) -> Tuple[Tuple[str, object], ...]:
        """The options for ``triton.compile``: the defaults left out."""
        return tuple((f.name, getattr(self, f.name)) for f in dataclasses.fields(self)
                     if f.name in ("num_warps", "num_stages") or getattr(self, f.name) != f.default)

    def describe(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.compile_options())


@dataclasses.dataclass(frozen=True)
class Tactic:
    """One autotune config: a TensorRT tactic (value = index + 1; 0 is TensorRT's default, the first config).

    ``meta`` are the constexprs it sets (kernel order); ``options`` how it compiles, per arch (ascending), since a
    kernel file may choose them by the build target's capability."""

    meta: Tuple[Tuple[str, object], ...]
    options: Tuple[Tuple[int, CompileOptions], ...]
    block_shapes: Tuple[Tuple[str, Tuple[int, ...]], ...] = ()  # descriptor blocks its pre_hook sets

    def options_for(self, arch: int) -> CompileOptions:
        """The options for ``arch``; options that are the same for every arch evaluated hold for any arch."""
        by_arch = dict(self.options)
        if arch in by_arch:
            return by_arch[arch]
        if len(set(by_arch.values())) == 1:
            return next(iter(by_arch.values()))
        raise KeyError(f"the config was evaluated for sm_{', sm_'.join(map(str, by_arch))}, not sm_{arch}")

    def describe(self) -> str:
        """``BLOCK_M=128, BLOCK_N=64, num_warps=4, num_stages=3`` (per-arch options as ``sm_80: ...; sm_90: ...``)."""
        meta = [f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}" for k, v in self.meta]
        distinct = {o for _, o in self.options}
        if len(distinct) == 1:
            return ", ".join(meta + [next(iter(distinct)).describe()])
        per_arch = "; ".join(f"sm_{arch}: {o.describe()}" for arch, o in self.options)
        return ", ".join(meta + [per_arch])


def integer_meta(tactics) -> frozenset:
    """The meta-parameters whose value is an integer in every tactic: those grids, constraints and heuristics can
    compute with."""
    values = [(n, v) for t in tactics for n, v in t.meta]
    return frozenset(n for n, _ in values) - {n for n, v in values if not _is_int(v)}


COMPILE_OPTION_HEURISTICS = ("num_warps", "num_stages")  # compile options a heuristic may set per launch, as the JIT
# takes them per call (where the kernel also has a parameter of that name, the heuristic sets both, as Triton does)


@dataclasses.dataclass(frozen=True)
class Heuristic:
    """A ``@triton.heuristics`` (or ``KernelMetaData(heuristics=...)``) entry: ``name`` = ``expr``, computed per
    launch (in order, so a later heuristic may read an earlier one), compiled for each value of ``domain``. ``name``
    is a constexpr parameter, or a compile option (``num_warps``, ``num_stages``)."""

    name: str
    expr: expr.Expr
    domain: Optional[Tuple[object, ...]]  # ints or bools; (False, True) for a truth value; None until derived
    source: str  # the lambda as written
    loc: Location = dataclasses.field(compare=False)

    @property
    def option(self) -> bool:
        """Whether it sets a compile option (``num_warps``, ``num_stages``)."""
        return self.name in COMPILE_OPTION_HEURISTICS


@dataclasses.dataclass(frozen=True)
class Constraint:
    """A precondition of the kernel (``n_cols <= BLOCK_SIZE``), checked before every launch: a violation is a
    plugin error naming it and its values, never a launch."""

    text: str
    expr: expr.Expr
    loc: Location = dataclasses.field(compare=False)


@dataclasses.dataclass(frozen=True)
class Signature:
    """One dtype signature of a plugin: the dtype of each type variable (``T=fp16, U=fp32``), declared order."""

    types: Tuple[Tuple[str, DType], ...]

    def of(self, var: str) -> DType:
        return dict(self.types)[var]

    def describe(self) -> str:
        return ", ".join(f"{var}={dtype.abbr}" for var, dtype in self.types)


@dataclasses.dataclass(frozen=True)
class Point:
    """One compiled specialisation of a kernel, before the arch: a dtype signature, a tactic, the heuristics'
    values, a hint variant."""

    tactic: int
    choice: Tuple[object, ...]  # one value per heuristic
    variant: Variant
    signature: int = 0  # index into KernelSpec.signatures


@dataclasses.dataclass(frozen=True)
class KernelSpec:
    kernel_name: str
    plugin_name: str
    version: str
    namespace: str
    kernel_file: Path
    source_key: str  # Triton's hash of the kernel's source and of the jit functions it calls
    args: Tuple[KernelArg, ...]  # every kernel parameter, in kernel order; then in-place outputs that are not ones
    output_shapes: Tuple[OutputShape, ...]  # one per output, in output order
    dim_size_values: Tuple[DimSizeValue, ...]  # the DimSizeArgs (in order), then the launch values
    grid: Tuple[expr.Expr, expr.Expr, expr.Expr]
    tactics: Tuple[Tactic, ...]  # at least one
    heuristics: Tuple[Heuristic, ...]  # in the order Triton applies them
    variants: Tuple[Variant, ...]  # most specialised first
    reset_to_zero: Tuple[str, ...]  # tensors zeroed before every launch (autotune's reset_to_zero)
    constraints: Tuple[Constraint, ...]
    signatures: Tuple[Signature, ...]  # at least one (``Signature(())`` without type variables)
    loc: Location = dataclasses.field(compare=False)
    tuning_key: Tuple[str, ...] = ()  # @triton.autotune's key: the arguments a config is chosen per bucket of

    def of_kind(self, kind: ArgKind) -> Tuple[KernelArg, ...]:
        return tuple(a for a in self.args if a.kind is kind)

    inputs = property(lambda self: self.of_kind(ArgKind.INPUT))
    outputs = property(lambda self: self.of_kind(ArgKind.OUTPUT))
    fields = property(lambda self: self.of_kind(ArgKind.PARAM), doc="the ParamArgs: the plugin's fields")
    dim_sizes = property(lambda self: self.of_kind(ArgKind.DIM_SIZE))
    tuned = property(lambda self: self.of_kind(ArgKind.TUNED), doc="the constexprs the tactics set")

    @property
    def tensors(self) -> Tuple[KernelArg, ...]:
        """The plugin's inputs, then its outputs: TensorRT's ``inOut`` order."""
        return self.inputs + self.outputs

    def dtype_of(self, arg: KernelArg, signature: int) -> DType:
        """``arg``'s dtype in signature ``signature``."""
        return self.signatures[signature].of(arg.type_var) if arg.type_var else arg.dtype

    def field_dtype(self, arg: KernelArg) -> DType:
        """How a ParamArg is stored as a plugin field: its dtype, or for a type variable the widest it takes (ints:
        the largest; floats: fp64 if among them, else fp32), converted to the signature's type at launch."""
        if not arg.type_var:
            return arg.dtype
        dtypes = {self.dtype_of(arg, s) for s in range(len(self.signatures))}
        if any(d.is_float for d in dtypes):
            return DType.FP64 if DType.FP64 in dtypes else DType.FP32
        return max(dtypes, key=lambda d: d.size)

    @property
    def aliases(self) -> Tuple[Tuple[int, int], ...]:
        """(output slot, input slot) of every output that is an input updated in place."""
        slots = {a.name: a.slot for a in self.inputs}
        return tuple((a.slot, slots[a.alias]) for a in self.outputs if a.alias)

    def min_arch(self, signature: int) -> int:
        """The lowest SM that can run signature ``signature`` (fp8 needs sm_89; 0: any)."""
        return max((self.dtype_of(a, signature).min_arch for a in self.tensors), default=0)

    def archs_of(self, signature: int, archs: Tuple[int, ...]) -> Tuple[int, ...]:
        """The archs of ``archs`` that can run signature ``signature``."""
        return tuple(a for a in archs if a >= self.min_arch(signature))

    @property
    def launch_values(self) -> Tuple[DimSizeValue, ...]:
        return tuple(v for v in self.dim_size_values if not v.is_argument)

    @property
    def function_name(self) -> str:
        """The plugin's function in functional.py and onnx_plugins.py, its key in their ``PLUGINS``, and its C++
        namespace (``function_name``)."""
        return function_name(self.plugin_name)

    @property
    def num_warps(self) -> int:
        """The default tactic's num_warps on the lowest arch."""
        return self.tactics[0].options[0][1].num_warps

    @property
    def num_stages(self) -> int:
        return self.tactics[0].options[0][1].num_stages

    # ---- the values of one launch
    def dim_size_env(self, input_shapes) -> Dict[str, int]:
        """Each DimSizeArg's and launch value's value for concrete input shapes (in input order), as the plugin
        computes them."""
        env: Dict[str, int] = {}
        for value in self.dim_size_values:
            dims = {name: int(input_shapes[value.input_slots[pattern]][position])
                    for name, (pattern, position) in expr.dim_bindings(value.rule.inputs).items()}
            slots = {p.name: slot for p, slot in zip(value.rule.inputs, value.input_slots)}
            env[value.target] = expr.evaluate(value.rule.expr, dims, lambda t: _volume(input_shapes[slots[t]]))
        return env

    def output_dims(self, input_shapes) -> Tuple[Tuple[int, ...], ...]:
        """Each output's shape for concrete input shapes (in input order), as the plugin's getOutputShapes gives it."""
        out = []
        for shape in self.output_shapes:
            rule, pattern = shape.rule, shape.pattern
            if pattern.whole:
                out.append(tuple(input_shapes[shape.input_slots[0]]))
                continue
            env = {name: input_shapes[shape.input_slots[i]][pos]
                   for name, (i, pos) in expr.dim_bindings(rule.inputs).items()}
            dims = [expr.evaluate(d, env) for d in pattern.dims]
            if pattern.rest:
                index = next(i for i, p in enumerate(rule.inputs) if p.rest)
                dims += list(input_shapes[shape.input_slots[index]][len(rule.inputs[index].dims):])
            out.append(tuple(dims))
        return tuple(out)

    @property
    def uses_num_sms(self) -> bool:
        """Whether a grid axis or constraint reads the device's SM count (``num_sms``, when no argument is so named)."""
        named = set().union(*(expr.names(e) for e in (*self.grid, *(c.expr for c in self.constraints))))
        return NUM_SMS in named and all(a.name != NUM_SMS for a in self.args)

    def launch_env(self, fields: Mapping[str, int], dim_sizes: Mapping[str, int], tactic: int = 0,
                   num_sms: Optional[int] = None) -> Dict[str, int]:
        """Every name a grid may use, from field values, ``dim_size_env``'s result, a tactic (index) and the device's
        SM count (needed when ``uses_num_sms``), as the plugin computes them; raises ``ValueError`` when a
        heuristic's value was not compiled."""
        if self.uses_num_sms and num_sms is None:
            raise TypeError(f"{self.kernel_name}'s grid or constraints read num_sms: pass the device's SM count")
        env = dict(dim_sizes)
        if self.uses_num_sms:
            env[NUM_SMS] = int(num_sms)
        meta = dict(self.tactics[tactic].meta)
        for a in self.args:
            if a.kind is ArgKind.PARAM and a.is_int_scalar:
                env[a.name] = int(fields[a.name])
            elif a.is_int_constexpr:
                env[a.name] = int(a.value)
            elif a.kind is ArgKind.TUNED and _is_int(meta[a.name]):
                env[a.name] = int(meta[a.name])
        for h in self.heuristics:
            env[h.name] = expr.evaluate(h.expr, env)
            if env[h.name] not in h.domain:
                raise ValueError(f"heuristic {h.name} = {env[h.name]} is not among its compiled values "
                                 f"{list(h.domain)}")
        return env

    def violated(self, env: Mapping[str, int]) -> Tuple[Constraint, ...]:
        """The constraints that do not hold for ``launch_env``'s result."""
        return tuple(c for c in self.constraints if not expr.evaluate(c.expr, env))

    def choice(self, env: Mapping[str, int]) -> Tuple[object, ...]:
        """The heuristics' values for ``launch_env``'s result, typed as their domains are."""
        return tuple(next(v for v in h.domain if v == env[h.name]) for h in self.heuristics)

    # ---- compiled points
    def choices(self, tactic: int) -> Tuple[Tuple[object, ...], ...]:
        """Every heuristic value combination of ``tactic``'s domains, except that a heuristic computable at build
        time (from constexprs and the tactic's meta-parameters) has its one value: a superset of what launches
        reach (``domains.reachable``, which the plan compiles)."""
        known = {a.name: a.value for a in self.args if a.kind is ArgKind.CONSTEXPR}
        known.update(self.tactics[tactic].meta)
        combos: Tuple[Tuple[object, ...], ...] = ((),)
        fixed: Dict[str, object] = {}
        for h in self.heuristics:
            if expr.names(h.expr) <= set(known) | set(fixed) and not expr.tensors(h.expr):
                value = expr.evaluate(h.expr, {**known, **fixed})
                fixed[h.name] = next((v for v in h.domain if v == value), value)
                values: Tuple[object, ...] = (fixed[h.name],)
            else:
                values = h.domain
            combos = tuple(c + (v,) for c in combos for v in values)
        return combos

    def points(self) -> Tuple[Point, ...]:
        """Every specialisation the spec allows, signature-major, then tactic, heuristic values (``choices``), and
        variant (most specialised first). The plan (``plan.KernelPlan.points``) keeps those some launch selects."""
        return tuple(Point(t, c, v, s) for s in range(len(self.signatures)) for t in range(len(self.tactics))
                     for c in self.choices(t) for v in self.variants)

    def constexprs(self, point: Point) -> Dict[str, object]:
        """The value of every constexpr parameter at ``point``."""
        values = dict(self.tactics[point.tactic].meta)
        values.update(zip((h.name for h in self.heuristics), point.choice))
        return {a.name: (a.value if a.kind is ArgKind.CONSTEXPR else values[a.name])
                for a in self.args if a.kind.is_constexpr}

    def compile_options(self, point: Point, arch: int) -> CompileOptions:
        """How ``point`` compiles for ``arch``: its tactic's options, with the compile options its heuristics set."""
        chosen = self.tactics[point.tactic].options_for(arch)
        values = {h.name: int(v) for h, v in zip(self.heuristics, point.choice) if h.option}
        return dataclasses.replace(chosen, **values) if values else chosen

    def block_shape(self, arg: KernelArg, point: Point) -> Tuple[int, ...]:
        """The block of descriptor ``arg`` at ``point``: its ``block_shape`` expressions over the point's constexprs,
        else what the tactic's pre_hook set."""
        if arg.block_shape:
            values = self.constexprs(point)
            return tuple(int(expr.evaluate(e, values)) for e in arg.block_shape)
        return dict(self.tactics[point.tactic].block_shapes)[arg.name]

    @property
    def descriptors(self) -> Tuple[KernelArg, ...]:
        return tuple(a for a in self.args if a.is_descriptor)

    def describe_point(self, point: Point) -> str:
        """``tactic 2 (BLOCK_M=128, ...), EVEN_K=True, x % 16 == 0`` (plain kernels: the variant alone)."""
        parts = [self.signatures[point.signature].describe()] if len(self.signatures) > 1 else []
        if len(self.tactics) > 1:
            parts.append(f"tactic {point.tactic + 1} ({self.tactics[point.tactic].describe()})")
        parts += [f"{h.name}={v}" for h, v in zip(self.heuristics, point.choice)]
        return ", ".join(parts + [self.describe(point.variant)])

    # ---- variants
    def hinted(self, variant: Variant) -> Tuple[Tuple[KernelArg, Hint], ...]:
        """The arguments ``variant`` promises something about, with the promise."""
        return tuple((a, h) for a, h in zip(self.args, variant.hints) if h is not Hint.NONE)

    def describe(self, variant: Variant) -> str:
        """``x % 16 == 0, n == 1``, or ``generic (no hints)``."""
        return ", ".join(h.condition(a.name) for a, h in self.hinted(variant)) or "generic (no hints)"

    @property
    def parameters(self) -> Tuple[KernelArg, ...]:
        """The kernel's parameters, in kernel order (``args`` less in-place outputs that are not parameters)."""
        return tuple(a for a in self.args if a.is_parameter)

    def launched(self, variant: Variant) -> Tuple[KernelArg, ...]:
        """The arguments ``variant``'s compiled entry takes, in order (before Triton's hidden ones)."""
        return tuple(a for a, h in zip(self.args, variant.hints)
                     if a.is_parameter and not a.kind.is_constexpr and h.passed)

    def triton_signature(self, point: Point) -> Tuple[Tuple[str, str, object, bool], ...]:
        """(name, Triton type or 'constexpr', constant value or None, divisible by 16) of each parameter as the AOT
        compiles ``point``."""
        constexprs = self.constexprs(point)
        out = []
        for a, h in zip(self.args, point.variant.hints):
            if not a.is_parameter:
                continue
            if a.kind.is_constexpr:
                out.append((a.name, "constexpr", constexprs[a.name], False))
            elif h is Hint.ONE:
                out.append((a.name, "constexpr", 1, False))
            elif a.is_descriptor:
                out.append((a.name, a.triton_type(self.dtype_of(a, point.signature), self.block_shape(a, point)), None,
                            False))
            else:
                out.append((a.name, a.triton_type(self.dtype_of(a, point.signature)), None, h is Hint.DIV16))
        return tuple(out)

    def select_variant(self, values: Mapping[str, int]) -> Optional[int]:
        """The index of the variant the plugin launches for these argument values (pointers as addresses): the
        first, i.e. most specialised, whose hints hold; None when none does."""
        for index, variant in enumerate(self.variants):
            if all(h.holds(int(values[a.name])) for a, h in self.hinted(variant)):
                return index
        return None

    def is_generic(self, variant: Variant) -> bool:
        """Whether ``variant`` promises nothing a launch could break: no hint but the facts of arguments whose rule
        is a constant (``a[m, k] : 1 -> stride_ak``), which hold at every launch."""
        constant = {v.target for v in self.dim_size_values if v.is_argument and not expr.names(v.rule.expr)
                    and not expr.tensors(v.rule.expr)}
        return all(h is Hint.NONE or a.name in constant for a, h in zip(self.args, variant.hints))

    @property
    def has_generic(self) -> bool:
        return any(self.is_generic(v) for v in self.variants)


def _volume(shape) -> int:
    count = 1
    for d in shape:
        count *= int(d)
    return count


@dataclasses.dataclass(frozen=True)
class ConfigSpec:
    config_file: Path
    kernels: Tuple[KernelSpec, ...]
    warnings: Tuple[Exception, ...] = dataclasses.field(default=(), compare=False)  # ConfigWarnings


# ------------------------------------------------------------------------------------------------ compiled
@dataclasses.dataclass(frozen=True)
class LaunchParam:
    """One parameter of the compiled kernel's entry, as the PTX declares it."""

    name: str  # kernel parameter name, or 'global_scratch' / 'profile_scratch' for Triton's hidden ones
    size: int  # bytes passed to cuLaunchKernel; 0 for a host tensor descriptor (expanded as Image.tensor_maps says)
    hidden: bool


@dataclasses.dataclass(frozen=True)
class TensorMap:
    """How Triton lowered one host tensor descriptor to TMA (its ``tensordesc_meta`` entry): the plugin encodes a
    CUtensorMap with these for each launch."""

    elem_type: int  # CUtensorMapDataType
    swizzle: int  # CUtensorMapSwizzle
    box: Tuple[int, ...]  # the block one TMA copy moves, outermost dim first


@dataclasses.dataclass(frozen=True)
class Image:
    """One compiled image: a point (tactic, heuristic values, hint variant) for one arch."""

    point: Point
    arch: int
    entry: str  # kernel symbol in the cubin
    cubin: bytes  # b'' for an arch compiled only for its PTX (--ptx-arch not among --arch)
    ptx: str  # kept for the PTX arch only (portable: the JIT fallback for other GPUs), else ''
    target: str  # what Triton compiled for: 'sm_80', or 'sm_90a' (arch-specific: runs only on that SM)
    shared: int  # dynamic shared memory bytes
    num_warps: int
    params: Tuple[LaunchParam, ...]
    scratch: int = 0  # Triton's global scratch bytes per program (e.g. device-side TMA descriptors), from the workspace
    scratch_align: int = 1
    cluster: Tuple[int, int, int] = (1, 1, 1)  # CTAs per program (num_ctas): the launched grid is grid x cluster
    pdl: bool = False  # launched with programmatic stream serialisation
    cooperative: bool = False  # launched cooperatively
    # per host tensor descriptor argument (kernel order): its TMA encoding, or None where Triton passes it decomposed
    tensor_maps: Tuple[Optional[TensorMap], ...] = ()
    descriptor_flags: int = 0  # the i1 options a decomposed descriptor carries (triton_compat.Abi)

    @property
    def arch_specific(self) -> bool:
        """Compiled for sm_90a and the like: only that SM runs (or JIT-compiles) it."""
        return self.target.endswith("a")


@dataclasses.dataclass(frozen=True)
class Tuning:
    """A tuning table's choice for one kernel (``tuning_table``): per arch, the config (tactic index) each bucket of
    the autotune key runs; a bucket is the next power of two of each key argument's value."""

    key: Tuple[str, ...]  # the key arguments, in the table's order
    # (arch, ((bucket, tactic), ...)), arch ascending
    tables: Tuple[Tuple[int, Tuple[Tuple[Tuple[int, ...], int], ...]], ...]

    def winners(self, arch: int) -> Tuple[int, ...]:
        return tuple(sorted({t for a, entries in self.tables if a == arch for _, t in entries}))

    def choose(self, arch: int, values: Sequence[int]) -> int:
        """The tactic a launch with key ``values`` runs on ``arch`` (as the plugin chooses): the bucket's config,
        outside the table the nearest bucket's (log2 distance, summed over the key; the first on a tie), and the
        first config on an arch without a table."""
        entries = dict(self.tables).get(arch)
        if not entries:
            return 0
        want = [expr.next_power_of_2(v).bit_length() for v in values]
        return min(entries, key=lambda e: sum(abs(b.bit_length() - w) for b, w in zip(e[0], want)))[1]


@dataclasses.dataclass(frozen=True)
class CompiledKernel:
    plan: "KernelPlan"  # what was planned: the points in image-table order
    images: Tuple[Image, ...]  # point order (plan.points), then arch ascending

    @property
    def spec(self) -> KernelSpec:
        return self.plan.spec

    def images_of(self, point: Point) -> Tuple[Image, ...]:
        return tuple(i for i in self.images if i.point == point)

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
            points = kernel.plan.points
            tuning = kernel.plan.tuning
            kernels.append({
                "kernel": s.kernel_name, "plugin": s.plugin_name, "version": s.version, "namespace": s.namespace,
                "function": s.function_name,
                "constexprs": {a.name: a.value for a in s.args if a.kind is ArgKind.CONSTEXPR},
                "fields": [dict({"name": a.name, "dtype": s.field_dtype(a).abbr},
                                **({"type_var": a.type_var} if a.type_var else {})) for a in s.fields],
                "inputs": [{"name": a.name, "dtype": a.type_var or a.dtype.abbr} for a in s.inputs],
                "outputs": [dict({"name": a.name, "dtype": a.type_var or a.dtype.abbr},
                                 **({"alias": a.alias} if a.alias else {})) for a in s.outputs],
                "signatures": [{var: d.abbr for var, d in sig.types} for sig in s.signatures if sig.types],
                "tactics": [{"tactic": i + 1, "meta": dict(t.meta),
                             "options": {f"sm_{arch}": dict(o.compile_options()) for arch, o in t.options}}
                            for i, t in enumerate(s.tactics)],
                "heuristics": [{"name": h.name, "expr": expr.render(h.expr), "source": h.source,
                                "values": list(h.domain)} for h in s.heuristics],
                "launch_values": [{"name": v.target, "rule": expr.render_rule(v.rule)} for v in s.launch_values],
                "tuning": None if tuning is None else {
                    "key": list(tuning.key), "archs": {f"sm_{arch}": [{"bucket": list(b), "tactic": t + 1}
                                                                    for b, t in entries]
                                                       for arch, entries in tuning.tables}},
                "reset_to_zero": list(s.reset_to_zero),
                "constraints": [c.text for c in s.constraints],
                # what plugingen.torch's shape functions read: each output's rule, the dim-size rules, the constants
                "output_rules": [expr.render_rule(o.rule) for o in s.output_shapes],
                "dim_size_rules": [expr.render_rule(v.rule) for v in s.dim_size_values],
                "constants": {a.name: int(a.value) for a in s.args if a.is_int_constexpr},
                "variants": [[f"{a.name}:{h.value}" for a, h in s.hinted(v)] for v in s.variants],
                "variant_origins": ["automatic" if v.automatic else "config" for v in s.variants],
                "images": [{"signature": i.point.signature, "tactic": i.point.tactic + 1, "heuristics": list(i.point.choice),
                            "variant": s.variants.index(i.point.variant), "index": points.index(i.point),
                            "arch": i.arch, "target": i.target, "entry": i.entry, "shared": i.shared,
                            "scratch": i.scratch, "cubin": bool(i.cubin), "ptx": bool(i.ptx),
                            "cluster": list(i.cluster), "pdl": i.pdl, "cooperative": i.cooperative,
                            "descriptors": [dataclasses.asdict(m) if m else "decomposed" for m in i.tensor_maps]}
                           for i in kernel.images],
            })
        return {"plugingen": tool_version, "triton": self.triton_version, "config": self.config.config_file.name,
                "archs": list(self.archs), "trt_headers": trt_headers, "kernels": kernels}
