"""Build a TensorRT engine that runs the generated fused-attention plugin.

Run plugingen on ``kernel_config.py`` first, then::

    python build_engine.py --workspace ./ws --output fmha.engine

The network has three inputs ``Q``, ``K``, ``V`` (fp16 ``[batch, num_heads, seq_len, 64]``, batch and seq_len
dynamic) and three outputs ``Out`` (fp16, Q's shape), ``L`` and ``M`` (fp32 ``[batch, num_heads, seq_len]``).
Exit status: 0 on success, 1 if the build fails or the workspace has no ``functional.py``, 2 if TensorRT is
not installed.
"""
from __future__ import annotations

import argparse
import importlib
import math
import sys
from pathlib import Path
from typing import List, Optional, Sequence

HEAD_SIZE = 64  # fixed by the kernel config (Constexpr BLOCK_DMODEL)


def _parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", default="./ws", help="the plugingen --workspace (default: ./ws)")
    parser.add_argument("--output", default="fmha.engine", help="where to write the engine (default: fmha.engine)")
    parser.add_argument("--num-heads", type=int, default=8, help="heads; a plugin attribute (default: 8)")
    parser.add_argument("--sm-scale", type=float, default=1.0 / math.sqrt(HEAD_SIZE),
                        help="softmax scale; a plugin attribute (default: 1/sqrt(64))")
    parser.add_argument("--batch", type=int, default=4, help="optimal batch size of the profile (default: 4)")
    parser.add_argument("--max-batch", type=int, default=16, help="largest batch size (default: 16)")
    parser.add_argument("--seq-len", type=int, default=256, help="optimal sequence length (default: 256)")
    parser.add_argument("--max-seq-len", type=int, default=4096, help="largest sequence length (default: 4096)")
    return parser.parse_args(argv)


def _functional_dir(workspace: Path) -> Optional[Path]:
    """The folder holding the generated ``functional.py``: ``<workspace>/output`` (or the workspace itself)."""
    for folder in (workspace / "output", workspace):
        if (folder / "functional.py").is_file():
            return folder
    return None


def _as_tensors(result: object) -> List[object]:
    """The plugin's output tensors, whether the wrapper returned a layer, a tensor list, or one tensor."""
    if hasattr(result, "get_output") and hasattr(result, "num_outputs"):
        return [result.get_output(i) for i in range(result.num_outputs)]
    if isinstance(result, (list, tuple)):
        return list(result)
    return [result]


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parse_args(argv)
    try:
        import tensorrt as trt
    except ImportError as exc:
        print(f"error: cannot import tensorrt ({exc}); this example needs TensorRT 10 or newer "
              "(e.g. `pip install tensorrt`)", file=sys.stderr)
        return 2

    folder = _functional_dir(Path(args.workspace))
    if folder is None:
        print(f"error: no functional.py in {args.workspace}/output or {args.workspace}; run plugingen first:\n"
              f"  plugingen --workspace {args.workspace} --kernel_config kernel_config.py", file=sys.stderr)
        return 1
    sys.path.insert(0, str(folder.resolve()))
    functional = importlib.import_module("functional")  # loads libtriton_plugins.so and registers the plugins
    if not hasattr(functional, "fused_attention_kernel"):
        print(f"error: {folder / 'functional.py'} was built from another config (it has "
              f"{', '.join(getattr(functional, 'PLUGINS', {})) or 'no plugins'}); build this example's first:\n"
              f"  plugingen --workspace {args.workspace} --kernel_config kernel_config.py", file=sys.stderr)
        return 1

    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    flags = 0
    if hasattr(trt.NetworkDefinitionCreationFlag, "STRONGLY_TYPED"):
        flags |= 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED)
    network = builder.create_network(flags)

    heads = args.num_heads
    dynamic = (-1, heads, -1, HEAD_SIZE)
    q = network.add_input("Q", trt.float16, dynamic)
    k = network.add_input("K", trt.float16, dynamic)
    v = network.add_input("V", trt.float16, dynamic)

    outputs = _as_tensors(functional.fused_attention_kernel(args.sm_scale, heads, q, k, v, network=network))
    if len(outputs) != 3:
        print(f"error: expected 3 plugin outputs (Out, L, M), got {len(outputs)}", file=sys.stderr)
        return 1
    for tensor, name in zip(outputs, ("Out", "L", "M")):
        tensor.name = name
        network.mark_output(tensor)

    profile = builder.create_optimization_profile()
    for name in ("Q", "K", "V"):
        profile.set_shape(name,
                          min=(1, heads, 1, HEAD_SIZE),
                          opt=(args.batch, heads, args.seq_len, HEAD_SIZE),
                          max=(args.max_batch, heads, args.max_seq_len, HEAD_SIZE))
    config = builder.create_builder_config()
    config.add_optimization_profile(profile)

    engine = builder.build_serialized_network(network, config)
    if engine is None:
        print("error: TensorRT failed to build the engine (see the messages above)", file=sys.stderr)
        return 1
    with open(args.output, "wb") as f:
        f.write(engine)
    print(f"wrote {args.output} ({engine.nbytes} bytes); load libtriton_plugins.so (e.g. import functional) "
          "before deserializing it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
