"""Every plugin of a built library as a PyTorch custom op: eager through the plugin's own ``enqueue``, traced through
a fake implementation of its shape rules, exported to ONNX as the node TensorRT's parser maps to the plugin::

    import plugingen.torch as pgt
    lib = pgt.load("ws/output")           # registers torch.ops.plugingen.<function> for every plugin
    out = torch.ops.plugingen.fused_attention_kernel(q, k, v, sm_scale=0.125, num_heads=8)
    torch.onnx.export(model, args, "model.onnx", dynamo=True,
                      custom_translation_table=pgt.onnx_translation_table(lib))

An op takes the plugin's inputs in the config's order, then its fields (ParamArgs) keyword-only, and returns its one
output, or a tuple of them; an in-place output (``alias=``) is its input, declared mutated (``Tensor(a!)``) and
returned (traced, such an op is its functional twin ``<function>_functional``: :meth:`Op.functionalize`). At run time this needs only torch and the library: the library's ``plugingenOp*`` entry points
(``runtime.cpp``) create the plugin from the fields once per distinct field values, prepare it once per input shapes
and types (``configurePlugin``, ``getWorkspaceSize``, ``onShapeChange``, as TensorRT's runtime would), then run its
``enqueue`` on ``torch.cuda.current_stream()`` with outputs and workspace from torch's allocator. An autotuned
kernel runs its first config, or with a tuning table (``--tuning``) the config its table picks per launch. A plugin
error raises :class:`plugingen.testing.PluginError` with the plugin's message.

The fake implementation evaluates the config's shape rules (``manifest.json``) on the inputs' sizes, symbolic ones
included: ranks, literal dims and dims a rule ties together are checked (``torch._check``), and constraints whose
values are all known while tracing; the rest the plugin checks at run time.
"""
from __future__ import annotations

import ctypes
import functools
import importlib.util
import json
import os
import threading
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from . import expr
from .host.host import MAX_DIMS, _PluginField
from .model import DType
from .testing import PluginError

__all__ = ["load", "describe", "onnx_translation_table", "Library", "Op", "PluginError", "NAMESPACE"]

NAMESPACE = "plugingen"  #: torch.ops.plugingen.<function>

_TO_DTYPE = {getattr(torch, d.torch): d for d in DType if d.trt is not None and d.plugin_io}
_SYMBOLIC = {"min": lambda *v: functools.reduce(torch.sym_min, v),
             "max": lambda *v: functools.reduce(torch.sym_max, v)}
_LOADED: Dict[Tuple[Path, str], "Library"] = {}  # what this process registered with torch: folder, namespace
_LOCK = threading.Lock()


class _FieldCollection(ctypes.Structure):
    _fields_ = [("nbFields", ctypes.c_int32), ("fields", ctypes.POINTER(_PluginField))]


_p, _i32 = ctypes.c_void_p, ctypes.c_int32
_ENTRY_POINTS = {
    "plugingenOpError": (ctypes.c_char_p, []),
    "plugingenOpCreate": (_p, [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(_FieldCollection)]),
    "plugingenOpDestroy": (None, [_p]),
    "plugingenOpPrepare": (_i32, [_p, _i32, _i32, _p, _p, _p, ctypes.POINTER(ctypes.c_uint64)]),
    "plugingenOpEnqueue": (_i32, [_p, _i32, _i32, _p, _p, _p, _p, _p, _p, _p]),
}


def _entry_points(so_path: Path) -> ctypes.CDLL:
    dll = ctypes.CDLL(str(so_path), mode=os.RTLD_NOW | os.RTLD_LOCAL)
    for name, (restype, argtypes) in _ENTRY_POINTS.items():
        function = getattr(dll, name, None)
        if function is None:
            raise PluginError(f"{so_path} has no {name} entry point: it was built by an older plugingen; rebuild it")
        function.restype, function.argtypes = restype, argtypes
    return dll


