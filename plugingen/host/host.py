"""The C++ test host: drive a built plugin library the way TensorRT does, with neither TensorRT nor a GPU.

``plugin_host.cpp`` (next to this file) loads a plugin ``.so`` like ``IPluginRegistry::loadLibrary`` (``setLoggerFinder``
first, then ``getCreators``), creates plugins from fields and calls their Core / Build / Runtime capabilities. This module
compiles it (:func:`build_host`) and wraps its C API (:class:`PluginHost`, :class:`Plugin`). Tensor types, formats and
field types are the TensorRT enum values (:class:`DataType`, :class:`TensorFormat`, :class:`PluginFieldType`).

Example::

    host = PluginHost(plugin_so, build_host(tmp_dir))
    plugin = host.create("MyPlugin", {"k": (PluginFieldType.INT32, np.int32(3))})
    assert plugin.output_shapes([(4, 5)]) == [(12, 5)]
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import subprocess
import tempfile
import weakref
from pathlib import Path
from typing import Mapping, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from plugingen.errors import BuildError, PluginGenError
from plugingen.model import DType
from plugingen.toolchain import find_cxx
from plugingen.trt import DataType, PluginFieldType, TensorFormat, TensorRTPhase

SOURCE = Path(__file__).resolve().with_name("plugin_host.cpp")
INCLUDE_DIR = Path(__file__).resolve().parent.parent / "include"
MAX_DIMS = 8


class HostError(PluginGenError):
    """A call into a plugin through the test host failed; the message includes what the plugin logged."""


# numpy element type of a field's data: plugingen's dtypes from the model's table, plus the field types no ParamArg has
# (bf16 as raw bits; INT4/FP4 pack two elements per byte; DIMS is a 72-byte Dims64 per element).
_FIELD_DTYPES = {d.field: np.dtype(d.numpy) for d in DType if d.field is not None and d.numpy}
_FIELD_DTYPES.update({PluginFieldType.BF16: np.dtype(np.uint16), PluginFieldType.INT16: np.dtype(np.int16),
                      PluginFieldType.CHAR: np.dtype(np.int8), PluginFieldType.DIMS: np.dtype("V72"),
                      PluginFieldType.FP8: np.dtype(np.uint8), PluginFieldType.INT4: np.dtype(np.uint8),
                      PluginFieldType.FP4: np.dtype(np.uint8)})

_NUMPY_DATATYPES = {np.dtype(d.numpy): d.trt for d in DType if d.numpy and d.trt is not None}

FieldValue = Tuple[int, Union[np.ndarray, bytes, str, int, float]]
Shape = Sequence[int]
TensorArg = Tuple[int, Shape, int]  # (DataType, shape, address)


class FieldSpec(NamedTuple):
    """One entry of a creator's ``getFieldNames()``."""

    name: str
    type: PluginFieldType
    length: int


class CreatorInfo(NamedTuple):
    """A creator of the loaded library."""

    name: str
    version: str
    namespace: str
    fields: Tuple[FieldSpec, ...]


class _PluginField(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("data", ctypes.c_void_p), ("type", ctypes.c_int32),
                ("length", ctypes.c_int32)]


assert ctypes.sizeof(_PluginField) == 24


# ---- building ------------------------------------------------------------------------------------------------------


def _host_command(cxx: str, trt_major: int, sanitize: bool, output: Path, version_symbol: bool = True,
                  count_new: bool = False) -> list:
    command = [cxx, "-std=c++17", "-O1", "-g", "-fPIC", "-shared", "-fvisibility=hidden", "-Wall", "-Wextra",
               f"-DPGH_TRT_MAJOR={trt_major}", f"-I{INCLUDE_DIR}"]
    if not version_symbol:
        command.append("-DPGH_NO_VERSION_SYMBOL")
    if count_new:
        command.append("-DPGH_COUNT_NEW")
    if sanitize:
        command += ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined"]
    return command + [str(SOURCE), "-o", str(output), "-ldl"]


