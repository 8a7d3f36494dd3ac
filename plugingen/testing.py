"""Run a built plugin on torch CUDA tensors without TensorRT, through the plugin's own code.

``PluginRunner`` drives the library like TensorRT does (``setLoggerFinder``, ``getCreators``, ``createPlugin`` from
fields, the plugin's own output types and shapes, ``onShapeChange`` and ``enqueue`` on the current torch stream), via
the C++ test host in :mod:`plugingen.host`. Stable API::

    runner = PluginRunner("ws/output/libtriton_plugins.so")
    out, = runner.run("vector_add_kernelPlugin", {}, [x, y])
    best = runner.tune("matmul_kernelPlugin", {}, [a, b])       # an autotuned kernel: time every tactic
    c, = runner.run("matmul_kernelPlugin", {}, [a, b], tactic=best)

Errors the plugin reports (no matching hint variant, a CUDA error, bad fields) raise :class:`PluginError` with the
plugin's logged message.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, NamedTuple, Optional, Sequence, Union

from .host import DataType, HostError, PluginFieldType, PluginHost, TensorFormat, TensorRTPhase, build_host
from .model import DType

__all__ = ["PluginRunner", "PluginError", "Launched"]


class PluginError(RuntimeError):
    """The plugin refused or failed a call; the message is what it logged."""


class Launched(NamedTuple):
    """One launch: the kernel, the compiled variant (the image table's index), its description
    (``tactic 2 (BLOCK_M=128, ...), BLOCK_SIZE=1024, num_warps=8, x % 16 == 0``: the config, the heuristics'
    values and the hint variant; the config only for a kernel with several) and its config's tactic value (1-based;
    0 where the library's manifest.json is not beside it)."""

    kernel: str
    variant: int
    description: str
    tactic: int = 0


def _torch_types():
    import torch

    return {getattr(torch, d.torch): d.trt for d in DType if d.trt is not None}


def plugin_fields(host: PluginHost, plugin_name: str, fields: Mapping[str, Any], version: Optional[str] = None,
                  namespace: Optional[str] = None) -> Dict[str, Any]:
    """Python field values typed as the creator declares them (bf16 travels as fp32; the plugin rounds it). A name
    the creator does not list is passed on as it is, for the plugin to refuse."""
    index = host.creator_index(plugin_name, version, namespace)
    declared = {f.name: f.type for f in host.creators()[index].fields}
    typed = {}
    for name, value in fields.items():
        field_type = PluginFieldType(declared.get(name, PluginFieldType.FLOAT32 if isinstance(value, float)
                                                  else PluginFieldType.INT64))
        typed[name] = (PluginFieldType.FLOAT32 if field_type == PluginFieldType.BF16 else field_type, value)
    return typed


def _default_host_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"plugingen-host-{os.getuid()}"


class PluginRunner:
    """Runs the plugins of one library on torch tensors (one library load per runner)."""

    def __init__(self, so_path: Union[str, Path], host_dir: Optional[Union[str, Path]] = None) -> None:
        self.host = PluginHost(so_path, build_host(Path(host_dir) if host_dir else _default_host_dir()))
        self._plugin = ""  # the plugin last prepared: launched() tells apart plugins of one kernel by it

    def close(self) -> None:
        self.host.close()

    def __enter__(self) -> "PluginRunner":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def log(self) -> List[str]:
        """Everything the plugins logged so far (info and above)."""
        return [text for _, text in self.host.log()]

    def run(self, plugin_name: str, fields: Mapping[str, Any], inputs: Sequence[Any], version: Optional[str] = None,
            namespace: Optional[str] = None, tactic: Optional[int] = None) -> List[Any]:
        """Creates the plugin (runtime phase) from ``fields``, allocates its outputs and enqueues it on the current
        torch stream with ``tactic`` (a value from :meth:`tactics`; None or 0: the default, the first config).
        Inputs must be contiguous CUDA tensors of the dtypes of one of the plugin's signatures. An in-place output
        (``alias=``) is returned as the input tensor itself, updated."""
        with self._prepared(plugin_name, fields, inputs, version, namespace) as prepared:
            prepared.enqueue(tactic or 0)
            return prepared.outputs

    def tactics(self, plugin_name: str, fields: Mapping[str, Any], inputs: Sequence[Any],
                version: Optional[str] = None, namespace: Optional[str] = None) -> List[int]:
        """The tactics the plugin offers TensorRT for these inputs (``[]``: one configuration, the default)."""
        with self._prepared(plugin_name, fields, inputs, version, namespace) as prepared:
            return list(prepared.valid)

    def tune(self, plugin_name: str, fields: Mapping[str, Any], inputs: Sequence[Any], version: Optional[str] = None,
             namespace: Optional[str] = None, launches: int = 20, repeats: int = 5) -> int:
        """Times every tactic on the GPU as TensorRT's builder would and returns the fastest tactic value (0 when
        there is only the default): device time of ``launches`` enqueues captured in a CUDA graph, the median of
        ``repeats`` replays. A tactic the plugin refuses for these inputs (a constraint) is skipped."""
        times = self.time(plugin_name, fields, inputs, None, version, namespace, launches, repeats)
        if not times:
            raise PluginError(f"{plugin_name} refuses these inputs with every tactic it offers")
        return min(times, key=times.get)

    def time(self, plugin_name: str, fields: Mapping[str, Any], inputs: Sequence[Any],
             tactics: Optional[Sequence[int]] = None, version: Optional[str] = None, namespace: Optional[str] = None,
             launches: int = 20, repeats: int = 5) -> Dict[int, float]:
        """Device time per launch in microseconds of each tactic (``tactics``; None: every one offered, or the
        default 0 when none is), measured as :meth:`tune` does; tactics the plugin refuses are left out."""
        import torch

        with self._prepared(plugin_name, fields, inputs, version, namespace) as prepared:
            times = {}
            for tactic in (tactics if tactics is not None else prepared.valid or [0]):
                try:
                    prepared.enqueue(tactic)  # loads the modules outside the capture; refuses what it cannot run
                except PluginError:
                    continue
                torch.cuda.synchronize()
                graph = torch.cuda.CUDAGraph()
                with torch.cuda.graph(graph):
                    for _ in range(launches):
                        prepared.enqueue(tactic)
                samples = []
                for _ in range(repeats):
                    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                    start.record()
                    graph.replay()
                    end.record()
                    end.synchronize()
                    samples.append(start.elapsed_time(end) * 1000.0 / launches)
                times[tactic] = sorted(samples)[len(samples) // 2]
            return times

    def launched(self) -> Optional["Launched"]:
        """The compiled variant the last :meth:`run` (or timing) of this thread launched: which config, heuristic
        values and hint variant ran; None before any launch."""
        last = self.host.last_launch()
        if not last:
            return None
        kernel, variant, description = last
        return Launched(kernel, variant, description, self._tactics_of(kernel).get(variant, 0))

    def _tactics_of(self, kernel: str) -> Dict[int, int]:
        """Compiled variant -> tactic value of ``kernel``, from the manifest.json beside the library."""
        import json

        try:
            manifest = json.loads((Path(self.host.so_path).parent / "manifest.json").read_text())
        except (OSError, ValueError):
            return {}
        return {i["index"]: i["tactic"] for k in manifest["kernels"] if k["kernel"] == kernel
                and k["plugin"] == self._plugin for i in k["images"]}

    @contextlib.contextmanager
    def _prepared(self, plugin_name: str, fields: Mapping[str, Any], inputs: Sequence[Any], version: Optional[str],
                  namespace: Optional[str]) -> Iterator["_Prepared"]:
        """A plugin made, configured and with its outputs and workspace allocated, as TensorRT would."""
        import torch

        to_trt = _torch_types()
        from_trt = {v: k for k, v in to_trt.items()}
        for i, tensor in enumerate(inputs):
            if not tensor.is_cuda or not tensor.is_contiguous():
                raise ValueError(f"input {i} must be a contiguous CUDA tensor (TensorRT's linear format)")
            if tensor.dtype not in to_trt:
                raise ValueError(f"input {i} has dtype {tensor.dtype}, which TensorRT has no type for")
        self._plugin = plugin_name
        try:
            plugin = self.host.create(plugin_name, plugin_fields(self.host, plugin_name, fields, version, namespace),
                                      phase=TensorRTPhase.RUNTIME, version=version, namespace=namespace)
            try:
                in_types = [to_trt[t.dtype] for t in inputs]
                in_shapes = [tuple(t.shape) for t in inputs]
                out_types = list(plugin.output_types(in_types))
                out_shapes = plugin.output_shapes(in_shapes)
                types = in_types + out_types
                for pos, tensor in enumerate(inputs):
                    if not plugin.supports_format(pos, types, [TensorFormat.LINEAR] * len(types)):
                        raise PluginError(f"{plugin_name} does not take input {pos} as {tensor.dtype}")
                plugin.configure(in_types, in_shapes, out_types, out_shapes)
                device = inputs[0].device if inputs else torch.device("cuda")
                # an in-place output is its input's tensor, as TensorRT hands an aliased output the input's buffer
                aliased = [plugin.aliased_input(i)[0] for i in range(len(out_types))]
                outputs = [inputs[alias] if alias >= 0 else torch.empty(shape, dtype=from_trt[DataType(t)],
                                                                         device=device)
                           for t, shape, alias in zip(out_types, out_shapes, aliased)]
                # the workspace TensorRT would give: getWorkspaceSize at exactly these shapes
                workspace_bytes = plugin.workspace_size(in_types, in_shapes, out_types, out_shapes)
                workspace = torch.empty(workspace_bytes, dtype=torch.uint8, device=device) if workspace_bytes else None
                yield _Prepared(plugin, plugin.tactics(), device,
                                [(to_trt[t.dtype], tuple(t.shape), t.data_ptr()) for t in inputs],
                                [(to_trt[t.dtype], tuple(t.shape), t.data_ptr()) for t in outputs], outputs,
                                workspace.data_ptr() if workspace is not None else 0)
            finally:
                plugin.close()
        except HostError as exc:
            raise PluginError(exc.message) from None


class _Prepared:
    def __init__(self, plugin: Any, valid: List[int], device: Any, inputs: list, outputs: list, tensors: list,
                 workspace: int) -> None:
        self.plugin, self.valid, self.device = plugin, valid, device
        self._inputs, self._outputs, self.outputs, self._workspace = inputs, outputs, tensors, workspace

    def enqueue(self, tactic: int) -> None:
        """setTactic, then onShapeChange + enqueue on the current torch stream."""
        import torch

        if tactic and tactic not in self.valid:
            raise PluginError(f"tactic {tactic} is not one the plugin offers ({self.valid or 'only the default, 0'})")
        stream = torch.cuda.current_stream(self.device).cuda_stream
        try:
            self.plugin.set_tactic(tactic)
            with torch.cuda.device(self.device):
                self.plugin.enqueue(self._inputs, self._outputs, workspace=self._workspace, stream=stream)
        except HostError as exc:
            raise PluginError(exc.message) from None