class _Tensors:
    """Tensor types, ranks and dims (inputs, then outputs; 8 dims per tensor) as the entry points take them."""

    def __init__(self, types: Sequence[int], shapes: Sequence[Sequence[int]]) -> None:
        self.count = len(types)
        self.types = (ctypes.c_int32 * max(self.count, 1))(*types)
        self.ranks = (ctypes.c_int32 * max(self.count, 1))(*(len(s) for s in shapes))
        dims = [0] * (MAX_DIMS * max(self.count, 1))
        for i, shape in enumerate(shapes):
            dims[i * MAX_DIMS:i * MAX_DIMS + len(shape)] = shape
        self.dims = (ctypes.c_int64 * len(dims))(*dims)


class _Prepared:
    """What one set of input types and shapes gives, kept so that a call passes ready arrays: the entry points'
    tensors, the outputs' shapes and dtypes, the workspace bytes."""

    def __init__(self, tensors: _Tensors, shapes: List[List[int]], dtypes: List[torch.dtype], workspace: int) -> None:
        self.tensors, self.shapes, self.dtypes, self.workspace = tensors, shapes, dtypes, workspace


class _Plugin:
    """One plugin object (one set of field values) and the shapes it was prepared for."""

    MAX_PREPARED = 256  # distinct input shapes kept per plugin object (the oldest is forgotten first)

    def __init__(self, library: "Library", handle: int) -> None:
        self.library, self.handle = library, handle
        self.prepared: Dict[tuple, _Prepared] = {}

    def __del__(self) -> None:
        if self.handle and self.library.dll is not None:
            self.library.dll.plugingenOpDestroy(self.handle)


