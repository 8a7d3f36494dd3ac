"""The config DSL users write in ``kernel_config.py`` — PluginGen's classes, names and argument order.

These classes only record what the user wrote (and where); ``config.py`` validates them into a
``KernelSpec``. Each object remembers the config-file line that created it so errors can point there.
"""
from __future__ import annotations

import os
import re
import sys
from typing import Any, List, Optional, Sequence, Tuple, Union

from .errors import ConfigError, Location
from .model import ArgKind, DType

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _caller_location() -> Location:
    """The first stack frame outside this package: the config line that built the object."""
    frame = sys._getframe(1)
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _PACKAGE_DIR:
        frame = frame.f_back
    if frame is None:
        return Location("<unknown>")
    return Location(frame.f_code.co_filename, frame.f_lineno)


def _dtype(name: str) -> Optional[DType]:
    """The DType ``name`` spells; None for a name that can be a type variable (``T``, declared in
    ``KernelMetaData(dtypes=...)``; config.py checks it is); else a config error at the caller's line listing the
    valid ones."""
    dtype = DType.named(name)
    if dtype is None and _TYPE_VAR.match(name) and name.lower() not in _DTYPE_ALIASES:
        return None
    if dtype is None:
        valid = ", ".join(d.abbr for d in DType)
        known = _DTYPE_ALIASES.get(str(name).lower())
        hint = f"plugingen writes {name} as '{known}'" if known else ""
        raise ConfigError(f"unknown dtype '{name}' (valid: {valid})", _caller_location(), hint)
    return dtype


# numpy / torch / C spellings users reach for, and the abbreviation PluginGen's DSL expects instead
_DTYPE_ALIASES = {**{d.torch: d.abbr for d in DType},
                  **{"half": "fp16", "float": "fp32", "double": "fp64", "int": "i32"}}


_TENSOR_PREFIX = "tensor["
_DESCRIPTOR_PREFIX = "tensordesc["
_TYPE_VAR = re.compile(r"(?!(fp|bf|i|u|int|uint|float)\d)[A-Za-z_][A-Za-z0-9_]*\Z")  # not a misspelt dtype


class Type:
    """``Type('fp32')`` is a scalar, ``Type('tensor[fp16]')`` (or ``'*fp16'``) a tensor of fp16; ``Type('tensor[T]')``
    a tensor whose dtype is the type variable ``T`` of ``KernelMetaData(dtypes={'T': [...]})`` (``dtype`` None);
    ``Type('tensordesc[fp16]')`` a tensor of fp16 the kernel takes as a host tensor descriptor (Triton's
    ``TensorDescriptor``)."""

    def __init__(self, text: Union[str, "Type", DType]) -> None:
        self.type_var: Optional[str] = None
        self.is_descriptor = False
        if isinstance(text, Type):
            self.dtype, self.is_tensor, self.type_var = text.dtype, text.is_tensor, text.type_var
            self.is_descriptor = text.is_descriptor
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
        elif spelled.startswith(_DESCRIPTOR_PREFIX) and spelled.endswith("]"):
            spelled, self.is_tensor, self.is_descriptor = spelled[len(_DESCRIPTOR_PREFIX):-1], True, True
        elif spelled.startswith("*"):
            spelled, self.is_tensor = spelled[1:], True
        self.dtype = _dtype(spelled)
        if self.dtype is None:
            self.type_var = spelled

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Type) and (self.dtype, self.is_tensor, self.type_var, self.is_descriptor) == (
            other.dtype, other.is_tensor, other.type_var, other.is_descriptor)

    def __hash__(self) -> int:
        return hash((self.dtype, self.is_tensor, self.type_var, self.is_descriptor))

    def __repr__(self) -> str:
        return f"Type('{self}')"

    def __str__(self) -> str:
        name = self.type_var or self.dtype.abbr
        return f"{'tensordesc' if self.is_descriptor else 'tensor'}[{name}]" if self.is_tensor else name

    def to_triton_sig(self) -> str:
        return ("*" if self.is_tensor else "") + (self.type_var or self.dtype.triton)

    @property
    def is_scalar(self) -> bool:
        return not self.is_tensor

    # PluginGen's constructors
    @staticmethod
    def from_str(text: str) -> "Type":
        return Type(text)

    @staticmethod
    def tensor_ty(dtype: Union[str, DType]) -> "Type":
        return Type(f"tensor[{dtype.abbr if isinstance(dtype, DType) else dtype}]")

    float16 = staticmethod(lambda: Type("fp16"))
    float32 = staticmethod(lambda: Type("fp32"))
    float64 = staticmethod(lambda: Type("fp64"))
    int8 = staticmethod(lambda: Type("i8"))
    int32 = staticmethod(lambda: Type("i32"))
    int64 = staticmethod(lambda: Type("i64"))