def build_host(out_dir: Path, trt_major: int = 10, sanitize: bool = False, cxx: Optional[str] = None,
               version_symbol: bool = True, count_new: bool = False) -> Path:
    """Compile ``plugin_host.cpp`` for the TensorRT ``trt_major`` logger layout into ``out_dir``; return the ``.so``.

    The file name carries a hash of the sources, flags and compiler, so an up-to-date build is reused and a changed
    one never collides with a library already loaded in this process. ``sanitize`` adds ASan + UBSan (load the result
    with libasan preloaded). ``version_symbol=False`` leaves out ``getInferLibVersion``, so a plugin cannot tell the
    logger layout (its fallback is tested with that). ``count_new=True`` wraps glibc's allocator to count the
    allocations inside ``enqueue`` (preload it: ``LD_PRELOAD``, then ``PluginHost(..., global_scope=True)``). ``cxx`` defaults to the compiler plugingen builds plugins with ($CXX, c++, g++, clang++).
    """
    if trt_major not in (10, 11):
        raise ValueError(f"trt_major must be 10 or 11, got {trt_major}")
    compiler = find_cxx(os.environ if cxx is None else {"CXX": cxx})
    cxx = compiler
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    for part in (SOURCE.read_bytes(), (INCLUDE_DIR / "plugingen" / "trt_abi.h").read_bytes(),
                 " ".join(_host_command(cxx, trt_major, sanitize, Path("out"), version_symbol, count_new)).encode(),
                 subprocess.run([compiler, "--version"], capture_output=True).stdout):
        digest.update(part)
    suffix = "".join(name for name, on in (("_asan", sanitize), ("_noversion", not version_symbol),
                                           ("_countnew", count_new)) if on)
    target = out_dir / f"libpgh_host_trt{trt_major}{suffix}_{digest.hexdigest()[:16]}.so"
    if target.exists():
        return target
    fd, tmp_name = tempfile.mkstemp(suffix=".so", dir=out_dir)
    os.close(fd)
    command = _host_command(cxx, trt_major, sanitize, Path(tmp_name), version_symbol, count_new)
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        os.unlink(tmp_name)
        raise BuildError(f"building the test host failed: {' '.join(command)}\n{result.stderr[-4000:]}")
    os.replace(tmp_name, target)
    return target


STAND_IN_SOURCE = SOURCE.with_name("stand_in_cuda.cpp")


def build_stand_in_driver(out_dir: Path, cxx: Optional[str] = None) -> Path:
    """Compile ``stand_in_cuda.cpp`` (a CUDA driver that runs nothing and records what it is asked) into
    ``out_dir/<hash>/libcuda.so.1``; return its path. Load it with :class:`StandInDriver` before a plugin library."""
    compiler = find_cxx(os.environ if cxx is None else {"CXX": cxx})
    digest = hashlib.sha256(STAND_IN_SOURCE.read_bytes() + compiler.encode()).hexdigest()[:16]
    target = Path(out_dir) / f"stand-in-cuda-{digest}" / "libcuda.so.1"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(suffix=".so", dir=target.parent)
    os.close(fd)
    command = [compiler, "-std=c++17", "-O1", "-g", "-fPIC", "-shared", "-fvisibility=hidden", "-Wall", "-Wextra",
               "-Wl,-soname,libcuda.so.1", str(STAND_IN_SOURCE), "-o", tmp_name]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        os.unlink(tmp_name)
        raise BuildError(f"building the stand-in CUDA driver failed: {' '.join(command)}\n{result.stderr[-4000:]}")
    os.replace(tmp_name, target)
    return target


class DriverCounts(NamedTuple):
    """What plugins asked of the stand-in driver so far."""

    module_loads: int
    module_unloads: int
    launches: int
    memsets: int
    copies: int
    tensor_maps: int


