"""Run a built plugin on torch CUDA tensors without TensorRT, through the plugin's own code.

``PluginRunner`` drives the library like TensorRT does (``setLoggerFinder``, ``getCreators``, ``createPlugin`` from
fields, the plugin's own output types and shapes, ``onShapeChange`` and ``enqueue`` on the current torch stream), via
the C++ test host in :mod:`plugingen.host`. Stable API::

    runner = PluginRunner("ws/output/libtriton_plugins.so")
    out, = runner.run("vector_add_kernelPlugin", {}, [x, y])

Errors the plugin reports (no matching hint variant, a CUDA error, bad fields) raise :class:`PluginError` with the
plugin's logged message.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from .host import DataType, HostError, PluginFieldType, PluginHost, TensorFormat, TensorRTPhase, build_host
from .model import DType

__all__ = ["PluginRunner", "PluginError"]


class PluginError(RuntimeError):
    """The plugin refused or failed a call; the message is what it logged."""


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
            namespace: Optional[str] = None) -> List[Any]:
        """Creates the plugin (runtime phase) from ``fields``, allocates its outputs and enqueues it on the current
        torch stream. Inputs must be contiguous CUDA tensors of the plugin's declared dtypes."""
        import torch

        to_trt = _torch_types()
        from_trt = {v: k for k, v in to_trt.items()}
        for i, tensor in enumerate(inputs):
            if not tensor.is_cuda or not tensor.is_contiguous():
                raise ValueError(f"input {i} must be a contiguous CUDA tensor (TensorRT's linear format)")
            if tensor.dtype not in to_trt:
                raise ValueError(f"input {i} has dtype {tensor.dtype}, which TensorRT has no type for")
        try:
            plugin = self.host.create(plugin_name, plugin_fields(self.host, plugin_name, fields, version, namespace),
                                      phase=TensorRTPhase.RUNTIME, version=version, namespace=namespace)
            try:
                in_types = [to_trt[t.dtype] for t in inputs]
                in_shapes = [tuple(t.shape) for t in inputs]
                out_types = plugin.output_types(in_types)
                out_shapes = plugin.output_shapes(in_shapes)
                types = in_types + list(out_types)
                for pos, tensor in enumerate(inputs):
                    if not plugin.supports_format(pos, types, [TensorFormat.LINEAR] * len(types)):
                        raise PluginError(f"{plugin_name} does not take input {pos} as {tensor.dtype}")
                device = inputs[0].device if inputs else torch.device("cuda")
                outputs = [torch.empty(shape, dtype=from_trt[DataType(t)], device=device)
                           for t, shape in zip(out_types, out_shapes)]
                # the workspace TensorRT would give: getWorkspaceSize at exactly these shapes
                workspace_bytes = plugin.workspace_size(in_types, in_shapes, list(out_types), out_shapes)
                workspace = torch.empty(workspace_bytes, dtype=torch.uint8, device=device) if workspace_bytes else None
                stream = torch.cuda.current_stream(device).cuda_stream
                with torch.cuda.device(device):
                    plugin.enqueue([(to_trt[t.dtype], tuple(t.shape), t.data_ptr()) for t in inputs],
                                   [(to_trt[t.dtype], tuple(t.shape), t.data_ptr()) for t in outputs],
                                   workspace=workspace.data_ptr() if workspace is not None else 0, stream=stream)
            finally:
                plugin.close()
        except HostError as exc:
            raise PluginError(exc.message) from None
        return outputs