class Op:
    """One plugin of the library as a torch op: its schema, shape function, eager and fake implementations."""

    def __init__(self, library: "Library", kernel: dict) -> None:
        self.library, self.kernel = library, kernel
        self.namespace = library.namespace if library is not None else NAMESPACE
        self.name = kernel["function"]
        self.fields = kernel["fields"]
        self.inputs, self.outputs = kernel["inputs"], kernel["outputs"]
        self.signatures = kernel["signatures"] or [{}]
        input_index = {t["name"]: i for i, t in enumerate(self.inputs)}
        self.aliases = [input_index[t["alias"]] if t.get("alias") else -1 for t in self.outputs]
        self.output_rules = [expr.parse_rule(text) for text in kernel["output_rules"]]
        self.dim_size_rules = [expr.parse_rule(text) for text in kernel["dim_size_rules"]]
        self.constraints = [(text, expr.parse_expr(text)) for text in kernel["constraints"]]
        self.constants = kernel["constants"]
        self.plugins: Dict[tuple, _Plugin] = {}

    # ---- the schema
    def schema(self, functional: bool = False) -> str:
        """``(Tensor x, Tensor(a!) acc, *, float alpha) -> Tensor(a!)``: fields keyword-only. ``functional``: the
        schema of an in-place op's functional twin (``<function>_functional``), which returns new tensors."""
        letters = {} if functional else {alias: chr(ord("a") + i)
                                         for i, alias in enumerate(a for a in self.aliases if a >= 0)}
        params = [f"Tensor{'(' + letters[i] + '!)' if i in letters else ''} {t['name']}"
                  for i, t in enumerate(self.inputs)]
        if self.fields:
            params.append("*")
            params += [f"{'float' if DType.named(f['dtype']).is_float else 'int'} {f['name']}" for f in self.fields]
        returns = [f"Tensor{'(' + letters[a] + '!)' if a in letters else ''}" for a in self.aliases]
        result = returns[0] if len(returns) == 1 else f"({', '.join(returns)})"
        return f"({', '.join(params)}) -> {result}"

    @property
    def in_place(self) -> bool:
        return any(a >= 0 for a in self.aliases)

    # ---- shapes and types (fake and eager alike)
    def output_dtypes(self, dtypes: Sequence[torch.dtype]) -> List[torch.dtype]:
        """The outputs' dtypes for inputs of these dtypes: the signature they match, or an error listing them."""
        given = [_TO_DTYPE.get(d) for d in dtypes]
        for signature in self.signatures:
            wanted = [DType.named(signature.get(t["dtype"], t["dtype"])) for t in self.inputs]
            if given == wanted:
                return [getattr(torch, DType.named(signature.get(t["dtype"], t["dtype"])).torch)
                        for t in self.outputs]
        listed = " | ".join(", ".join(DType.named(s.get(t["dtype"], t["dtype"])).torch for t in self.inputs)
                            for s in self.signatures)
        given_text = ", ".join(str(d) for d in dtypes)
        raise TypeError(f"{self.namespace}.{self.name}: inputs of dtypes ({given_text}) match no signature of the "
                        f"plugin ({listed})")

    def _bind(self, rule: Union[expr.ShapeRule, expr.DimSizeRule], shapes: Dict[str, Sequence]) -> Dict[str, Any]:
        """The dims a rule's left side names, after checking the rank, literal dims and tied dims it asks for."""
        text = expr.render_rule(rule)
        env: Dict[str, Any] = {}
        for pattern in rule.inputs:
            shape = shapes[pattern.name]
            rank = len(pattern.dims)
            if len(shape) < rank or (not pattern.rest and len(shape) != rank):
                raise ValueError(f"{self.namespace}.{self.name}: input '{pattern.name}' has rank {len(shape)} but rule "
                                 f"'{text}' needs {'at least ' if pattern.rest else ''}{rank}")
            for position, (dim, size) in enumerate(zip(pattern.dims, shape)):
                if isinstance(dim, int):
                    torch._check(size == dim, lambda: f"{self.namespace}.{self.name}: dimension {position} of input "
                                                      f"'{pattern.name}' is {size} but rule '{text}' needs {dim}")
                elif dim in env:
                    torch._check(size == env[dim], lambda: f"{self.namespace}.{self.name}: dimension '{dim}' of rule "
                                                           f"'{text}' differs between inputs: {env[dim]} vs {size}")
                else:
                    env[dim] = size
        return env

    def output_shapes(self, shapes: Sequence[Sequence], fields: Optional[Dict[str, Any]] = None) -> List[List[Any]]:
        """Each output's shape by the config's rules (ints or SymInts), after checking what every rule asks of the
        inputs as far as the sizes are known; with ``fields``, also the constraints whose values are all known
        (static sizes, fields, constants: those that read symbolic sizes or what a tactic or heuristic sets are left
        to the plugin's checks at run time)."""
        named = {t["name"]: list(shape) for t, shape in zip(self.inputs, shapes)}
        result = []
        for output, rule in zip(self.outputs, self.output_rules):
            env = self._bind(rule, named)
            pattern = next(p for p in rule.outputs if p.name == output["name"])
            if pattern.whole:
                result.append(list(named[rule.inputs[0].name]))
                continue
            dims = [expr.evaluate(d, env, calls=_SYMBOLIC) for d in pattern.dims]
            if pattern.rest:
                first = next(p for p in rule.inputs if p.rest)
                dims += named[first.name][len(first.dims):]
            result.append(dims)
        env: Dict[str, Any] = dict(self.constants)
        for rule in self.dim_size_rules:
            dims = self._bind(rule, named)
            counts = {p.name: _numel(named[p.name]) for p in rule.inputs}
            try:
                env[rule.target] = expr.evaluate(rule.expr, dims, counts.__getitem__, _SYMBOLIC)
            except (ArithmeticError, TypeError, ValueError):
                pass  # not computable while tracing (a zero divisor, an operation symbolic sizes lack): left to the
                # plugin, which checks every constraint before it launches
        if fields is not None:
            env.update((f["name"], fields[f["name"]]) for f in self.fields if not DType.named(f["dtype"]).is_float)
            for text, condition in self.constraints:
                known = all(isinstance(env.get(n), int) for n in expr.names(condition))
                if known and not expr.evaluate(condition, env):
                    shown = ", ".join(f"{n} = {env[n]}" for n in sorted(expr.names(condition)))
                    raise ValueError(f"{self.namespace}.{self.name}: constraint '{text}' does not hold ({shown})")
        return result

    # ---- implementations
    def fake(self, *tensors: torch.Tensor, **fields: Any):
        dtypes = self.output_dtypes([t.dtype for t in tensors])
        shapes = self.output_shapes([t.shape for t in tensors], fields)
        outputs = [tensors[a] if a >= 0 else tensors[0].new_empty(s, dtype=d)
                   for s, d, a in zip(shapes, dtypes, self.aliases)]
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    def fake_functional(self, *tensors: torch.Tensor, **fields: Any):
        outputs = self.fake(*tensors, **fields)
        outputs = [torch.empty_like(t) if a >= 0 else t
                   for t, a in zip(outputs if isinstance(outputs, tuple) else [outputs], self.aliases)]
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    def eager_functional(self, *tensors: torch.Tensor, **fields: Any):
        """The functional twin on CUDA: the in-place op on copies of the inputs it updates."""
        copies = [t.clone(memory_format=torch.contiguous_format) if i in self.aliases else t
                  for i, t in enumerate(tensors)]
        return self.eager(*copies, **fields)

    def functionalize(self, *tensors: torch.Tensor, **fields: Any):
        """The in-place op under functionalization (torch.compile, torch.export): its functional twin, whose new
        tensors then replace the inputs it updates; so a traced graph holds the twin, which exports to the same
        ONNX node."""
        for t in tensors:
            torch._sync(t)
        raw = [torch._from_functional_tensor(t) for t in tensors]
        with torch._C._ExcludeDispatchKeyGuard(torch._C.DispatchKeySet(torch._C.DispatchKey.Functionalize)):
            outputs = self.library.op(self.name + "_functional")(*raw, **fields)
        outputs = list(outputs) if isinstance(outputs, tuple) else [outputs]
        results = []
        for out, alias in zip(outputs, self.aliases):
            if alias < 0:
                results.append(torch._to_functional_tensor(out))
                continue
            updated = tensors[alias]
            torch._functionalize_replace(updated, out)
            torch._functionalize_commit_update(updated)
            torch._sync(updated)
            results.append(updated)
        return results[0] if len(results) == 1 else tuple(results)

    def eager(self, *tensors: torch.Tensor, **fields: Any):
        device = tensors[0].device if tensors else torch.device("cuda", torch.cuda.current_device())
        inputs = []
        for i, t in enumerate(tensors):
            if t.device != device:
                raise ValueError(f"{self.namespace}.{self.name}: input '{self.inputs[i]['name']}' is on {t.device}, "
                                 f"input '{self.inputs[0]['name']}' on {device}")
            if not t.is_contiguous():
                if i in self.aliases:
                    raise ValueError(f"{self.namespace}.{self.name}: input '{self.inputs[i]['name']}' is updated in "
                                     "place and must be contiguous")
                t = t.contiguous()
            inputs.append(t)
        plugin = self._plugin(fields)
        key = tuple((t.dtype, t.shape) for t in inputs)
        prepared = plugin.prepared.get(key) or self._prepare(plugin, key, inputs)
        outputs = [inputs[a] if a >= 0 else torch.empty(s, dtype=d, device=device)
                   for s, d, a in zip(prepared.shapes, prepared.dtypes, self.aliases)]
        # held until enqueue has queued the launch (freed after it, the allocator reuses it in stream order)
        scratch = torch.empty(prepared.workspace, dtype=torch.uint8, device=device) if prepared.workspace else None
        workspace = scratch.data_ptr() if scratch is not None else None
        nin = len(inputs)
        pointers = (ctypes.c_void_p * max(len(inputs) + len(outputs), 1))(
            *(t.data_ptr() for t in inputs), *(t.data_ptr() for t in outputs))
        dll, t = self.library.dll, prepared.tensors

        def enqueue() -> int:  # on the device's current stream; its context is current (num_sms reads it)
            return dll.plugingenOpEnqueue(plugin.handle, nin, len(outputs), t.types, t.ranks, t.dims, pointers,
                                          ctypes.byref(pointers, 8 * nin), workspace, _raw_stream(device.index))

        if torch.cuda.current_device() == device.index:
            status = enqueue()
        else:
            with torch.cuda.device(device):
                status = enqueue()
        if status:
            raise self._failure()
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    def _failure(self) -> PluginError:
        """The error of the entry-point call that just failed on this thread: what the plugin logged."""
        logged = self.library.dll.plugingenOpError().decode(errors="replace")
        return PluginError(f"{self.namespace}.{self.name}: {logged}")

    def _plugin(self, fields: Dict[str, Any]) -> _Plugin:
        key = tuple(fields[f["name"]] for f in self.fields)
        plugin = self.plugins.get(key)
        if plugin is None:
            with _LOCK:
                plugin = self.plugins.get(key) or self._create(key)
                self.plugins[key] = plugin
        return plugin

    def _create(self, values: tuple) -> _Plugin:
        arrays, names = [], []
        entries = (_PluginField * max(len(self.fields), 1))()
        for entry, field, value in zip(entries, self.fields, values):
            wire = DType.named(field["dtype"]).wire
            arrays.append(np.array([value], dtype=wire.numpy))
            names.append(field["name"].encode())
            entry.name, entry.data, entry.type, entry.length = names[-1], arrays[-1].ctypes.data, int(wire.field), 1
        collection = _FieldCollection(len(arrays), entries)
        k = self.kernel
        handle = self.library.dll.plugingenOpCreate(k["plugin"].encode(), k["version"].encode(),
                                                    k["namespace"].encode(), ctypes.byref(collection))
        if not handle:
            raise self._failure()
        return _Plugin(self.library, handle)

    def _prepare(self, plugin: _Plugin, key: tuple, inputs: Sequence[torch.Tensor]) -> _Prepared:
        """The plugin prepared for these inputs (once per types and shapes; one thread at a time: configurePlugin
        updates the plugin object)."""
        dtypes = self.output_dtypes([t.dtype for t in inputs])
        shapes = [[int(d) for d in s] for s in self.output_shapes([tuple(t.shape) for t in inputs])]
        types = [_TO_DTYPE[d].trt for d in [t.dtype for t in inputs] + dtypes]
        tensors = _Tensors(types, [tuple(t.shape) for t in inputs] + shapes)
        workspace = ctypes.c_uint64()
        with _LOCK:
            if self.library.dll.plugingenOpPrepare(plugin.handle, len(inputs), len(shapes), tensors.types,
                                                   tensors.ranks, tensors.dims, ctypes.byref(workspace)):
                raise self._failure()
            prepared = _Prepared(tensors, shapes, dtypes, workspace.value)
            if len(plugin.prepared) >= _Plugin.MAX_PREPARED:
                plugin.prepared.pop(next(iter(plugin.prepared)))
            plugin.prepared[key] = prepared
        return prepared