class StandInDriver:
    """The stand-in CUDA driver, loaded into this process (RTLD_GLOBAL, soname libcuda.so.1): every plugin library
    loaded afterwards finds it as its driver. It stays for the life of the process, so use it in a child process of
    its own (a test that expects no driver would find it)."""

    def __init__(self, path: Union[str, Path]) -> None:
        self._lib = ctypes.CDLL(str(path), mode=os.RTLD_NOW | os.RTLD_GLOBAL)
        self._lib.pgc_counts.argtypes = [_pi64]
        self._lib.pgc_last_launch.argtypes = [ctypes.POINTER(ctypes.c_uint32)]
        self._lib.pgc_set_device.argtypes = [_i32, _i32]

    def counts(self) -> DriverCounts:
        values = (ctypes.c_int64 * 6)()
        self._lib.pgc_counts(values)
        return DriverCounts(*values)

    def last_launch(self) -> Tuple[Tuple[int, int, int], Tuple[int, int, int]]:
        """(grid, cluster) of the last launch, the grid as the driver received it (with a cluster: times it)."""
        values = (ctypes.c_uint32 * 6)()
        self._lib.pgc_last_launch(values)
        return tuple(values[:3]), tuple(values[3:])

    def set_device(self, major: int, minor: int) -> None:
        """The compute capability the device reports (9.0 until set)."""
        self._lib.pgc_set_device(major, minor)


# ---- the C API -------------------------------------------------------------------------------------------------------

_p, _i32, _cp = ctypes.c_void_p, ctypes.c_int32, ctypes.c_char_p
_pi32, _pi64 = ctypes.POINTER(ctypes.c_int32), ctypes.POINTER(ctypes.c_int64)
_tensors = [_i32, _p, _p, _p]  # count, types, ranks, dims
_SIGNATURES = {
    "getInferLibVersion": (_i32, []),
    "pgh_last_error": (_cp, []),
    "pgh_enqueue_allocations": (ctypes.c_int64, []),
    "pgh_live_allocations": (ctypes.c_int64, []),
    "pgh_open": (_p, [_cp]),
    "pgh_close": (_i32, [_p]),
    "pgh_creator_count": (_i32, [_p, _pi32]),
    "pgh_creator_info": (_i32, [_p, _i32, ctypes.POINTER(_cp), ctypes.POINTER(_cp), ctypes.POINTER(_cp)]),
    "pgh_creator_fields": (_i32, [_p, _i32, _pi32, ctypes.POINTER(ctypes.POINTER(_PluginField))]),
    "pgh_create": (_p, [_p, _i32, _cp, _i32, _p, _p, _p, _p, _i32]),
    "pgh_destroy": (_i32, [_p]),
    "pgh_clone": (_p, [_p]),
    "pgh_attach": (_p, [_p]),
    "pgh_plugin_info": (_i32, [_p, ctypes.POINTER(_cp), ctypes.POINTER(_cp), ctypes.POINTER(_cp)]),
    "pgh_nb_outputs": (_i32, [_p, _pi32]),
    "pgh_output_types": (_i32, [_p, _i32, _p, _i32, _p]),
    "pgh_output_shapes": (_i32, [_p, _i32, _p, _p, _i32, _p, _p]),
    "pgh_supports_format": (_i32, [_p, _i32, _i32, _i32, _p, _p, _p, _p]),
    "pgh_aliased_input": (_i32, [_p, _i32, _p, _p]),
    "pgh_configure": (_i32, [_p] + _tensors + _tensors),
    "pgh_fields": (_i32, [_p, _pi32, ctypes.POINTER(ctypes.POINTER(_PluginField))]),
    "pgh_tactics": (_i32, [_p, _i32, _p, _pi32]),
    "pgh_workspace_size_range": (_i32, [_p, _i32, _p, _p, _p, _p] + _tensors + [ctypes.POINTER(ctypes.c_uint64)]),
    "pgh_set_tactic": (_i32, [_p, _i32]),
    "pgh_roundtrip": (_p, [_p, _i32, _p]),
    "pgh_enqueue": (_i32, [_p] + _tensors + [_p] + _tensors + [_p, _p, _p, _i32]),
    "pgh_log_count": (_i32, []),
    "pgh_log_message": (_cp, [_i32]),
    "pgh_log_severity": (_i32, [_i32]),
    "pgh_log_clear": (None, []),
}


