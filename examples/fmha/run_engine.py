"""Run a fused-attention engine on random inputs, compare it with torch, and time it.

Build the plugin and an engine first (``build_engine.py`` with TensorRT, or ``../onnx_engine.py`` with TensorRT or
TensorRT-RTX), then, on a GPU that runs engines::

    python run_engine.py --workspace ./ws --engine fmha.engine --batch 2 --seq-len 512

Steps: load ``libtriton_plugins.so`` into TensorRT's plugin registry (it must be there before the engine is
deserialized: the engine names the plugin, the library provides it); deserialize the engine; bind its inputs
``Q``, ``K``, ``V`` (random fp16 ``[batch, num_heads, seq_len, 64]``) and outputs ``Out``, ``L``, ``M`` by the
engine's own names, dtypes and shapes; run it; compare with a torch reference of the same formulas
(``fmha_triton.py``'s docstring); time it (CUDA events, median of ``--iterations`` runs). ``--num-heads`` and
``--sm-scale`` must be the values the engine was built with (plugin fields are fixed in the engine).

Uses ``tensorrt`` when importable, else TensorRT-RTX's wheels. Exit status: 0 the outputs match, 1 they do not or
TensorRT failed (loading the library, deserializing, running), 2 a usage error or a missing TensorRT, torch or GPU.
"""
from __future__ import annotations

import argparse
import importlib.util
import math
import sys
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

HEAD_SIZE = 64  # fixed by the kernel config (Constexpr BLOCK_DMODEL)
INPUTS = ("Q", "K", "V")
OUTPUTS = ("Out", "L", "M")
TOLERANCE = {"Out": 1e-2, "L": 1e-3, "M": 1e-3}  # fp16 output / fp32 statistics (atol = rtol)


class TensorIO(NamedTuple):
    """One I/O tensor of an engine, as the engine declares it (-1: a dynamic dim)."""

    name: str
    is_input: bool
    dtype: str  # 'HALF', 'FLOAT', ...: TensorRT's DataType name
    shape: Tuple[int, ...]


