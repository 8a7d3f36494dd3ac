"""One model, three runtimes: a transformer block written in PyTorch that calls two plugins (the FMHA example's fused
attention and a layer norm) between torch layers, run eagerly and under ``torch.compile`` (GPU), exported with
``torch.onnx.export(dynamo=True)`` and built into a TensorRT engine (no GPU needed for those two)::

    plugingen --workspace ws/fmha --kernel_config examples/fmha/kernel_config.py
    plugingen --workspace ws/norm --kernel_config tests/kernels/layernorm_config.py
    python examples/torch_model.py --fmha ws/fmha --norm ws/norm --onnx block.onnx --engine block.engine

On a GPU the block first runs eagerly (plugins through their own ``enqueue``) and compiled (fullgraph), both checked
against a pure-torch reference of the same block. The export has dynamic batch and sequence dims; the engine is built
with ``tensorrt`` when importable, else TensorRT-RTX (``examples/onnx_engine.py``), with a profile over them. Exit
status: 0 done, 1 a check, the export or the build failed, 2 a usage error or no TensorRT.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import onnx_engine  # noqa: E402  (examples/onnx_engine.py: the engine build)

import plugingen.torch as pgt  # noqa: E402

HEADS, HEAD_DIM = 8, 64  # the FMHA kernel's head size is fixed at 64
HIDDEN = HEADS * HEAD_DIM


class Block(nn.Module):
    """Self-attention (the FMHA plugin) with a residual, then a layer norm (the layernorm plugin)."""

    def __init__(self) -> None:
        super().__init__()
        self.qkv = nn.Linear(HIDDEN, 3 * HIDDEN, dtype=torch.float16)
        self.proj = nn.Linear(HIDDEN, HIDDEN, dtype=torch.float16)
        self.norm_weight = nn.Parameter(torch.ones(HIDDEN))  # the plugin takes fp32 weights
        self.norm_bias = nn.Parameter(torch.zeros(HIDDEN))

    def heads(self, x: torch.Tensor):
        batch, seq, _ = x.shape
        return self.qkv(x).view(batch, seq, 3, HEADS, HEAD_DIM).permute(2, 0, 3, 1, 4).contiguous().unbind(0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: fp16 [batch, seq, HIDDEN]
        batch, seq, _ = x.shape
        q, k, v = self.heads(x)
        attention, _, _ = torch.ops.plugingen.fused_attention_kernel(q, k, v, sm_scale=HEAD_DIM ** -0.5,
                                                                      num_heads=HEADS)
        y = x + self.proj(attention.transpose(1, 2).reshape(batch, seq, HIDDEN))
        return torch.ops.plugingen.layernorm_kernel(y, self.norm_weight, self.norm_bias, eps=1e-5,
                                                    rows_per_program=1)

    def reference(self, x: torch.Tensor) -> torch.Tensor:
        """The same block in plain torch."""
        batch, seq, _ = x.shape
        q, k, v = self.heads(x)
        attention = nn.functional.scaled_dot_product_attention(q.float(), k.float(), v.float()).half()
        y = x + self.proj(attention.transpose(1, 2).reshape(batch, seq, HIDDEN))
        return nn.functional.layer_norm(y.float(), (HIDDEN,), self.norm_weight, self.norm_bias, 1e-5).half()


def translation_table(*libraries: pgt.Library) -> dict:
    table = {}
    for library in libraries:
        table.update(pgt.onnx_translation_table(library))
    return table


def export(block: Block, libraries: Sequence[pgt.Library], batch: int = 2, seq: int = 128):
    """The block as an ONNX model (onnx.ModelProto) with dynamic batch and sequence dims; the plugins become the
    nodes TensorRT's ONNX parser maps to them."""
    example = torch.randn(batch, seq, HIDDEN, dtype=torch.float16, device=block.qkv.weight.device)
    dims = {0: torch.export.Dim("batch", max=64), 1: torch.export.Dim("seq", max=4096)}
    program = torch.onnx.export(block, (example,), dynamo=True, dynamic_shapes={"x": dims},
                                custom_translation_table=translation_table(*libraries))
    return program.model_proto


def build_engine(model, libraries: Sequence[pgt.Library], trt) -> tuple:
    """(serialized engine or b'', errors): batch 1..8 (opt 2), sequence 1..1024 (opt 128)."""
    profile = {"x": ([1, 1, HIDDEN], [2, 128, HIDDEN], [8, 1024, HIDDEN])}
    return onnx_engine.build_engine(trt, [lib.output / "libtriton_plugins.so" for lib in libraries],
                                    model.SerializeToString(), profile)


def check_on_gpu(block: Block) -> None:
    """Eager and compiled (fullgraph) runs against the pure-torch reference."""
    x = torch.randn(2, 200, HIDDEN, dtype=torch.float16, device="cuda")
    with torch.no_grad():
        expected = block.reference(x)
        eager = block(x)
        compiled = torch.compile(block, fullgraph=True, dynamic=True)(x)
    torch.testing.assert_close(eager, expected, atol=2e-2, rtol=2e-2)
    torch.testing.assert_close(compiled, eager, atol=0, rtol=0)
    print("eager and torch.compile match the torch reference")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fmha", type=Path, required=True, help="the workspace of the FMHA example's build")
    parser.add_argument("--norm", type=Path, required=True, help="the workspace of layernorm_config.py's build")
    parser.add_argument("--onnx", type=Path, default=Path("block.onnx"), help="the ONNX model to write")
    parser.add_argument("--engine", type=Path, default=Path("block.engine"), help="the engine to write")
    args = parser.parse_args(argv)
    try:
        libraries = [pgt.load(args.fmha / "output"), pgt.load(args.norm / "output")]
    except FileNotFoundError as exc:
        print(f"error: {exc}; run plugingen first (see --help)", file=sys.stderr)
        return 2
    torch.manual_seed(0)
    block = Block().eval()
    if torch.cuda.is_available():
        block = block.cuda()
        check_on_gpu(block)
    model = export(block, libraries)
    args.onnx.write_bytes(model.SerializeToString())
    plugins = [n.op_type for n in model.graph.node if n.domain]
    print(f"wrote {args.onnx}: plugin nodes {', '.join(plugins)}")
    try:
        trt, which = onnx_engine._tensorrt()
    except ImportError as exc:
        print(f"error: neither TensorRT nor TensorRT-RTX is importable ({exc})", file=sys.stderr)
        return 2
    engine, errors = build_engine(model, libraries, trt)
    if not engine:
        print(f"error: {which} built no engine: " + (" | ".join(errors) or "no message"), file=sys.stderr)
        return 1
    args.engine.write_bytes(engine)
    print(f"wrote {args.engine} ({len(engine)} bytes) with {which}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