def _load_host(path: Path, global_scope: bool = False) -> ctypes.CDLL:
    lib = ctypes.CDLL(str(path), mode=os.RTLD_NOW | (os.RTLD_GLOBAL if global_scope else os.RTLD_LOCAL))
    for name, (restype, argtypes) in _SIGNATURES.items():
        function = getattr(lib, name, None)
        if function is None and name == "getInferLibVersion":
            continue  # a host built with version_symbol=False
        function.restype, function.argtypes = restype, argtypes
    return lib


def _ptr(array: Optional[np.ndarray]) -> Optional[int]:
    return None if array is None else array.ctypes.data


def _tensor_arrays(types: Sequence[int], shapes: Sequence[Shape]) -> list:
    """(count, types, ranks, dims) arrays for the C API; dims hold MAX_DIMS entries per tensor."""
    if len(types) != len(shapes):
        raise ValueError(f"{len(types)} types but {len(shapes)} shapes")
    ranks = np.array([len(s) for s in shapes], dtype=np.int32)
    dims = np.zeros((max(len(shapes), 1), MAX_DIMS), dtype=np.int64)
    for i, shape in enumerate(shapes):
        if len(shape) > MAX_DIMS:
            raise ValueError(f"shape {tuple(shape)} has more than {MAX_DIMS} dimensions")
        dims[i, : len(shape)] = shape
    return [len(types), np.array(types, dtype=np.int32), ranks, dims]


def _c_tensors(arrays: list) -> list:
    return [arrays[0]] + [_ptr(a) for a in arrays[1:]]


def numpy_tensor(array: np.ndarray) -> TensorArg:
    """A contiguous host numpy array as an enqueue argument (DataType, shape, address)."""
    if not array.flags.c_contiguous:
        raise ValueError("enqueue needs C-contiguous arrays")
    if array.dtype not in _NUMPY_DATATYPES:
        raise ValueError(f"no TensorRT DataType for numpy dtype {array.dtype}")
    return (_NUMPY_DATATYPES[array.dtype], tuple(array.shape), array.ctypes.data)


def _field_array(field_type: int, value) -> np.ndarray:
    """The bytes of a field value; str/bytes for CHAR (a str gets a trailing NUL, like the ONNX parser's)."""
    if isinstance(value, str):
        value = value.encode() + b"\0"
    if isinstance(value, bytes):
        return np.frombuffer(value, dtype=np.int8).copy()
    dtype = _FIELD_DTYPES.get(PluginFieldType(field_type))
    if dtype is None:
        raise ValueError(f"cannot pass a field of type {PluginFieldType(field_type).name}")
    return np.ascontiguousarray(np.atleast_1d(np.asarray(value, dtype=dtype)))


def _read_fields(count: int, fields) -> dict:
    """Copies a PluginField array (owned by the plugin) into {name: (PluginFieldType, numpy array)}."""
    result = {}
    for i in range(count):
        field = fields[i]
        field_type = PluginFieldType(field.type)
        dtype = np.dtype(_FIELD_DTYPES.get(field_type, np.uint8))
        items = (field.length + 1) // 2 if field_type in (PluginFieldType.INT4, PluginFieldType.FP4) else field.length
        nbytes = items * dtype.itemsize
        raw = ctypes.string_at(field.data, nbytes) if field.data and nbytes else b""
        result[field.name.decode()] = (field_type, np.frombuffer(raw, dtype=dtype).copy())
    return result


# ---- the wrappers --------------------------------------------------------------------------------------------------