def _onnx_engine():
    """The sibling example ``../onnx_engine.py`` (which finds TensorRT or TensorRT-RTX)."""
    path = Path(__file__).resolve().parents[1] / "onnx_engine.py"
    spec = importlib.util.spec_from_file_location("onnx_engine", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, default=Path("./ws"), help="the plugingen --workspace (default: ./ws)")
    parser.add_argument("--engine", type=Path, default=Path("fmha.engine"), help="the serialized engine")
    parser.add_argument("--batch", type=int, default=2, help="batch size to run (default: 2)")
    parser.add_argument("--seq-len", type=int, default=512, help="sequence length to run (default: 512)")
    parser.add_argument("--num-heads", type=int, default=8, help="the engine's num_heads (default: 8)")
    parser.add_argument("--sm-scale", type=float, default=1.0 / math.sqrt(HEAD_SIZE),
                        help="the engine's sm_scale, for the reference (default: 1/sqrt(64))")
    parser.add_argument("--iterations", type=int, default=20, help="timed runs (default: 20)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default: 0)")
    args = parser.parse_args(argv)
    for name in ("batch", "seq_len", "num_heads", "iterations"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def engine_io(engine) -> List[TensorIO]:
    """The engine's I/O tensors (TensorRT 10's name-based API, which TensorRT-RTX shares)."""
    found = []
    for index in range(engine.num_io_tensors):
        name = engine.get_tensor_name(index)
        is_input = "INPUT" in str(engine.get_tensor_mode(name)).upper()
        found.append(TensorIO(name, is_input, str(engine.get_tensor_dtype(name)).rsplit(".", 1)[-1],
                              tuple(engine.get_tensor_shape(name))))
    return found


def io_plan(io: Sequence[TensorIO], batch: int, heads: int, seq_len: int) -> Dict[str, Tuple[int, ...]]:
    """Each I/O tensor's shape for this run; ValueError where the engine is not an FMHA engine these sizes fit."""
    inputs = {t.name: t for t in io if t.is_input}
    outputs = {t.name: t for t in io if not t.is_input}
    if set(inputs) != set(INPUTS) or set(outputs) != set(OUTPUTS):
        raise ValueError(f"the engine's inputs are {', '.join(inputs) or 'none'} and outputs "
                         f"{', '.join(outputs) or 'none'}; an FMHA engine has inputs Q, K, V and outputs Out, L, M")
    want = {"Q": (batch, heads, seq_len, HEAD_SIZE), "Out": (batch, heads, seq_len, HEAD_SIZE),
            "L": (batch, heads, seq_len), "M": (batch, heads, seq_len)}
    want["K"] = want["V"] = want["Q"]
    dtypes = {"Q": "HALF", "K": "HALF", "V": "HALF", "Out": "HALF", "L": "FLOAT", "M": "FLOAT"}
    for tensor in io:
        shape = want[tensor.name]
        if tensor.dtype != dtypes[tensor.name]:
            raise ValueError(f"{tensor.name} is {tensor.dtype} in the engine, not {dtypes[tensor.name]}")
        if len(tensor.shape) != len(shape) or any(d not in (-1, w) for d, w in zip(tensor.shape, shape)):
            raise ValueError(f"{tensor.name} has shape {list(tensor.shape)} in the engine (-1: dynamic), which "
                             f"{list(shape)} does not fit (--batch, --num-heads, --seq-len)")
    return want


def reference(q, k, v, sm_scale: float):
    """(Out, L, M) in fp32, as ``fmha_triton.py`` defines them."""
    import torch

    s = sm_scale * torch.matmul(q.float(), k.float().transpose(-1, -2))
    m = s.amax(-1)
    p = torch.exp(s - m[..., None])
    lse = p.sum(-1)
    return {"Out": torch.matmul(p / lse[..., None], v.float()), "L": lse, "M": m}


def _fail(message: str, status: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return status


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parse_args(argv)
    library = args.workspace / "output" / "libtriton_plugins.so"
    if not library.is_file():
        return _fail(f"no {library}; run plugingen first:\n  plugingen --workspace {args.workspace} "
                     "--kernel_config kernel_config.py", 2)
    if not args.engine.is_file():
        return _fail(f"no engine {args.engine}; build one with build_engine.py or ../onnx_engine.py", 2)
    try:
        trt, which = _onnx_engine()._tensorrt()
    except ImportError as exc:
        return _fail(f"neither TensorRT nor TensorRT-RTX is importable ({exc}); pip install tensorrt, or "
                     "bash .ci/install_trt_rtx.sh", 2)

    class Logger(trt.ILogger):
        def __init__(self):
            trt.ILogger.__init__(self)
            self.errors: List[str] = []

        def log(self, severity, msg):
            if severity in (trt.ILogger.Severity.ERROR, trt.ILogger.Severity.INTERNAL_ERROR):
                self.errors.append(msg)

    logger = Logger()
    registry = trt.get_plugin_registry()
    handle = registry.load_library(str(library))
    if handle is None:
        return _fail(f"{which} refused to load {library}: " + (" | ".join(logger.errors) or "no message"), 1)
    print(f"loaded {library} into {which}'s plugin registry")
    runtime = engine = None
    try:
        runtime = trt.Runtime(logger)
        engine = runtime.deserialize_cuda_engine(args.engine.read_bytes())
        if engine is None:
            return _fail(f"{which} could not deserialize {args.engine} (it needs a GPU it runs engines on, and the "
                         f"library the engine was built with): " + (" | ".join(logger.errors) or "no message"), 1)
        try:
            shapes = io_plan(engine_io(engine), args.batch, args.num_heads, args.seq_len)
        except ValueError as exc:
            return _fail(str(exc), 2)
        try:
            import torch
        except ImportError:
            return _fail("running the engine needs torch with CUDA (pip install torch)", 2)
        if not torch.cuda.is_available():
            return _fail("no CUDA GPU visible to torch", 2)
        return _run(trt, engine, logger, shapes, args)
    finally:
        del engine, runtime  # they hold plugin objects: release them before the library goes
        registry.deregister_library(handle)


def _run(trt, engine, logger, shapes: Dict[str, Tuple[int, ...]], args: argparse.Namespace) -> int:
    import torch

    torch.manual_seed(args.seed)
    tensors = {name: torch.randn(shapes[name], dtype=torch.float16, device="cuda") for name in INPUTS}
    tensors.update({"Out": torch.empty(shapes["Out"], dtype=torch.float16, device="cuda"),
                    "L": torch.empty(shapes["L"], dtype=torch.float32, device="cuda"),
                    "M": torch.empty(shapes["M"], dtype=torch.float32, device="cuda")})
    context = engine.create_execution_context()
    for name in INPUTS:
        context.set_input_shape(name, shapes[name])
    for name in OUTPUTS:
        reported = tuple(context.get_tensor_shape(name))
        if reported != shapes[name]:
            return _fail(f"the engine gives {name} the shape {list(reported)}, expected {list(shapes[name])}", 1)
    for name, tensor in tensors.items():
        context.set_tensor_address(name, tensor.data_ptr())
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):
        if not context.execute_async_v3(stream.cuda_stream):
            return _fail("the engine failed to run: " + (" | ".join(logger.errors) or "no message"), 1)
        stream.synchronize()
        expected = reference(tensors["Q"], tensors["K"], tensors["V"], args.sm_scale)
        worst = {name: (tensors[name].float() - expected[name]).abs().max().item() for name in OUTPUTS}
        matched = all(torch.allclose(tensors[name].float(), expected[name], atol=TOLERANCE[name],
                                     rtol=TOLERANCE[name]) for name in OUTPUTS)
        times = []
        for _ in range(args.iterations):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record(stream)
            context.execute_async_v3(stream.cuda_stream)
            end.record(stream)
            end.synchronize()
            times.append(start.elapsed_time(end))
    times.sort()
    print(f"batch {args.batch}, heads {args.num_heads}, seq_len {args.seq_len}: max |error| "
          + ", ".join(f"{name} {worst[name]:.2e}" for name in OUTPUTS)
          + f"; {times[len(times) // 2] * 1e3:.1f} us per run (median of {len(times)})")
    if not matched:
        return _fail("the engine's outputs differ from the torch reference beyond "
                     + ", ".join(f"{name} {TOLERANCE[name]}" for name in OUTPUTS), 1)
    print("outputs match the torch reference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