def _reject_unknown(what: str, unknown: dict, valid: Sequence[str]) -> None:
    """A misspelt keyword argument, named with the valid ones (Python's TypeError names neither class nor fields)."""
    if unknown:
        raise ConfigError(f"{what} has no argument '{next(iter(unknown))}' (valid: {', '.join(valid)})",
                          _caller_location())


def _hint_list(hints: Optional[Sequence[Any]]) -> List[str]:
    if hints is None:
        return []
    if isinstance(hints, (str, bytes)) or not isinstance(hints, (list, tuple)):
        raise ConfigError(f"hints must be a list of strings like ['16', ''], got {hints!r}", _caller_location())
    return [str(h) for h in hints]


class Argument:
    """One entry of ``KernelMetaData.ios``: a Triton kernel parameter and what feeds it."""

    kind: ArgKind
    keywords: Tuple[str, ...] = ("name", "dtype", "hints")  # what the constructor takes, for the misspelling error
    ArgType = ArgKind  # PluginGen's spelling: ``arg.arg_type == Argument.ArgType.INPUT``

    def __init__(self, name: str, dtype: Union[str, Type, DType], hints: Optional[Sequence[Any]] = None,
                 **unknown: Any) -> None:
        self.loc = _caller_location()
        unknown.pop("offset", None)  # PluginGen's field, recomputed by KernelMetaData
        _reject_unknown(type(self).__name__, unknown, self.keywords)
        self.name = name
        self.dtype = Type(dtype)
        self.hints = _hint_list(hints)
        self.offset = 0  # position among the inputs, or among the outputs (PluginGen's field)

    @property
    def arg_type(self) -> ArgKind:
        return self.kind

    is_input = property(lambda self: self.kind is ArgKind.INPUT)
    is_output = property(lambda self: self.kind is ArgKind.OUTPUT)
    is_param = property(lambda self: self.kind is ArgKind.PARAM)
    is_dim_size = property(lambda self: self.kind is ArgKind.DIM_SIZE)
    is_tensor = property(lambda self: self.dtype.is_tensor)

    def __repr__(self) -> str:
        hints = f", hints={self.hints}" if self.hints else ""
        return f"{self.kind.value}({self.name!r}, {self.dtype!r}{hints})"


class InputArg(Argument):
    """A plugin input; typed ``tensordesc[...]``, the kernel takes it as a host tensor descriptor whose block is
    ``block_shape`` (expressions over constexprs and meta-parameters; optional where the configs' pre_hook sets it)."""

    kind = ArgKind.INPUT
    keywords = Argument.keywords + ("block_shape",)

    def __init__(self, name: str, dtype: Union[str, Type, DType], hints: Optional[Sequence[Any]] = None,
                 block_shape: Optional[Sequence[Any]] = None, **unknown: Any) -> None:
        super().__init__(name, dtype, hints, **unknown)
        self.block_shape = block_shape


class OutputArg(Argument):
    """A plugin output; ``alias='X'``: the output is InputArg ``X`` itself, updated in place (the kernel gets X's
    pointer here); ``block_shape`` as for InputArg."""

    kind = ArgKind.OUTPUT
    keywords = Argument.keywords + ("alias", "block_shape")

    def __init__(self, name: str, dtype: Union[str, Type, DType], hints: Optional[Sequence[Any]] = None,
                 alias: Optional[str] = None, block_shape: Optional[Sequence[Any]] = None, **unknown: Any) -> None:
        super().__init__(name, dtype, hints, **unknown)
        self.alias = alias
        self.block_shape = block_shape


class ParamArg(Argument):
    kind = ArgKind.PARAM


class DimSizeArg(Argument):
    """An integer computed at run time from input shapes by a ``... : expr -> name`` rule.

    int32 unless ``dtype='i64'``.
    """

    kind = ArgKind.DIM_SIZE

    def __init__(self, name: str, hints: Optional[Sequence[Any]] = None,
                 dtype: Union[str, Type, DType] = "i32", **unknown: Any) -> None:
        super().__init__(name, dtype, hints, **unknown)


class Constexpr:
    """The value of a ``tl.constexpr`` kernel parameter, fixed at build time; ``Constexpr(None)`` for any parameter is
    an absent optional input (Triton's JIT compiles a ``None`` argument as a constexpr and passes nothing)."""

    kind = ArgKind.CONSTEXPR

    def __init__(self, value: Union[int, float, bool, str, None]) -> None:
        self.loc = _caller_location()
        self.value = value
        self.name = ""  # filled from the kernel signature by config.py
        self.hints: List[str] = []

    @property
    def arg_type(self) -> ArgKind:
        return self.kind

    def __repr__(self) -> str:
        return f"Constexpr({self.value!r})"