class PluginHost:
    """One plugin library loaded into the C++ test host. Use as a context manager, or call :meth:`close`."""

    def __init__(self, so_path: Union[str, Path], host_lib_path: Union[str, Path], global_scope: bool = False) -> None:
        """``global_scope``: load the host RTLD_GLOBAL (a preloaded ``count_new`` host)."""
        self._lib = _load_host(Path(host_lib_path), global_scope)
        self._plugins: "weakref.WeakSet[Plugin]" = weakref.WeakSet()
        self._handle = self._lib.pgh_open(os.fsencode(str(so_path)))
        if not self._handle:
            raise HostError(self._error())
        self.so_path = str(so_path)

    def _error(self) -> str:
        return self._lib.pgh_last_error().decode(errors="replace")

    def _check(self, status: int) -> None:
        if status != 0:
            raise HostError(self._error())

    def _live(self) -> int:
        if not self._handle:
            raise HostError("the plugin library was closed")
        return self._handle

    @property
    def trt_major(self) -> int:
        """The TensorRT major version whose logger layout this host speaks (10 or 11)."""
        return self._lib.getInferLibVersion() // 10000

    def creators(self) -> list:
        """Every creator as a :class:`CreatorInfo` (name, version, namespace, fields), in getCreators order."""
        count = ctypes.c_int32()
        self._check(self._lib.pgh_creator_count(self._live(), ctypes.byref(count)))
        result = []
        for i in range(count.value):
            name, version, namespace = _cp(), _cp(), _cp()
            self._check(self._lib.pgh_creator_info(self._handle, i, ctypes.byref(name), ctypes.byref(version),
                                                   ctypes.byref(namespace)))
            nfields, fields = ctypes.c_int32(), ctypes.POINTER(_PluginField)()
            self._check(self._lib.pgh_creator_fields(self._handle, i, ctypes.byref(nfields), ctypes.byref(fields)))
            specs = tuple(FieldSpec(fields[j].name.decode(), PluginFieldType(fields[j].type), fields[j].length)
                          for j in range(nfields.value))
            result.append(CreatorInfo(*(s.value.decode() if s.value is not None else "" for s in
                                        (name, version, namespace)), specs))
        return result

    def creator_index(self, name: str, version: Optional[str] = None, namespace: Optional[str] = None) -> int:
        """The index of the one creator matching ``name`` (and ``version`` / ``namespace`` when given)."""
        creators = self.creators()
        matches = [i for i, c in enumerate(creators) if c.name == name and version in (None, c.version)
                   and namespace in (None, c.namespace)]
        if len(matches) != 1:
            known = ", ".join(f"{c.namespace}::{c.name} v{c.version}" for c in creators) or "none"
            raise HostError(f"{len(matches)} creators match {name!r} (version {version}, namespace {namespace}); "
                            f"the library has: {known}")
        return matches[0]

    def create(self, plugin_name: str, fields: Optional[Mapping[str, FieldValue]], phase: int = TensorRTPhase.BUILD,
               version: Optional[str] = None, namespace: Optional[str] = None,
               instance_name: str = "pgh_plugin") -> "Plugin":
        """``createPlugin`` of the matching creator with ``fields`` = {name: (PluginFieldType, value)}; None passes
        no PluginFieldCollection at all (``fc == nullptr``)."""
        index = self.creator_index(plugin_name, version, namespace)
        if fields is None:
            return self._adopt(self._lib.pgh_create(self._live(), index, instance_name.encode(), -1, None, None,
                                                    None, None, int(phase)))
        names = [n.encode() for n in fields]
        arrays = [_field_array(t, v) for t, v in fields.values()]
        count = len(names)
        c_names = (_cp * max(count, 1))(*names)
        c_data = (_p * max(count, 1))(*[a.ctypes.data for a in arrays])
        c_types = np.array([int(t) for t, _ in fields.values()], dtype=np.int32)
        c_lengths = np.array([a.size if t not in (PluginFieldType.INT4, PluginFieldType.FP4) else a.size * 2
                              for a, (t, _) in zip(arrays, fields.values())], dtype=np.int32)
        handle = self._lib.pgh_create(self._live(), index, instance_name.encode(), count, c_names, c_data,
                                      _ptr(c_types), _ptr(c_lengths), int(phase))
        return self._adopt(handle)

    def _adopt(self, handle: Optional[int]) -> "Plugin":
        if not handle:
            raise HostError(self._error())
        plugin = Plugin(self, handle)
        self._plugins.add(plugin)
        return plugin

    def enqueue_allocations(self) -> int:
        """The heap allocations in this thread's last ``enqueue`` (a preloaded ``count_new`` host; -1 otherwise)."""
        return self._lib.pgh_enqueue_allocations()

    def live_allocations(self) -> int:
        """The heap blocks allocated and not freed inside calls into the host on this thread so far (a preloaded
        ``count_new`` host; -1 otherwise): what plugins (and the host's log) keep."""
        return self._lib.pgh_live_allocations()

    def last_launch(self) -> Optional[Tuple[str, int, str]]:
        """(kernel, compiled variant, its description) of the last launch this thread made through the library
        (its ``plugingenLastLaunch`` diagnostics entry point); None before any, or for a library without it."""
        library = ctypes.CDLL(self.so_path, mode=os.RTLD_NOLOAD | os.RTLD_LOCAL)  # the copy the host loaded
        entry = getattr(library, "plugingenLastLaunch", None)
        if entry is None:
            return None
        entry.restype = ctypes.c_bool
        kernel, variant, description = _cp(), ctypes.c_int32(), _cp()
        if not entry(ctypes.byref(kernel), ctypes.byref(variant), ctypes.byref(description)):
            return None
        return kernel.value.decode(), variant.value, description.value.decode()

    def log(self) -> list:
        """Every message (severity <= kWARNING) the plugins logged so far, as (severity, text)."""
        return [(self._lib.pgh_log_severity(i), self._lib.pgh_log_message(i).decode(errors="replace"))
                for i in range(self._lib.pgh_log_count())]

    def clear_log(self) -> None:
        self._lib.pgh_log_clear()

    def close(self) -> None:
        """Destroys every plugin still alive, then unloads the library."""
        if self._handle:
            for plugin in list(self._plugins):
                plugin.close()
            handle, self._handle = self._handle, None
            self._check(self._lib.pgh_close(handle))

    def __enter__(self) -> "PluginHost":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Plugin:
    """One ``IPluginV3`` object owned by the host; :meth:`close` deletes it (also done by ``PluginHost.close``)."""

    def __init__(self, host: PluginHost, handle: int) -> None:
        self._host = host
        self._handle = handle

    def _live(self) -> int:
        if not self._handle:
            raise HostError("the plugin was destroyed")
        return self._handle

    def _call(self, name: str, *args) -> None:
        self._host._check(getattr(self._host._lib, name)(self._live(), *args))

    def info(self) -> Tuple[str, str, str]:
        """(name, version, namespace) from the Core capability."""
        values = [_cp(), _cp(), _cp()]
        self._call("pgh_plugin_info", *(ctypes.byref(v) for v in values))
        return tuple(v.value.decode() if v.value is not None else "" for v in values)

    def nb_outputs(self) -> int:
        count = ctypes.c_int32()
        self._call("pgh_nb_outputs", ctypes.byref(count))
        return count.value

    def output_types(self, in_types: Sequence[int]) -> list:
        nout = self.nb_outputs()
        ins = np.array(in_types, dtype=np.int32)
        outs = np.zeros(max(nout, 1), dtype=np.int32)
        self._call("pgh_output_types", len(ins), _ptr(ins), nout, _ptr(outs))
        return [DataType(int(t)) for t in outs[:nout]]

    def output_shapes(self, in_shapes: Sequence[Shape]) -> list:
        """getOutputShapes; an input dim of -1 is symbolic (unknown to the builder), an output dim of -1 likewise."""
        nout = self.nb_outputs()
        count, _, ranks, dims = _tensor_arrays([0] * len(in_shapes), in_shapes)
        out_ranks = np.zeros(max(nout, 1), dtype=np.int32)
        out_dims = np.zeros((max(nout, 1), MAX_DIMS), dtype=np.int64)
        self._call("pgh_output_shapes", count, _ptr(ranks), _ptr(dims), nout, _ptr(out_ranks), _ptr(out_dims))
        return [tuple(int(d) for d in out_dims[i, : out_ranks[i]]) for i in range(nout)]

    def supports_format(self, pos: int, types: Sequence[int], formats: Optional[Sequence[int]] = None,
                        shapes: Optional[Sequence[Shape]] = None, nb_inputs: Optional[int] = None) -> bool:
        """supportsFormatCombination(pos) over inputs + outputs (``nb_inputs`` defaults to len - nb_outputs).

        ``formats`` default to LINEAR; without ``shapes`` every tensor has unknown rank (nbDims = -1).
        """
        total = len(types)
        nin = total - self.nb_outputs() if nb_inputs is None else nb_inputs
        formats = [TensorFormat.LINEAR] * total if formats is None else formats
        c_types, c_formats = np.array(types, dtype=np.int32), np.array(formats, dtype=np.int32)
        ranks = dims = None
        if shapes is not None:
            _, _, ranks, dims = _tensor_arrays(types, shapes)
        result = self._host._lib.pgh_supports_format(self._live(), pos, nin, total - nin, _ptr(c_types),
                                                     _ptr(c_formats), _ptr(ranks), _ptr(dims))
        if result < 0:
            raise HostError(self._host._error())
        return result == 1

    def format_combinations(self, nb_inputs: int, candidates: Sequence[int] = tuple(DataType),
                            formats: Sequence[int] = (TensorFormat.LINEAR, TensorFormat.CHW32)) -> list:
        """Every (types, formats) of inputs + outputs the plugin accepts, found as TensorRT's builder searches them:
        position by position, asking supportsFormatCombination(pos) with the choices made for positions < pos (later
        positions hold placeholders the plugin must not look at)."""
        total = nb_inputs + self.nb_outputs()
        found = []

        def search(types: list, fmts: list) -> None:
            pos = len(types)
            if pos == total:
                found.append((tuple(types), tuple(fmts)))
                return
            for dtype in candidates:
                for fmt in formats:
                    padding = total - pos - 1  # unknown to the plugin at this point: values it would wrongly read
                    trial_types = types + [dtype] + [DataType.INT4] * padding
                    trial_formats = fmts + [fmt] + [TensorFormat.CHW32] * padding
                    if self.supports_format(pos, trial_types, trial_formats, nb_inputs=nb_inputs):
                        search(types + [dtype], fmts + [fmt])

        search([], [])
        return found

    def aliased_input(self, output: int) -> Tuple[int, int]:
        """(getAliasedInput(output), the build capability's major version); -1 for version 1."""
        index, version = ctypes.c_int32(), ctypes.c_int32()
        self._call("pgh_aliased_input", output, ctypes.byref(index), ctypes.byref(version))
        return index.value, version.value

    def configure(self, in_types: Sequence[int], in_shapes: Sequence[Shape], out_types: Sequence[int],
                  out_shapes: Sequence[Shape]) -> None:
        """configurePlugin with min = opt = max = the given shapes."""
        ins, outs = _tensor_arrays(in_types, in_shapes), _tensor_arrays(out_types, out_shapes)
        self._call("pgh_configure", *_c_tensors(ins), *_c_tensors(outs))

    def workspace_size(self, in_types: Sequence[int], in_shapes: Sequence[Shape], out_types: Sequence[int],
                       out_shapes: Sequence[Shape]) -> int:
        """getWorkspaceSize for a profile of exactly these shapes (min = opt = max)."""
        return self.workspace_size_range(in_types, in_shapes, in_shapes, out_types, out_shapes)

    def tactics(self) -> list:
        """getNbTactics + getValidTactics (after configure, as TensorRT's builder asks)."""
        buffer, count = np.zeros(1024, dtype=np.int32), ctypes.c_int32()
        self._call("pgh_tactics", len(buffer), _ptr(buffer), ctypes.byref(count))
        return buffer[:count.value].tolist()

    def set_tactic(self, tactic: int) -> None:
        """setTactic: TensorRT's choice (0 = the plugin's default), before enqueue."""
        self._call("pgh_set_tactic", tactic)

    def workspace_size_range(self, in_types: Sequence[int], min_shapes: Sequence[Shape], max_shapes: Sequence[Shape],
                             out_types: Sequence[int], out_shapes: Sequence[Shape]) -> int:
        """getWorkspaceSize for a build profile: input i ranges from min_shapes[i] to max_shapes[i] (-1: unbounded)."""
        count, types, ranks, low = _tensor_arrays(in_types, min_shapes)
        _, _, high_ranks, high = _tensor_arrays(in_types, max_shapes)
        if list(ranks) != list(high_ranks):
            raise ValueError("min and max shapes differ in rank")
        outs = _tensor_arrays(out_types, out_shapes)
        size = ctypes.c_uint64()
        self._call("pgh_workspace_size_range", count, _ptr(types), _ptr(ranks), _ptr(low), _ptr(high),
                   *_c_tensors(outs), ctypes.byref(size))
        return size.value

    def fields(self) -> dict:
        """getFieldsToSerialize() as {name: (PluginFieldType, numpy array)}."""
        count, fields = ctypes.c_int32(), ctypes.POINTER(_PluginField)()
        self._call("pgh_fields", ctypes.byref(count), ctypes.byref(fields))
        return _read_fields(count.value, fields)

    def roundtrip(self) -> "Plugin":
        """A new kRUNTIME plugin made by the matching creator from this plugin's serialized fields."""
        name, version, namespace = self.info()
        index = self._host.creator_index(name, version, namespace)
        return self._host._adopt(self._host._lib.pgh_roundtrip(self._host._live(), index, self._live()))

    def clone(self) -> "Plugin":
        return self._host._adopt(self._host._lib.pgh_clone(self._live()))

    def attach(self) -> "Plugin":
        """attachToContext (a context without allocator and error recorder); returns the new plugin."""
        return self._host._adopt(self._host._lib.pgh_attach(self._live()))

    def enqueue(self, inputs: Sequence[TensorArg], outputs: Sequence[TensorArg], workspace: int = 0,
                stream: int = 0, shape_change: bool = True) -> None:
        """onShapeChange (TensorRT calls it only when shapes change: ``shape_change=False`` skips it) + enqueue;
        each tensor is (DataType, shape, address) -- see :func:`numpy_tensor`."""
        ins = _tensor_arrays([t for t, _, _ in inputs], [s for _, s, _ in inputs])
        outs = _tensor_arrays([t for t, _, _ in outputs], [s for _, s, _ in outputs])
        in_ptrs = (_p * max(len(inputs), 1))(*[a for _, _, a in inputs])
        out_ptrs = (_p * max(len(outputs), 1))(*[a for _, _, a in outputs])
        self._call("pgh_enqueue", *_c_tensors(ins), in_ptrs, *_c_tensors(outs), out_ptrs, workspace or None,
                   stream or None, int(shape_change))

    def close(self) -> None:
        """Deletes the plugin through its virtual destructor (idempotent)."""
        if self._handle and self._host._handle:
            handle, self._handle = self._handle, None
            self._host._check(self._host._lib.pgh_destroy(handle))
        self._handle = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finalizer
            pass