def _raw_stream(index: int) -> int:
    """The current torch stream of device ``index`` as a cudaStream_t (a capture stream while a graph is captured)."""
    raw = getattr(torch._C, "_cuda_getCurrentRawStream", None)  # what Triton's launcher reads: no Stream object
    return raw(index) if raw is not None else torch.cuda.current_stream(index).cuda_stream


def _numel(shape: Sequence) -> Any:
    count = 1
    for size in shape:
        count = count * size
    return count


class Library:
    """A built library (``ws/output``) whose plugins are registered as ``torch.ops.<namespace>.<function>``."""

    def __init__(self, output: Path, namespace: str = NAMESPACE) -> None:
        self.output, self.namespace = output, namespace
        self.manifest = json.loads((output / "manifest.json").read_text())
        self.dll: Optional[ctypes.CDLL] = _entry_points(output / "libtriton_plugins.so")
        self.ops: Dict[str, Op] = {k["function"]: Op(self, k) for k in self.manifest["kernels"]}
        self._torch_library = torch.library.Library(namespace, "FRAGMENT")
        for name, op in self.ops.items():
            if hasattr(getattr(torch.ops, namespace), name):
                raise PluginError(f"torch.ops.{namespace}.{name} is already registered (by another library with a "
                                  f"plugin of that name): load {output} with another namespace=")
            self._torch_library.define(name + op.schema())
            self._torch_library.impl(name, op.eager, "CUDA")
            torch.library.register_fake(f"{namespace}::{name}", op.fake, lib=self._torch_library)
            if op.in_place:  # traced as its functional twin (see Op.functionalize)
                self._torch_library.define(name + "_functional" + op.schema(functional=True))
                self._torch_library.impl(name + "_functional", op.eager_functional, "CUDA")
                torch.library.register_fake(f"{namespace}::{name}_functional", op.fake_functional,
                                            lib=self._torch_library)
                self._torch_library.impl(name, op.functionalize, "Functionalize")

    def op(self, function: str) -> Callable:
        """``torch.ops.<namespace>.<function>``."""
        return getattr(getattr(torch.ops, self.namespace), function)

    def onnx_plugins(self):
        """The library's generated ``onnx_plugins.py`` module (the nodes TensorRT's ONNX parser maps to plugins)."""
        spec = importlib.util.spec_from_file_location(f"_plugingen_onnx_{abs(hash(self.output))}",
                                                      self.output / "onnx_plugins.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module


def describe(output: Union[str, os.PathLike]) -> Dict[str, Op]:
    """Each plugin of the library in ``output`` as an :class:`Op` by function name, registering nothing: its
    ``schema()``, ``output_shapes()`` and ``output_dtypes()`` (what the fake implementation computes)."""
    manifest = json.loads((Path(output) / "manifest.json").read_text())
    return {k["function"]: Op(None, k) for k in manifest["kernels"]}


def load(output: Union[str, os.PathLike], namespace: str = NAMESPACE) -> Library:
    """Registers every plugin of the library in ``output`` (a build's ``ws/output``: ``libtriton_plugins.so``,
    ``manifest.json``, ``onnx_plugins.py``) as ``torch.ops.<namespace>.<function>``; loading the same folder into the
    same namespace again returns the same :class:`Library` (two libraries with a plugin of the same function name
    need different namespaces)."""
    folder = Path(output).resolve()
    with _LOCK:
        if (folder, namespace) not in _LOADED:
            for needed in ("libtriton_plugins.so", "manifest.json", "onnx_plugins.py"):
                if not (folder / needed).is_file():
                    raise FileNotFoundError(f"{folder / needed} does not exist: pass a build's output folder")
            _LOADED[folder, namespace] = Library(folder, namespace)
        return _LOADED[folder, namespace]


def onnx_translation_table(library: Library) -> Dict[Any, Callable]:
    """``{torch.ops.plugingen.<function>.default: translation}`` for ``torch.onnx.export(..., dynamo=True,
    custom_translation_table=...)``: each call becomes the node the library's ``onnx_plugins.py`` makes (op type =
    plugin name, its domain, ``plugin_version``/``plugin_namespace`` and one attribute per field)."""
    import onnx
    from onnxscript import values

    nodes = library.onnx_plugins()
    opset = values.Opset(nodes.DOMAIN, nodes.DOMAIN_VERSION)
    tensor_types = sorted({f"tensor({onnx.helper.tensor_dtype_to_string(d.onnx).split('.')[-1].lower()})"
                           for d in _TO_DTYPE.values()})
    table = {}
    for op in library.ops.values():
        info = nodes.PLUGINS[op.kernel["kernel"]]
        translate = _translation(op, info, nodes, opset, tensor_types)
        table[library.op(op.name).default] = translate
        if op.in_place:  # what a traced graph holds instead of the in-place op
            table[library.op(op.name + "_functional").default] = translate
    return table


def _translation(op: Op, info, nodes, opset, tensor_types: List[str]) -> Callable:
    from onnx.defs import OpSchema
    from onnxscript import values

    parameter = OpSchema.FormalParameter
    attribute_types = {"FLOAT": OpSchema.AttrType.FLOAT, "INT": OpSchema.AttrType.INT}
    schema = OpSchema(
        info.plugin_name, nodes.DOMAIN, nodes.DOMAIN_VERSION,
        inputs=[parameter(t.name, f"I{i}") for i, t in enumerate(info.inputs)],
        outputs=[parameter(t.name, f"O{i}") for i, t in enumerate(info.outputs)],
        type_constraints=[(f"I{i}", tensor_types, "") for i in range(len(info.inputs))]
        + [(f"O{i}", tensor_types, "") for i in range(len(info.outputs))],
        attributes=[OpSchema.Attribute("plugin_version", OpSchema.AttrType.STRING, ""),
                    OpSchema.Attribute("plugin_namespace", OpSchema.AttrType.STRING, "")]
        + [OpSchema.Attribute(f.name, attribute_types[f.attribute], "") for f in info.fields])
    node = values.Op(opset, info.plugin_name, schema)

    def translate(*tensors, **fields):
        attributes = {f.name: nodes._field_value(info.kernel, f, fields[f.name]) for f in info.fields}
        return node(*tensors, plugin_version=info.plugin_version, plugin_namespace=info.plugin_namespace,
                    **attributes)

    translate.__name__ = f"{op.name}_to_onnx"
    return translate