FIELDS = ("kernel_name", "ios", "shape_infer_rules", "version", "kernel_file", "num_warps", "num_stages", "grid_dims",
          "namespace", "configs", "domains", "constraints", "dtypes", "signatures", "num_ctas", "launch_pdl",
          "launch_cooperative_grid", "heuristics", "plugin_name")
DEFAULT_NUM_WARPS = 1  # PluginGen's defaults, for a kernel without autotune configs
DEFAULT_NUM_STAGES = 1


class KernelMetaData:
    """One Triton kernel and how it becomes one TensorRT plugin (PluginGen's field names and order: ``FIELDS``).

    ``configs``: ``triton.Config`` objects, one TensorRT tactic each (instead of ``num_warps``/``num_stages``, and
    replacing an ``@triton.autotune``'s list). ``heuristics``: what the kernel's Python caller computes per call, in
    ``@triton.heuristics``'s form (``{'BLOCK_SIZE': lambda args: triton.next_power_of_2(args['n_cols'])}``; targets
    are constexpr parameters, ``num_warps`` and ``num_stages``), run after the kernel's own decorators. ``domains``:
    the values a non-bool heuristic may take, one compiled image each (``{'BLOCK_SIZE': [64, 128, 256]}``; derived
    from ``constraints`` where they bound its inputs). ``constraints``: conditions like ``'n_cols <= BLOCK'``
    the plugin checks before every launch. ``dtypes``: type variables and the dtypes each takes
    (``{'T': ['fp16', 'bf16', 'fp32']}``), used as ``Type('tensor[T]')``; one signature per combination, or those
    ``signatures`` lists (``[{'T': 'fp16'}, ...]``). ``num_ctas``, ``launch_pdl``, ``launch_cooperative_grid``: Triton's
    launch options of the same names (a cluster of CTAs per program; programmatic dependent launch; a cooperative
    grid); ``num_ctas`` is set per config where configs give the tactics. ``plugin_name``: the TensorRT plugin's name
    (default ``<kernel_name>Plugin``), so that one kernel can be several plugins (different constexprs)."""

    def __init__(self, kernel_name: str, ios: Sequence[Any] = (), shape_infer_rules: Sequence[str] = (),
                 version: int = 1, kernel_file: str = "", num_warps: Optional[int] = None,
                 num_stages: Optional[int] = None, grid_dims: Sequence[str] = ("1", "1", "1"), namespace: str = "",
                 configs: Optional[Sequence[Any]] = None, domains: Optional[dict] = None,
                 constraints: Sequence[str] = (), dtypes: Optional[dict] = None,
                 signatures: Optional[Sequence[dict]] = None, num_ctas: Optional[int] = None,
                 launch_pdl: bool = False, launch_cooperative_grid: bool = False, heuristics: Optional[dict] = None,
                 plugin_name: Optional[str] = None, **unknown: Any) -> None:
        self.loc = _caller_location()
        self.unknown = dict(unknown)  # misspelt fields, reported by config.py at their own line
        self.kernel_name = kernel_name
        self.plugin_name = plugin_name
        self.ios = list(ios) if isinstance(ios, (list, tuple)) else ios
        self.shape_infer_rules = list(shape_infer_rules) if isinstance(shape_infer_rules, (list, tuple)) \
            else shape_infer_rules
        self.version = version
        self.kernel_file = kernel_file
        self.num_warps = num_warps
        self.num_stages = num_stages
        self.num_ctas = num_ctas
        self.launch_pdl = launch_pdl
        self.launch_cooperative_grid = launch_cooperative_grid
        self.grid_dims = grid_dims
        self.namespace = namespace
        self.configs = configs
        self.domains = domains
        self.heuristics = heuristics
        self.constraints = list(constraints) if isinstance(constraints, (list, tuple)) else constraints
        self.dtypes = dtypes
        self.signatures = signatures
        args = [a for a in self.ios if isinstance(a, Argument)] if isinstance(self.ios, list) else []
        for kind in (ArgKind.INPUT, ArgKind.OUTPUT):
            for offset, arg in enumerate(a for a in args if a.kind is kind):
                arg.offset = offset

    def __repr__(self) -> str:
        return f"KernelMetaData({self.kernel_name!r})"


__all__ = ["DType", "Type", "ArgKind", "Argument", "InputArg", "OutputArg", "ParamArg", "DimSizeArg",
           "Constexpr", "KernelMetaData"]
