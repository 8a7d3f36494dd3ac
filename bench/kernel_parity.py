"""Kernel parity (GPU): device time of each shipped kernel launched through its plugin's ``enqueue`` vs the same
kernel launched by Triton's JIT, and vs a torch reference.

For every (kernel, shape):

1. The plugin (prebuilt library from ``$PLUGINGEN_PREBUILT`` or ``.prebuilt/``, else built here for sm_90) is
   created once through ``plugingen.host.PluginHost`` (kRUNTIME phase) and enqueued many times.
2. Triton JIT runs the same kernel file with the same ``num_warps``, ``num_stages`` and constexprs, twice:
   *matched* -- a ``triton.jit`` copy of the kernel whose specialisation is exactly the plugin variant's (scalar
   parameters annotated with the config's types, ``do_not_specialize`` / ``do_not_specialize_on_alignment`` for what
   the variant does not hint), so both launch the same machine code (checked: the JIT's cubin must occur verbatim in
   the plugin library); and *default* -- the kernel as a user calls it (Triton specialises every argument itself;
   with automatic specialisation its cubin, too, is one the plugin holds). An autotuned kernel runs one tactic in
   both (the case's; the JIT gets that config's meta-parameters and options and the heuristics' values, as its
   decorators would give them). Published kernels (tutorial matmul, softmax, layer norm) come from
   ``$PLUGINGEN_PUBLISHED`` and are built here with no GPU visible; without it they are skipped.
3. Outputs are poisoned (NaN / sentinel), every variant runs once, and plugin and JIT outputs must be bitwise equal
   and fully written; the plugin's output is compared with a float64 (or exact) reference.
4. Each variant's N launches (N sized so one replay takes ~2 ms) are captured into a CUDA graph (relaxed capture
   mode, on the capturing stream; input/output sets rotate when they fit in L2 several times over); replays of all
   graphs alternate round by round, timed with CUDA events, and the per-launch device time is replay time / N.
   The plugin is captured twice (an A/A pair: the spread between identical graphs is the noise floor).
5. After timing, outputs are poisoned again and one replay of the plugin and matched-JIT graphs must reproduce the
   bitwise-equal, fully written outputs (the captured launches really ran).

Ratios: plugin ÷ JIT-matched (target ≤ 1.02), plugin ÷ JIT-default, plugin ÷ torch. Achieved bandwidth is
the minimum bytes (each input read once, each output written once) over the time, against a measured
device-to-device copy; FMHA's rate is against a measured fp16 matmul.
"""
from __future__ import annotations

import dataclasses
import math
import os
import re
import sys
import time
import types
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from common import ROOT, BenchError, Deadline, fmt, log, median, ratio, summary, table

TARGET_PLUGIN_VS_JIT = 1.02
GRAPH_TARGET_US = 2000.0  # one replay of a graph lasts about this long
MIN_LAUNCHES, MAX_LAUNCHES = 8, 400
ROUNDS = 25
WARMUP_REPLAYS = 3
MAX_SETS = 8  # input/output sets rotated through when a set is much smaller than L2
SET_BYTES_BUDGET = 1 << 30


# ---------------------------------------------------------------------------------------------- the cases

@dataclasses.dataclass
class Case:
    name: str
    config: str  # relative to the repository root
    kernel: str
    fields: Dict[str, Any]
    shapes: List[Tuple[str, Dict[str, int]]]
    inputs: Callable[[Dict[str, int]], List[Tuple[str, Tuple[int, ...], str]]]  # (dtype, shape, init) per input
    torch_label: str
    torch_op: Callable  # (torch, ins, fields) -> zero-argument callable
    reference: Callable  # (torch, ins, fields, dims) -> [(output index, reference, tolerance, slice or None)]
    version: Optional[str] = None
    flops: Optional[Callable[[Dict[str, int]], float]] = None
    tactic: int = 0  # the tactic (index; TensorRT's value is index + 1) both the plugin and the JIT run
    published: Optional[str] = None  # the kernel file, taken from $PLUGINGEN_PUBLISHED (tests/published/README.md)
    plugin_name: Optional[str] = None  # where one kernel is several plugins (KernelMetaData's plugin_name)

    @property
    def plugin(self) -> str:
        return self.plugin_name or f"{self.kernel}Plugin"


def _n_shapes(large: int = 1 << 26) -> List[Tuple[str, Dict[str, int]]]:
    return [("small", {"n": 4096}), ("medium", {"n": 1 << 20}), ("large", {"n": large})]


def _rel(torch, out, ref) -> float:
    out64, ref64 = out.double(), ref.double()
    denom = torch.linalg.vector_norm(ref64).item()
    err = torch.linalg.vector_norm(out64 - ref64).item()
    return err / denom if denom else err


def _ref_fmha(torch, ins, fields, dims):
    q, k, v = ins
    heads = min(2, q.shape[0] * q.shape[1])  # float64 scores of 2 (batch, head) pairs at most
    qf, kf, vf = (t.reshape(-1, t.shape[2], t.shape[3])[:heads].double() for t in (q, k, v))
    s = fields["sm_scale"] * (qf @ kf.transpose(-1, -2))
    m = s.amax(-1)
    p = torch.exp(s - m[..., None])
    l_ = p.sum(-1)
    out = (p / l_[..., None]) @ vf
    return [(0, out, 1e-2, ("heads", heads)), (1, l_, 1e-3, ("heads", heads)), (2, m, 1e-3, ("heads", heads))]


def _ref_causal_attention(torch, ins, fields, dims):
    """The tutorial attention's outputs: M (log-sum-exp in base 2, output 0) and o (output 1), causal."""
    q, k, v = ins
    heads = min(2, q.shape[0] * q.shape[1])
    qf, kf, vf = (t.reshape(-1, t.shape[2], t.shape[3])[:heads].double() for t in (q, k, v))
    s = fields["sm_scale"] * (qf @ kf.transpose(-1, -2))
    n = s.shape[-1]
    s = s.masked_fill(~torch.ones(n, n, dtype=torch.bool, device=s.device).tril(), float("-inf"))
    return [(1, torch.softmax(s, -1) @ vf, 1e-2, ("heads", heads)),
            (0, torch.logsumexp(s, -1) * 1.4426950408889634, 1e-3, ("heads", heads))]


def _layer_norm_op(torch, ins, fields):
    import torch.nn.functional as F

    x, w, b = ins
    h = x.shape[-1]
    try:
        F.layer_norm(x[:1], (h,), w, b, fields["eps"])  # mixed fp16 input / fp32 affine, if torch takes it
        return lambda: F.layer_norm(x, (h,), w, b, fields["eps"])
    except RuntimeError:
        wh, bh = w.half(), b.half()
        return lambda: F.layer_norm(x, (h,), wh, bh, fields["eps"])


#: configs whose kernels are autotuned or use heuristics: compared with Triton's own autotuner by bench/autotune.py
TUNED_CONFIGS = ("tests/kernels/tuned_matmul_config.py", "tests/kernels/tuned_accumulate_config.py",
                 "tests/kernels/heuristic_rows_config.py")
#: configs the parity bench leaves out, and why
UNTIMED_CONFIGS = {
    "tests/kernels/tensor_descriptors_portable_config.py": "the portable PTX (descriptors decomposed), where the JIT "
                                                           "compiles for the GPU's own SM: different code; numerics "
                                                           "in tests/gpu/test_tensor_descriptors_gpu.py",
    "tests/kernels/inplace_ops_config.py": "in-place: each launch changes its input, so repeated launches differ",
    "tests/kernels/fp8_cast_config.py": "fp8 conversions; numerics in tests/gpu/test_signatures_gpu.py",
}

# row widths a wrapper picks a block size for (the launch-choices issue): one block per row, 1 .. the domain's top
_ROW_WIDTHS = [(f"1823x{c}", {"rows": 1823, "cols": c}) for c in (1, 17, 781, 1000, 4096, 8192, 16384)]

# rows for the fused RMS norm test kernel (one tile per row: at most 1024 columns)
_NORM_ROWS = [("64x1024", {"rows": 64, "cols": 1024}), ("4096x1000", {"rows": 4096, "cols": 1000}),
              ("16384x777", {"rows": 16384, "cols": 777})]


def _rms(torch, h, eps):
    return h * torch.rsqrt(h.square().mean(-1, keepdim=True) + eps)


# the odd matmul shapes (only N % 16; nothing % 16; all 1; a skinny one) and an aligned one
_MATMUL_SHAPES = [("512^3", {"M": 512, "N": 512, "K": 512}), ("1000x1024x1000", {"M": 1000, "N": 1024, "K": 1000}),
                  ("777x513x1031", {"M": 777, "N": 513, "K": 1031}), ("1x1x1", {"M": 1, "N": 1, "K": 1}),
                  ("31x4096x7", {"M": 31, "N": 4096, "K": 7})]


def _matmul_inputs(d):
    return [("fp16", (d["M"], d["K"]), "randn"), ("fp16", (d["K"], d["N"]), "randn")]


def _matmul_op(torch, ins, f):
    return lambda: torch.nn.functional.leaky_relu(ins[0] @ ins[1], 0.01)


def _ref_matmul(torch, ins, f, d):
    return [(0, torch.nn.functional.leaky_relu(ins[0].double() @ ins[1].double(), 0.01), 1e-2, None)]


def _matmul_flops(d):
    return 2.0 * d["M"] * d["N"] * d["K"]


CASES: List[Case] = [
    Case("vector_add", "examples/vector_add/kernel_config.py", "vector_add_kernel", {},
         _n_shapes() + [("medium, n % 16 = 3", {"n": (1 << 20) + 3})],
         lambda d: [("fp16", (d["n"],), "randn"), ("fp16", (d["n"],), "randn")],
         "x + y", lambda torch, ins, f: (lambda: torch.add(ins[0], ins[1])),
         lambda torch, ins, f, d: [(0, ins[0].double() + ins[1].double(), 1e-3, None)]),
    Case("scale_shift", "tests/kernels/scale_shift_config.py", "scale_shift_kernel", {"alpha": 2.5, "beta": -0.75},
         _n_shapes(), lambda d: [("fp32", (d["n"],), "randn")],
         "x * alpha + beta (2 kernels)", lambda torch, ins, f: (lambda: ins[0] * f["alpha"] + f["beta"]),
         lambda torch, ins, f, d: [(0, ins[0].double() * f["alpha"] + f["beta"], 1e-6, None)]),
    Case("add (two_kernels)", "tests/kernels/two_kernels_config.py", "add_kernel", {}, _n_shapes(),
         lambda d: [("fp32", (d["n"],), "randn"), ("fp32", (d["n"],), "randn")],
         "x + y", lambda torch, ins, f: (lambda: torch.add(ins[0], ins[1])),
         lambda torch, ins, f, d: [(0, ins[0].double() + ins[1].double(), 1e-6, None)], version="1"),
    Case("mul (two_kernels)", "tests/kernels/two_kernels_config.py", "mul_kernel", {}, _n_shapes(),
         lambda d: [("fp32", (d["n"],), "randn"), ("fp32", (d["n"],), "randn")],
         "x * y", lambda torch, ins, f: (lambda: torch.mul(ins[0], ins[1])),
         lambda torch, ins, f, d: [(0, ins[0].double() * ins[1].double(), 1e-6, None)], version="2"),
    Case("fill_index", "tests/kernels/fill_index_config.py", "fill_index_kernel", {"offset": 2**33 + 5},
         _n_shapes(1 << 25), lambda d: [("i32", (d["n"],), "randint")],
         "x.long() + arange(n) + offset (3 kernels)",
         lambda torch, ins, f: (lambda: ins[0].long() + torch.arange(ins[0].shape[0], device=ins[0].device) + f["offset"]),
         lambda torch, ins, f, d: [(0, ins[0].long() + torch.arange(d["n"], device=ins[0].device) + f["offset"], 0.0,
                                    None)]),
    Case("strided_gather", "tests/kernels/strided_gather_config.py", "strided_gather_kernel", {"stride": 1},
         _n_shapes() + [("medium, stride 3", {"n": 1 << 20, "stride": 3})],
         lambda d: [("fp32", (d["n"],), "randn")],
         "x[(arange(n) * stride) % n] (3+ kernels)",
         lambda torch, ins, f: (lambda: ins[0][(torch.arange(ins[0].shape[0], device=ins[0].device) * f["stride"])
                                              % ins[0].shape[0]]),
         lambda torch, ins, f, d: [(0, ins[0][(torch.arange(d["n"], device=ins[0].device) * f["stride"]) % d["n"]],
                                    0.0, None)]),
    Case("aligned_copy", "tests/kernels/aligned_only_config.py", "aligned_copy_kernel", {}, _n_shapes(),
         lambda d: [("fp32", (d["n"],), "randn")],
         "out.copy_(x)", lambda torch, ins, f: _copy_op(torch, ins[0]),
         lambda torch, ins, f, d: [(0, ins[0], 0.0, None)]),
    Case("row_softmax", "tests/kernels/row_softmax_config.py", "row_softmax_kernel", {},
         [("small", {"rows": 64, "cols": 1024}), ("medium", {"rows": 4096, "cols": 4096}),
          ("large", {"rows": 8192, "cols": 8192})],
         lambda d: [("fp16", (d["rows"], d["cols"]), "randn4")],
         "torch.softmax(x, -1) (no rowmax)", lambda torch, ins, f: (lambda: torch.softmax(ins[0], -1)),
         lambda torch, ins, f, d: [(0, torch.softmax(ins[0].double(), -1), 2e-3, None),
                                   (1, ins[0].double().amax(-1), 0.0, None)]),
    Case("gelu_bf16", "tests/kernels/gelu_bf16_config.py", "gelu_bf16_kernel", {},
         [("small", {"rows": 64, "cols": 1024}), ("medium", {"rows": 4096, "cols": 4096}),
          ("large", {"rows": 8192, "cols": 8192})],
         lambda d: [("bf16", (d["rows"], d["cols"]), "randn")],
         "F.gelu(x, approximate='tanh')",
         lambda torch, ins, f: (lambda: torch.nn.functional.gelu(ins[0], approximate="tanh")),
         lambda torch, ins, f, d: [(0, torch.nn.functional.gelu(ins[0].double(), approximate="tanh"), 1e-2, None)]),
    Case("layernorm", "tests/kernels/layernorm_config.py", "layernorm_kernel", {"eps": 1e-5, "rows_per_program": 4},
         [("small", {"b": 1, "s": 64, "h": 1024}), ("medium", {"b": 4, "s": 1024, "h": 4096}),
          ("large", {"b": 8, "s": 4096, "h": 4096})],
         lambda d: [("fp16", (d["b"], d["s"], d["h"]), "randn"), ("fp32", (d["h"],), "randn"),
                    ("fp32", (d["h"],), "randn")],
         "F.layer_norm(x, (h,), w, b)", _layer_norm_op,
         lambda torch, ins, f, d: [(0, torch.nn.functional.layer_norm(ins[0].double(), (d["h"],), ins[1].double(),
                                                                      ins[2].double(), f["eps"]), 2e-3, None)]),
    Case("tma_scale", "tests/kernels/tma_scale_config.py", "tma_scale_kernel", {"alpha": 2.5},
         [("small", {"M": 64, "N": 1024}), ("medium", {"M": 2048, "N": 2048}), ("large", {"M": 8192, "N": 8192})],
         lambda d: [("fp32", (d["M"], d["N"]), "randn")],
         "x * alpha", lambda torch, ins, f: (lambda: ins[0] * f["alpha"]),
         lambda torch, ins, f, d: [(0, ins[0].double() * f["alpha"], 1e-6, None)]),
    Case("row_rms bf16 (signatures)", "tests/kernels/typed_ops_config.py", "row_rms_kernel", {"eps": 1e-5},
         [("small", {"rows": 64, "cols": 1024}), ("medium", {"rows": 4096, "cols": 4096}),
          ("odd", {"rows": 3173, "cols": 777})],
         lambda d: [("bf16", (d["rows"], d["cols"]), "randn")],
         "x * rsqrt(mean(x**2) + eps)",
         lambda torch, ins, f: (lambda: ins[0] * torch.rsqrt(ins[0].float().pow(2).mean(-1, keepdim=True) + f["eps"])),
         lambda torch, ins, f, d: [(0, ins[0].double() / torch.sqrt(ins[0].double().pow(2).mean(-1, keepdim=True)
                                                                    + f["eps"]), 1e-2, None)]),
    Case("axpby fp32 (signatures)", "tests/kernels/typed_ops_config.py", "axpby_kernel", {"alpha": 2.0, "beta": -0.5},
         _n_shapes() + [("medium, n % 16 = 3", {"n": (1 << 20) + 3})],
         lambda d: [("fp32", (d["n"],), "randn"), ("fp32", (d["n"],), "randn")],
         "alpha * x + beta * y", lambda torch, ins, f: (lambda: f["alpha"] * ins[0] + f["beta"] * ins[1]),
         lambda torch, ins, f, d: [(0, f["alpha"] * ins[0].double() + f["beta"] * ins[1].double(), 1e-6, None)]),
    Case("fmha", "examples/fmha/kernel_config.py", "fused_attention_kernel", {"sm_scale": 0.125, "num_heads": None},
         [("small", {"b": 1, "h": 4, "s": 128}), ("medium", {"b": 4, "h": 16, "s": 1024}),
          ("large", {"b": 4, "h": 16, "s": 4096})],
         lambda d: [("fp16", (d["b"], d["h"], d["s"], 64), "randn")] * 3,
         "F.scaled_dot_product_attention (flash; no L, M)",
         lambda torch, ins, f: (lambda: torch.nn.functional.scaled_dot_product_attention(
             ins[0], ins[1], ins[2], scale=f["sm_scale"])),
         _ref_fmha, flops=lambda d: 4.0 * d["b"] * d["h"] * d["s"] * d["s"] * 64),
    Case("cluster_scale (num_ctas=2)", "tests/kernels/launch_options_config.py", "cluster_scale_kernel", {},
         _n_shapes() + [("medium, n % 16 = 3", {"n": (1 << 20) + 3})], lambda d: [("fp32", (d["n"],), "randn")],
         "x * 2", lambda torch, ins, f: (lambda: ins[0] * 2),
         lambda torch, ins, f, d: [(0, ins[0].double() * 2, 0.0, None)]),
    Case("pdl_increment (launch_pdl)", "tests/kernels/launch_pdl_config.py", "pdl_increment_kernel", {},
         _n_shapes(), lambda d: [("fp32", (d["n"],), "randn")],
         "x + 1", lambda torch, ins, f: (lambda: ins[0] + 1),
         lambda torch, ins, f, d: [(0, ins[0].double() + 1, 1e-6, None)]),
    Case("desc_scale (host TMA descriptors)", "tests/kernels/tensor_descriptors_config.py", "desc_scale_kernel",
         {"alpha": 1.5}, [("1x64x1024", {"b": 1, "r": 64, "c": 1024}), ("4x512x2048", {"b": 4, "r": 512, "c": 2048}),
                          ("3x37x1000", {"b": 3, "r": 37, "c": 1000}), ("8x1024x4096", {"b": 8, "r": 1024, "c": 4096})],
         lambda d: [("fp16", (d["b"], d["r"], d["c"]), "randn")],
         "x * alpha", lambda torch, ins, f: (lambda: ins[0] * f["alpha"]),
         lambda torch, ins, f, d: [(0, ins[0].double() * f["alpha"], 1e-3, None)]),
    Case("persistent_scale (num_sms grid)", "tests/kernels/persistent_config.py", "persistent_scale_kernel", {},
         _n_shapes() + [("medium, n % 16 = 3", {"n": (1 << 20) + 3})], lambda d: [("fp32", (d["n"],), "randn")],
         "x * 3", lambda torch, ins, f: (lambda: ins[0] * 3),
         lambda torch, ins, f, d: [(0, ins[0].double() * 3, 1e-6, None)]),
    Case("tuned_matmul", "tests/kernels/tuned_matmul_config.py", "_matmul_kernel", {}, _MATMUL_SHAPES,
         _matmul_inputs, "leaky_relu(a @ b)", _matmul_op, _ref_matmul, flops=_matmul_flops),
    Case("tutorial matmul", "tests/published/matmul_config.py", "matmul_kernel", {}, _MATMUL_SHAPES,
         _matmul_inputs, "leaky_relu(a @ b)", _matmul_op, _ref_matmul, flops=_matmul_flops, published="matmul.py"),
    Case("liger-style rows (config heuristics)", "tests/kernels/liger_rows_config.py", "rms_norm_rows_kernel",
         {"eps": 1e-6}, _ROW_WIDTHS, lambda d: [("fp16", (d["rows"], d["cols"]), "randn"),
                                                ("fp16", (d["cols"],), "randn")],
         "x * rsqrt(mean(x^2) + eps) * w",
         lambda torch, ins, f: (lambda: torch.nn.functional.rms_norm(ins[0], (ins[0].shape[1],), ins[1], f["eps"])),
         lambda torch, ins, f, d: [(0, (ins[0].double() * torch.rsqrt(ins[0].double().square().mean(-1, True)
                                                                      + f["eps"]) * ins[1].double()), 1e-2, None)]),
    Case("rms_norm (optional inputs absent)", "tests/kernels/fused_rms_norm_config.py", "_rms_norm_fwd_kernel",
         {"eps": 1e-6}, _NORM_ROWS, lambda d: [("fp16", (d["rows"], d["cols"]), "randn"),
                                               ("fp16", (d["cols"],), "randn")],
         "F.rms_norm(x, (n,), w)",
         lambda torch, ins, f: (lambda: torch.nn.functional.rms_norm(ins[0], (ins[0].shape[1],), ins[1], f["eps"])),
         lambda torch, ins, f, d: [(0, _rms(torch, ins[0].double(), f["eps"]) * ins[1].double(), 1e-2, None)],
         plugin_name="rms_norm"),
    Case("add_rms_norm (optional inputs present)", "tests/kernels/fused_rms_norm_config.py", "_rms_norm_fwd_kernel",
         {"eps": 1e-6}, _NORM_ROWS, lambda d: [("fp16", (d["rows"], d["cols"]), "randn"),
                                               ("fp16", (d["cols"],), "randn"), ("fp16", (d["cols"],), "randn"),
                                               ("fp16", (d["rows"], d["cols"]), "randn")],
         "h = x + res; F.rms_norm(h, (n,), w) + b",
         lambda torch, ins, f: (lambda: torch.nn.functional.rms_norm(ins[0] + ins[3], (ins[0].shape[1],), ins[1],
                                                                     f["eps"]) + ins[2]),
         lambda torch, ins, f, d: [(0, _rms(torch, ins[0].double() + ins[3].double(), f["eps"]) * ins[1].double()
                                    + ins[2].double(), 1e-2, None),
                                   (1, ins[0].double() + ins[3].double(), 1e-3, None)],
         plugin_name="add_rms_norm"),
    *(Case(f"swiglu_{n} (one kernel, two plugins)", "tests/kernels/swiglu_config.py", "_swiglu_forward_kernel", {},
           [(f"{r}x{n}", {"rows": r, "cols": n}) for r in (64, 4096, 16384)],
           lambda d: [("fp16", (d["rows"], d["cols"]), "randn")] * 2,
           "F.silu(a) * b", lambda torch, ins, f: (lambda: torch.nn.functional.silu(ins[0]) * ins[1]),
           lambda torch, ins, f, d: [(0, torch.nn.functional.silu(ins[0].double()) * ins[1].double(), 1e-2, None)],
           plugin_name=f"swiglu_{n}") for n in (1000, 4096)),
    Case("act_func (kernel package, 2 ** 10 heuristic)", "tests/kernels/act_pkg_config.py", "act_func_forward_kernel",
         {}, [("4096x64", {"b": 4096, "f": 64}), ("1000003x37", {"b": 1000003, "f": 37})],
         lambda d: [("fp32", (d["b"], d["f"]), "randn")],
         "F.leaky_relu(x, 0.01)", lambda torch, ins, f: (lambda: torch.nn.functional.leaky_relu(ins[0], 0.01)),
         lambda torch, ins, f, d: [(0, torch.nn.functional.leaky_relu(ins[0].double(), 0.01), 1e-6, None)]),
    Case("tutorial softmax", "tests/published/softmax_config.py", "softmax_kernel", {},
         [("3173x64", {"rows": 3173, "cols": 64}), ("4096x999", {"rows": 4096, "cols": 999})] + _ROW_WIDTHS,
         lambda d: [("fp32", (d["rows"], d["cols"]), "randn")],
         "torch.softmax(x, -1)", lambda torch, ins, f: (lambda: torch.softmax(ins[0], -1)),
         lambda torch, ins, f, d: [(0, torch.softmax(ins[0].double(), -1), 1e-5, None)], published="softmax.py"),
    Case("tutorial layer norm", "tests/published/layernorm_config.py", "_layer_norm_fwd_fused", {"eps": 1e-5},
         [("3x1", {"rows": 3, "cols": 1}), ("65x5000", {"rows": 65, "cols": 5000}),
          ("7x1023", {"rows": 7, "cols": 1023})] + _ROW_WIDTHS,
         lambda d: [("fp16", (d["rows"], d["cols"]), "randn"), ("fp16", (d["cols"],), "randn"),
                    ("fp16", (d["cols"],), "randn")],
         "F.layer_norm(x, (n,), w, b)",
         lambda torch, ins, f: (lambda: torch.nn.functional.layer_norm(ins[0], (ins[0].shape[1],), ins[1], ins[2],
                                                                       f["eps"])),
         lambda torch, ins, f, d: [(0, torch.nn.functional.layer_norm(ins[0].double(), (d["cols"],), ins[1].double(),
                                                                      ins[2].double(), f["eps"]), 1e-2, None)],
         published="layernorm.py"),
    Case("tutorial persistent TMA matmul (warp-specialised)", "tests/published/persistent_matmul_config.py",
         "matmul_kernel_tma_persistent", {},
         [("512^3", {"M": 512, "N": 512, "K": 512}), ("777x1032x520", {"M": 777, "N": 1032, "K": 520}),
          ("4096^3", {"M": 4096, "N": 4096, "K": 4096}), ("8192^3", {"M": 8192, "N": 8192, "K": 8192})],
         lambda d: [("fp16", (d["M"], d["K"]), "randn"), ("fp16", (d["N"], d["K"]), "randn")],
         "a @ b.T", lambda torch, ins, f: (lambda: ins[0] @ ins[1].T),
         lambda torch, ins, f, d: [(0, ins[0].double() @ ins[1].double().T, 1e-2, None)],
         flops=lambda d: 2.0 * d["M"] * d["N"] * d["K"], published="persistent_matmul.py"),
    Case("tutorial TMA fused attention (causal)", "tests/published/fused_attention_config.py", "_attn_fwd",
         {"sm_scale": 0.125},
         [("1x4x128", {"z": 1, "h": 4, "n": 128}), ("4x16x1024", {"z": 4, "h": 16, "n": 1024}),
          ("4x16x4096", {"z": 4, "h": 16, "n": 4096})],
         lambda d: [("fp16", (d["z"], d["h"], d["n"], 64), "randn")] * 3,
         "F.scaled_dot_product_attention(is_causal=True) (no M)",
         lambda torch, ins, f: (lambda: torch.nn.functional.scaled_dot_product_attention(
             ins[0], ins[1], ins[2], is_causal=True, scale=f["sm_scale"])),
         _ref_causal_attention, flops=lambda d: 2.0 * d["z"] * d["h"] * d["n"] * d["n"] * 64,
         published="fused_attention.py"),
]


def _copy_op(torch, x):
    out = torch.empty_like(x)
    return lambda: out.copy_(x)


def case_fields(case: Case, dims: Dict[str, int]) -> Dict[str, Any]:
    """The plugin fields of one shape: a shape may override a field (strided_gather's stride), FMHA's num_heads
    follows the shape."""
    fields = {name: dims.get(name, value) for name, value in case.fields.items()}
    if "num_heads" in fields and fields["num_heads"] is None:
        fields["num_heads"] = dims["h"]
    return fields


# ---------------------------------------------------------------------------------------------- config logic
# (pure functions: no GPU, no torch; tested by bench/test_bench.py)

def config_path(case: Case, scratch: Path) -> Optional[Path]:
    """Where ``case``'s config is: in the repository, or for a published kernel a copy in ``scratch`` beside the
    kernel file from ``$PLUGINGEN_PUBLISHED`` (None when that is not set)."""
    if not case.published:
        return ROOT / case.config
    published = os.environ.get("PLUGINGEN_PUBLISHED")
    if not published:
        return None
    import shutil

    folder = scratch / f"published-{Path(case.config).stem}"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / case.config, folder / Path(case.config).name)
    shutil.copy(Path(published) / case.published, folder / case.published)
    return folder / Path(case.config).name


def load_spec(case: Case, path: Optional[Path] = None):
    from plugingen import config

    spec = config.load_config(path or ROOT / case.config)
    matches = [k for k in spec.kernels if k.kernel_name == case.kernel and k.plugin_name == case.plugin]
    if len(matches) != 1:
        raise BenchError(f"{case.config}: no plugin {case.plugin} of kernel {case.kernel}")
    return matches[0]


def dim_size_values(spec, input_shapes: Sequence[Sequence[int]]) -> Dict[str, int]:
    """Each DimSizeArg's (and launch value's) value for these input shapes, from the config's dim-size rules (as the
    plugin computes)."""
    return spec.dim_size_env(input_shapes)


def launch_env(spec, fields: Dict[str, Any], dims: Dict[str, int], tactic: int = 0,
               num_sms: Optional[int] = None) -> Dict[str, int]:
    """Names a grid expression may use (the model's grid_names) with their values for ``tactic`` (index) on a GPU
    of ``num_sms`` SMs (this GPU's when None and the grid reads it)."""
    if spec.uses_num_sms and num_sms is None:
        import torch

        num_sms = torch.cuda.get_device_properties(torch.cuda.current_device()).multi_processor_count
    return spec.launch_env(fields, dims, tactic, num_sms)


def grid_of(spec, env: Dict[str, int]) -> Tuple[int, int, int]:
    from plugingen import expr

    return tuple(int(expr.evaluate(g, env)) for g in spec.grid)  # type: ignore[return-value]


def kernel_arguments(spec, inputs: Sequence[Any], outputs: Sequence[Any], fields: Dict[str, Any],
                     dims: Dict[str, int], tactic: int = 0) -> Tuple[List[Any], Dict[str, Any]]:
    """(positional arguments, constexpr keyword arguments) of the Triton kernel, in the config's order; the
    constexprs include what ``tactic`` (index) and the heuristics set, as the kernel's decorators would."""
    from plugingen.model import ArgKind

    from plugingen.model import Point

    args, constexprs = [], dict(spec.tactics[tactic].meta)
    if spec.heuristics:
        env = spec.launch_env(fields, dims, tactic)
        constexprs.update((h.name, value) for h, value in zip(spec.heuristics, spec.choice(env)))
    point = Point(tactic, tuple(constexprs[h.name] for h in spec.heuristics), spec.variants[0])
    for a in spec.args:
        if not a.is_parameter:
            continue
        if a.is_descriptor:
            tensor = (inputs if a.kind is ArgKind.INPUT else outputs)[a.slot]
            args.append(host_descriptor(tensor, spec.block_shape(a, point)))
        elif a.kind is ArgKind.INPUT:
            args.append(inputs[a.slot])
        elif a.kind is ArgKind.OUTPUT:
            args.append(outputs[a.slot])
        elif a.kind is ArgKind.PARAM:
            args.append(fields[a.name])
        elif a.kind is ArgKind.DIM_SIZE:
            args.append(dims[a.name])
        elif a.kind is ArgKind.CONSTEXPR and a.value is None:
            args.append(None)  # an absent optional tensor, passed as its caller does (the JIT specialises None)
        elif a.kind is ArgKind.CONSTEXPR:
            constexprs[a.name] = a.value
    return args, constexprs


def host_descriptor(tensor: Any, block: Sequence[int]) -> Any:
    """The TensorDescriptor a user passes the JIT for a plugin's descriptor argument: the whole contiguous tensor,
    its leading dims flattened to the block's rank (as the plugin builds it)."""
    from triton.tools.tensor_descriptor import TensorDescriptor

    rank = len(block)
    shape = [math.prod(tensor.shape[:tensor.dim() - rank + 1])] + list(tensor.shape[tensor.dim() - rank + 1:])
    strides = [math.prod(shape[i + 1:]) for i in range(rank)]
    return TensorDescriptor(tensor, shape, strides, list(block))


def _address(value: Any) -> Any:
    value = getattr(value, "base", value)  # a TensorDescriptor: its tensor
    return value.data_ptr() if hasattr(value, "data_ptr") else value


def selected_variant(spec, args: Sequence[Any]) -> Optional[int]:
    """Index of the variant the plugin launches for these kernel arguments (its first variant whose hints hold)."""
    passed = [a.name for a in spec.args if a.is_parameter and (not a.kind.is_constexpr or a.value is None)]
    return spec.select_variant({name: int(_address(a)) for name, a in zip(passed, args) if a is not None})


def variant_text(spec, index: Optional[int]) -> str:
    if index is None:
        return "none"
    return f"{index} ({spec.describe(spec.variants[index])})"


def load_jit_function(spec):
    """The kernel's triton.JITFunction, loaded the way plugingen loads it."""
    from plugingen import loader

    return loader.load_kernel(spec.kernel_file, spec.kernel_name)


def signature_of(spec, inputs) -> int:
    """The dtype signature the plugin runs for a case's inputs ((dtype, shape, init) each; 0 for a plugin with one)."""
    dtypes = [d for d, _, _ in inputs]
    for index in range(len(spec.signatures)):
        if [spec.dtype_of(a, index).abbr for a in spec.inputs] == dtypes:
            return index
    raise ValueError(f"{spec.kernel_name}: no signature takes inputs {dtypes}")


def matched_jit(jit_fn, spec, variant_index: int, signature: int = 0):
    """A triton.jit copy of ``jit_fn`` that specialises exactly like the plugin's variant: scalars annotated with the
    config's types (so an i64 DimSizeArg stays i64), hinted parameters specialised on divisibility by 16, the rest
    not specialised at all."""
    import triton
    from plugingen.model import Hint

    variant = spec.variants[variant_index]
    raw = jit_fn.fn
    clone = types.FunctionType(raw.__code__, raw.__globals__, raw.__name__, raw.__defaults__, raw.__closure__)
    clone.__kwdefaults__ = raw.__kwdefaults__
    clone.__module__, clone.__qualname__, clone.__doc__ = raw.__module__, raw.__qualname__, raw.__doc__
    annotations = dict(getattr(raw, "__annotations__", {}))
    no_spec, no_align = [], []
    for a, hint in zip(spec.args, variant.hints):
        if a.kind.is_constexpr or not hint.passed or a.is_descriptor:
            continue  # the JIT turns an int argument equal to 1 into the constant 1 by itself, like the AOT does;
            # it never specialises a descriptor
        if a.is_tensor:
            if hint is not Hint.DIV16:
                no_align.append(a.name)
        else:
            annotations[a.name] = spec.dtype_of(a, signature).triton
            if hint is not Hint.DIV16:
                no_spec.append(a.name)
    clone.__annotations__ = annotations
    return triton.jit(do_not_specialize=no_spec, do_not_specialize_on_alignment=no_align)(clone)


def expected_signature(spec, variant_index: int, signature: int = 0, tactic: int = 0) -> List[Tuple[str, str, bool]]:
    """(name, Triton type or 'constexpr', divisible by 16) per parameter, as plugingen's AOT compiles the variant."""
    from plugingen.model import Point

    point = Point(tactic, spec.choices(tactic)[0], spec.variants[variant_index], signature)
    return [(name, kind, div16) for name, kind, _, div16 in spec.triton_signature(point)]


def jit_signature(jit_fn, args: Sequence[Any], constexprs: Dict[str, Any]) -> List[Tuple[str, str, bool]]:
    """The (name, type, divisible) specialisation Triton's JIT computes for these arguments (no GPU needed)."""
    from triton.backends.nvidia.compiler import CUDABackend
    from triton.runtime.jit import create_function_from_signature

    binder = create_function_from_signature(jit_fn.signature, jit_fn.params, CUDABackend)
    _, specialization, _ = binder(*args, **constexprs)
    return [(p.name, spec[0], spec[1] == "D") for p, spec in zip(jit_fn.params, specialization)]


def instructions(cubin: bytes) -> List[str]:
    """The SASS instructions of a cubin (Triton's bundled cuobjdump), with kernel-parameter offsets in constant
    bank 0 written alike: two cubins that differ only in their parameter list (the JIT drops an argument equal to 1
    that the kernel never reads) compare equal."""
    from triton.tools.disasm import get_sass

    def offset(match: "re.Match[str]") -> str:  # sm_90's kernel parameters start at 0x210 of bank 0
        return "c[0x0][param]" if int(match.group(1), 16) >= 0x210 else match.group(0)

    return [re.sub(r"c\[0x0\]\[0x([0-9a-f]+)\]", offset, line.strip()) for line in get_sass(cubin).splitlines()
            if line.rstrip().endswith(";")]


# ---------------------------------------------------------------------------------------------- libraries

def plugin_library(case: Case, scratch: Path, path: Optional[Path] = None) -> Path:
    """The prebuilt library of ``case``'s config (at ``path``; default: in the repository), or one built here
    (sm_90) when none was carried (always for a published kernel: built with no GPU visible, as on a build
    machine)."""
    path = path or ROOT / case.config
    prebuilt = os.environ.get("PLUGINGEN_PREBUILT") or str(ROOT / ".prebuilt")
    folder = f"{path.parent.name}-{path.stem}"
    library = Path(prebuilt) / folder / "output" / "libtriton_plugins.so"
    if library.is_file() and not case.published:
        return library
    workspace = scratch / folder
    library = workspace / "output" / "libtriton_plugins.so"
    if not library.is_file():
        import subprocess

        log(f"parity: no prebuilt library for {case.config}; building it for sm_90")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
                   CUDA_VISIBLE_DEVICES="")
        command = [sys.executable, "-m", "plugingen", "--workspace", str(workspace), "--kernel_config", str(path),
                   "--arch", "90", "--cache-dir", str(scratch / "aot-cache"), "-j", str(os.cpu_count() or 2)]
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if result.returncode != 0:  # a subprocess: the CLI re-points Triton's cache, which must not leak in here
            raise BenchError(f"plugingen failed for {case.config}:\n{result.stderr[-2000:]}")
    return library


# ---------------------------------------------------------------------------------------------- GPU part

class _Gpu:
    """Everything that needs torch + CUDA, set up once."""

    def __init__(self) -> None:
        import torch

        from plugingen.host import PluginHost, build_host
        from plugingen.testing import _default_host_dir

        if not torch.cuda.is_available():
            raise BenchError("kernel parity needs a CUDA GPU (torch.cuda.is_available() is False)")
        import triton

        self.torch = torch
        # Triton JIT takes global scratch (device-side TMA descriptors) from this allocator
        triton.set_allocator(lambda size, alignment, stream: torch.empty(size, dtype=torch.int8, device="cuda"))
        self.PluginHost = PluginHost
        self.host_lib = build_host(_default_host_dir())
        self.hosts: Dict[Path, Any] = {}
        self.lib_bytes: Dict[Path, bytes] = {}
        self.l2 = getattr(torch.cuda.get_device_properties(0), "L2_cache_size", 50 << 20) or (50 << 20)
        self.stream = torch.cuda.Stream()
        self.arch = 10 * torch.cuda.get_device_capability()[0] + torch.cuda.get_device_capability()[1]
        from plugingen.testing import _torch_types

        self.to_trt = _torch_types()
        self.from_trt = {v: k for k, v in self.to_trt.items()}
        self.dtypes = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32, "i32": torch.int32,
                       "i64": torch.int64}

    def host(self, library: Path):
        if library not in self.hosts:
            self.hosts[library] = self.PluginHost(library, self.host_lib)
            self.lib_bytes[library] = library.read_bytes()
        return self.hosts[library]

    def close(self) -> None:
        for h in self.hosts.values():
            h.close()

    def make_input(self, dtype: str, shape: Tuple[int, ...], init: str):
        torch = self.torch
        if init == "randint":
            return torch.randint(-1000, 1000, shape, device="cuda", dtype=self.dtypes[dtype])
        t = torch.randn(shape, device="cuda", dtype=torch.float32)
        if init == "randn4":
            t = t * 4
        return t.to(self.dtypes[dtype])

    def poison(self, tensors) -> None:
        for t in tensors:
            if t.is_floating_point():
                t.fill_(float("nan"))
            else:
                t.fill_(-(2**31) + 7 if t.dtype == self.torch.int32 else -(2**62) + 7)

    def unwritten(self, t) -> int:
        if t.is_floating_point():
            return int(self.torch.isnan(t).sum().item())
        sentinel = -(2**31) + 7 if t.dtype == self.torch.int32 else -(2**62) + 7
        return int((t == sentinel).sum().item())


def measure_ceilings(gpu: _Gpu) -> Dict[str, Any]:
    """Device-to-device copy bandwidth (bytes read + written) and fp16 matmul rate, measured once."""
    torch = gpu.torch
    out: Dict[str, Any] = {}
    a = torch.empty(1 << 30, dtype=torch.uint8, device="cuda").random_(0, 255)
    b = torch.empty_like(a)
    times = []
    for i in range(25):
        e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        e0.record()
        b.copy_(a)
        e1.record()
        e1.synchronize()
        if i >= 5:
            times.append(e0.elapsed_time(e1) / 1e3)
    out["copy_gbps"] = 2 * a.numel() / median(times) / 1e9
    del a, b
    m = torch.randn(8192, 8192, device="cuda", dtype=torch.float16)
    times = []
    for i in range(15):
        e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        e0.record()
        m @ m
        e1.record()
        e1.synchronize()
        if i >= 5:
            times.append(e0.elapsed_time(e1) / 1e3)
    out["fp16_matmul_tflops"] = 2 * 8192**3 / median(times) / 1e12
    del m
    torch.cuda.empty_cache()
    return out


def estimate_us(min_bytes: int, flops: Optional[float]) -> float:
    """A rough device time (2.5 TB/s, 300 TFLOP/s, 2 us floor), only to size the graphs."""
    return max(2.0, min_bytes / 2.5e6, (flops or 0.0) / 3e8)


def launches_per_graph(est_us: float, n_sets: int) -> int:
    n = int(min(MAX_LAUNCHES, max(MIN_LAUNCHES, round(GRAPH_TARGET_US / max(est_us, 0.5)))))
    return max(n_sets, n - n % n_sets)


class _Timed:
    """One measured variant: a CUDA graph of N launches (or, if capture failed, eager launches)."""

    def __init__(self, gpu: _Gpu, name: str, launch: Callable[[int], None], n: int) -> None:
        self.gpu, self.name, self.launch, self.n = gpu, name, launch, n
        self.graph = None
        self.error = None
        self.samples: List[float] = []
        torch = gpu.torch
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for i in range(3):
                launch(i)
        torch.cuda.synchronize()
        try:
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph, stream=side, capture_error_mode="relaxed"):
                for i in range(n):
                    launch(i)
            torch.cuda.synchronize()
            self.graph = graph
        except Exception as exc:  # noqa: BLE001 - fall back to eager timing, and say so
            self.error = f"graph capture failed, timed eagerly: {type(exc).__name__}: {exc}"
            torch.cuda.synchronize()

    @property
    def mode(self) -> str:
        return "graph" if self.graph is not None else "eager"

    def run_once(self) -> None:
        if self.graph is not None:
            self.graph.replay()
        else:
            for i in range(self.n):
                self.launch(i)


def _time_interleaved(gpu: _Gpu, timed: List[_Timed], rounds: int) -> None:
    torch = gpu.torch
    with torch.cuda.stream(gpu.stream):
        for t in timed:
            for _ in range(WARMUP_REPLAYS):
                t.run_once()
        torch.cuda.synchronize()
        for r in range(rounds):
            events = []
            for k in range(len(timed)):
                t = timed[(k + r) % len(timed)]
                e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                e0.record()
                t.run_once()
                e1.record()
                events.append((t, e0, e1))
            torch.cuda.synchronize()
            for t, e0, e1 in events:
                t.samples.append(e0.elapsed_time(e1) * 1e3 / t.n)


def run_case(gpu: _Gpu, case: Case, spec, library: Path, label: str, dims: Dict[str, int], jit_fn,
             matched_cache: Dict[int, Any], rounds: int) -> Dict[str, Any]:
    torch = gpu.torch
    from plugingen.host import TensorRTPhase
    from plugingen.testing import plugin_fields

    fields = case_fields(case, dims)
    result: Dict[str, Any] = {"case": case.name, "kernel": case.kernel, "config": case.config, "shape": label,
                              "dims": dims, "fields": {k: v for k, v in fields.items()}, "errors": []}
    host = gpu.host(library)
    plugin = host.create(case.plugin, plugin_fields(host, case.plugin, fields, case.version),
                         phase=TensorRTPhase.RUNTIME, version=case.version)
    try:
        specs = case.inputs(dims)
        in_shapes = [shape for _, shape, _ in specs]
        in_types = [gpu.to_trt[gpu.dtypes[d]] for d, _, _ in specs]
        out_types = plugin.output_types(in_types)
        out_shapes = plugin.output_shapes(in_shapes)
        dim_values = dim_size_values(spec, in_shapes)
        tactic = case.tactic
        env = launch_env(spec, fields, dim_values, tactic)
        grid = grid_of(spec, env)
        if len(spec.tactics) > 1:
            plugin.set_tactic(tactic + 1)
            result["tactic"] = f"{tactic + 1} ({spec.tactics[tactic].describe()})"
        result.update(grid=grid, dim_sizes=dim_values, input_shapes=in_shapes, output_shapes=out_shapes)

        def new_outputs():
            return [torch.empty(s, dtype=gpu.from_trt[t], device="cuda") for t, s in zip(out_types, out_shapes)]

        first_inputs = [gpu.make_input(*s) for s in specs]
        first_outputs = new_outputs()
        set_bytes = sum(t.numel() * t.element_size() for t in first_inputs + first_outputs)
        n_sets = 1 if set_bytes >= gpu.l2 else max(1, min(MAX_SETS, math.ceil(3 * gpu.l2 / set_bytes),
                                                           SET_BYTES_BUDGET // max(set_bytes, 1)))
        sets = [(first_inputs, first_outputs)] + [([gpu.make_input(*s) for s in specs], new_outputs())
                                                  for _ in range(n_sets - 1)]
        jit_outs = [new_outputs() for _ in sets]
        jit_default_outs = [new_outputs() for _ in sets]
        result.update(min_bytes=set_bytes, input_sets=n_sets)
        if case.flops:
            result["flops"] = case.flops(dims)

        args0, constexprs = kernel_arguments(spec, first_inputs, first_outputs, fields, dim_values, tactic)
        variant = selected_variant(spec, args0)
        if variant is None:
            raise BenchError("no plugin variant accepts these arguments")
        for ins, outs in sets[1:]:
            if selected_variant(spec, kernel_arguments(spec, ins, outs, fields, dim_values, tactic)[0]) != variant:
                raise BenchError("input sets select different variants")
        result["variant"] = variant_text(spec, variant)
        if variant not in matched_cache:
            matched_cache[variant] = matched_jit(jit_fn, spec, variant, signature_of(spec, specs))
        jit_matched = matched_cache[variant]
        # a kernel parameter named like an option (the tutorial softmax's num_stages) takes the keyword: the JIT
        # then compiles with that value too, so the config must give both the same value to match it
        options = {k: v for k, v in spec.tactics[tactic].options_for(gpu.arch).compile_options()
                   if k not in constexprs}

        def plugin_args(k):
            ins, outs = sets[k]
            return ([(gpu.to_trt[t.dtype], tuple(t.shape), t.data_ptr()) for t in ins],
                    [(gpu.to_trt[t.dtype], tuple(t.shape), t.data_ptr()) for t in outs])

        packed = [plugin_args(k) for k in range(n_sets)]
        matched_args = [kernel_arguments(spec, sets[k][0], jit_outs[k], fields, dim_values, tactic)[0]
                        for k in range(n_sets)]
        default_args = [kernel_arguments(spec, sets[k][0], jit_default_outs[k], fields, dim_values, tactic)[0]
                        for k in range(n_sets)]

        # the workspace TensorRT would give (Triton's global scratch, e.g. for device-side TMA descriptors)
        workspace_bytes = plugin.workspace_size(in_types, in_shapes, list(out_types), out_shapes)
        workspace = torch.empty(max(workspace_bytes, 1), dtype=torch.uint8, device="cuda")
        result["workspace_bytes"] = workspace_bytes

        def launch_plugin(i):
            ins, outs = packed[i % n_sets]
            plugin.enqueue(ins, outs, workspace=workspace.data_ptr() if workspace_bytes else 0,
                           stream=torch.cuda.current_stream().cuda_stream)

        compiled = {}

        def launch_matched(i):
            compiled["matched"] = jit_matched[grid](*matched_args[i % n_sets], **constexprs, **options)

        def launch_default(i):
            compiled["default"] = jit_fn[grid](*default_args[i % n_sets], **constexprs, **options)

        torch_calls = [case.torch_op(torch, sets[k][0], fields) for k in range(n_sets)]

        def launch_torch(i):
            torch_calls[i % n_sets]()

        # ---- correctness: poison, run every variant once, compare ----
        all_plugin_outs = [t for _, outs in sets for t in outs]
        all_jit_outs = [t for outs in jit_outs for t in outs]
        gpu.poison(all_plugin_outs + all_jit_outs + [t for outs in jit_default_outs for t in outs])
        torch.cuda.synchronize()
        for k in range(n_sets):
            launch_plugin(k)
            launch_matched(k)
            launch_default(k)
        launch_torch(0)
        torch.cuda.synchronize()
        checks = _compare(gpu, case, sets, jit_outs, jit_default_outs, fields, dims)
        result["checks"] = checks
        result["jit_signature_matches_plugin"] = (
            jit_signature(jit_matched, matched_args[0], constexprs)
            == expected_signature(spec, variant, signature_of(spec, specs), tactic))
        lib = gpu.lib_bytes[library]
        for key in ("matched", "default"):
            try:
                cubin = bytes(compiled[key].asm["cubin"])
                result[f"cubin_{key}_in_plugin"] = cubin in lib
            except Exception as exc:  # noqa: BLE001 - a diagnostic only
                result[f"cubin_{key}_in_plugin"] = None
                result["errors"].append(f"cubin check ({key}): {exc!r}")
        if result.get("cubin_default_in_plugin") is False and result.get("cubin_matched_in_plugin"):
            result["default_same_instructions"] = (instructions(bytes(compiled["default"].asm["cubin"]))
                                                   == instructions(bytes(compiled["matched"].asm["cubin"])))

        # ---- timing ----
        est = estimate_us(set_bytes, result.get("flops"))
        n = launches_per_graph(est, n_sets)
        result["launches_per_graph"] = n
        timed = [_Timed(gpu, "plugin", launch_plugin, n), _Timed(gpu, "plugin#2", launch_plugin, n),
                 _Timed(gpu, "jit_matched", launch_matched, n), _Timed(gpu, "jit_default", launch_default, n),
                 _Timed(gpu, "torch", launch_torch, n)]
        _time_interleaved(gpu, timed, rounds)
        result["device_us"] = {t.name: summary(t.samples) for t in timed}
        result["timing_mode"] = {t.name: t.mode for t in timed}
        result["errors"] += [f"{t.name}: {t.error}" for t in timed if t.error]

        # ---- the captured launches really ran: poison, replay once, compare again ----
        gpu.poison(all_plugin_outs + all_jit_outs)
        torch.cuda.synchronize()  # the poison (default stream) lands before the replays (gpu.stream)
        with torch.cuda.stream(gpu.stream):
            timed[0].run_once()
            timed[2].run_once()
        torch.cuda.synchronize()
        result["replay_outputs_equal"] = all(torch.equal(a, b) for a, b in zip(all_plugin_outs, all_jit_outs))
        result["replay_unwritten"] = sum(gpu.unwritten(t) for t in all_plugin_outs + all_jit_outs)

        med = {k: v["median"] for k, v in result["device_us"].items()}
        result["ratios"] = {
            "plugin_vs_jit": ratio(med["plugin"], med["jit_matched"]),
            "plugin_vs_jit_default": ratio(med["plugin"], med["jit_default"]),
            "plugin_vs_torch": ratio(med["plugin"], med["torch"]),
            "aa_plugin2_vs_plugin": ratio(med["plugin#2"], med["plugin"]),
        }
        seconds = med["plugin"] * 1e-6
        result["plugin_gbps"] = set_bytes / seconds / 1e9 if seconds > 0 else None
        if case.flops:
            result["plugin_tflops"] = case.flops(dims) / seconds / 1e12 if seconds > 0 else None
        ok = (checks["plugin_equals_jit"] and checks["unwritten"] == 0 and checks["reference_ok"]
              and result["replay_outputs_equal"] and result["replay_unwritten"] == 0)
        result["ok"] = ok
        del timed
        return result
    finally:
        plugin.close()


def _compare(gpu: _Gpu, case: Case, sets, jit_outs, jit_default_outs, fields, dims) -> Dict[str, Any]:
    torch = gpu.torch
    plugin_outs = [t for _, outs in sets for t in outs]
    matched = [t for outs in jit_outs for t in outs]
    default = [t for outs in jit_default_outs for t in outs]
    equal = all(torch.equal(a, b) for a, b in zip(plugin_outs, matched))
    max_diff = max((float((a.double() - b.double()).abs().max().item()) if a.numel() else 0.0)
                   for a, b in zip(plugin_outs, matched))
    default_diff = max((float((a.double() - b.double()).abs().max().item()) if a.numel() else 0.0)
                       for a, b in zip(plugin_outs, default))
    refs = []
    ref_ok = True
    ins, outs = sets[0]
    for index, ref, tol, part in case.reference(torch, ins, fields, dims):
        out = outs[index]
        if part is not None:  # FMHA: the first `heads` (batch, head) pairs only
            out = out.reshape(-1, *out.shape[2:])[: part[1]]
        err = _rel(torch, out, ref) if tol > 0 else float(not torch.equal(out.to(ref.dtype), ref))
        good = err <= tol and not math.isnan(err)
        ref_ok = ref_ok and good
        refs.append({"output": index, "rel_err": err, "tolerance": tol, "ok": good})
    return {"plugin_equals_jit": equal, "max_abs_diff_vs_jit": max_diff, "max_abs_diff_vs_jit_default": default_diff,
            "unwritten": sum(gpu.unwritten(t) for t in plugin_outs + matched), "reference": refs,
            "reference_ok": ref_ok}


def run(deadline: Optional[Deadline] = None, rounds: int = ROUNDS, only: Optional[Sequence[str]] = None,
        scratch: Optional[Path] = None, progress: Optional[Callable[[Dict[str, Any]], None]] = None
        ) -> Dict[str, Any]:
    """Every case and shape; returns {'ceilings': ..., 'cases': [...], 'skipped': [...]}."""
    import tempfile

    os.environ.setdefault("TRITON_DISABLE_LINE_INFO", "1")  # as plugingen's AOT compiles: comparable cubins
    deadline = deadline or Deadline(None)
    gpu = _Gpu()
    scratch = scratch or Path(tempfile.mkdtemp(prefix="pgbench-parity-"))
    results: Dict[str, Any] = {"rounds": rounds, "graph_target_us": GRAPH_TARGET_US, "cases": [], "skipped": [],
                               "target_plugin_vs_jit": TARGET_PLUGIN_VS_JIT}
    try:
        results["ceilings"] = measure_ceilings(gpu)
        log(f"parity: ceilings {results['ceilings']}")
        for case in CASES:
            if only and not any(o in case.name or o in case.kernel for o in only):
                continue
            path = config_path(case, scratch)
            if path is None:
                results["skipped"].append(f"{case.name}: PLUGINGEN_PUBLISHED (the published kernels) is not set")
                continue
            try:
                spec = load_spec(case, path)
                library = plugin_library(case, scratch, path)
                jit_fn = load_jit_function(spec)
            except Exception as exc:  # noqa: BLE001 - one broken case must not hide the others
                results["cases"].append({"case": case.name, "kernel": case.kernel, "errors": [repr(exc)],
                                         "ok": False})
                continue
            matched_cache: Dict[int, Any] = {}
            for label, dims in case.shapes:
                if deadline.expired:
                    results["skipped"].append(f"{case.name} {label}: out of time")
                    continue
                start = time.perf_counter()
                try:
                    r = run_case(gpu, case, spec, library, label, dims, jit_fn, matched_cache, rounds)
                except Exception as exc:  # noqa: BLE001
                    import traceback

                    r = {"case": case.name, "kernel": case.kernel, "shape": label, "dims": dims, "ok": False,
                         "errors": [f"{type(exc).__name__}: {exc}", traceback.format_exc()[-2000:]]}
                    gpu.torch.cuda.synchronize()
                r["wall_s"] = time.perf_counter() - start
                results["cases"].append(r)
                rt = r.get("ratios", {})
                log(f"parity: {case.name:>18} {label:<8} plugin {fmt(r.get('device_us', {}).get('plugin', {}).get('median'))} us"
                    f"  ÷jit {fmt(rt.get('plugin_vs_jit'))}  ÷jit-default {fmt(rt.get('plugin_vs_jit_default'))}"
                    f"  ÷torch {fmt(rt.get('plugin_vs_torch'))}  ok={r.get('ok')}  ({r['wall_s']:.1f}s)")
                if progress:
                    progress(results)
                gpu.torch.cuda.empty_cache()
    finally:
        gpu.close()
    results["summary"] = summarise(results["cases"])
    return results


def summarise(cases: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """Medians, maxima and the cases over target of plugin ÷ JIT-matched and plugin ÷ JIT-default (the kernel as
    its user calls it, Triton specialising by itself), and the cases whose JIT-default cubin the plugin lacks."""
    out: Dict[str, Any] = {"cases": len(cases), "ok": sum(1 for c in cases if c.get("ok"))}
    for key, name in (("plugin_vs_jit", "plugin_vs_jit"), ("plugin_vs_jit_default", "plugin_vs_jit_default")):
        ratios = [c["ratios"][key] for c in cases if c.get("ratios", {}).get(key)]
        out[f"{name}_median"] = median(ratios) if ratios else None
        out[f"{name}_max"] = max(ratios) if ratios else None
        out["over_target" if key == "plugin_vs_jit" else "over_target_default"] = [
            f"{c['case']} {c['shape']}" for c in cases if (c.get("ratios", {}).get(key) or 0) > TARGET_PLUGIN_VS_JIT]
    out["jit_default_cubin_in_plugin"] = sum(1 for c in cases if c.get("cubin_default_in_plugin"))
    out["jit_default_cubin_missing"] = [
        f"{c['case']} {c['shape']}" + (" (same instructions, parameter offsets aside)"
                                       if c.get("default_same_instructions") else "")
        for c in cases if c.get("cubin_default_in_plugin") is False]
    return out


# ---------------------------------------------------------------------------------------------- report

def markdown(results: Dict[str, Any]) -> str:
    out = ["### Kernel parity: device time per launch (µs, median of "
           f"{results.get('rounds')} interleaved CUDA-graph replays)", ""]
    ceil = results.get("ceilings", {})
    if ceil:
        out += [f"Measured ceilings: device-to-device copy {fmt(ceil.get('copy_gbps'))} GB/s (read + write), "
                f"fp16 matmul 8192³ {fmt(ceil.get('fp16_matmul_tflops'))} TFLOP/s.", ""]
    rows = []
    for c in results.get("cases", []):
        d = {k: v.get("median") for k, v in c.get("device_us", {}).items()}
        r = c.get("ratios", {})
        rate = (f"{fmt(c.get('plugin_tflops'))} TFLOP/s" if c.get("plugin_tflops")
                else (f"{fmt(c.get('plugin_gbps'))} GB/s" if c.get("plugin_gbps") else "—"))
        flags = []
        if c.get("errors"):
            flags.append("error")
        if c.get("cubin_matched_in_plugin") is False:
            flags.append("cubin differs")
        if c.get("cubin_default_in_plugin") is False:
            flags.append("JIT-default cubin not in plugin" + (
                "; same instructions, parameter offsets aside" if c.get("default_same_instructions") else ""))
        if c.get("jit_signature_matches_plugin") is False:
            flags.append("signature differs")
        variant = c.get("variant", "—") + (f"; tactic {c['tactic']}" if c.get("tactic") else "")
        rows.append([c.get("case"), c.get("shape"), variant, d.get("plugin"), d.get("jit_matched"),
                     d.get("jit_default"), d.get("torch"), r.get("plugin_vs_jit"), r.get("plugin_vs_jit_default"),
                     r.get("plugin_vs_torch"), r.get("aa_plugin2_vs_plugin"), rate,
                     ("ok" if c.get("ok") else "FAIL") + (" (" + ", ".join(flags) + ")" if flags else "")])
    out.append(table(["kernel", "shape", "plugin variant", "plugin", "JIT matched", "JIT default", "torch",
                      "plugin ÷ JIT", "plugin ÷ JIT default", "plugin ÷ torch", "A/A", "plugin rate", "checks"],
                     rows))
    s = results.get("summary", {})
    out += ["", f"plugin ÷ JIT-matched: median {fmt(s.get('plugin_vs_jit_median'))}, max "
                f"{fmt(s.get('plugin_vs_jit_max'))} (target ≤ {TARGET_PLUGIN_VS_JIT}); over target: "
                f"{', '.join(s.get('over_target') or []) or 'none'}; {s.get('ok')}/{s.get('cases')} cases pass "
                "every check.",
            "", f"plugin ÷ JIT-default (Triton specialising by itself, same tactic): median "
                f"{fmt(s.get('plugin_vs_jit_default_median'))}, max {fmt(s.get('plugin_vs_jit_default_max'))}; over "
                f"target: {', '.join(s.get('over_target_default') or []) or 'none'}; the JIT-default cubin is in the "
                f"plugin library for {s.get('jit_default_cubin_in_plugin')}/{s.get('cases')} cases (missing: "
                f"{', '.join(s.get('jit_default_cubin_missing') or []) or 'none'})."]
    if results.get("skipped"):
        out += ["", "Skipped: " + "; ".join(results["skipped"])]
    errors = [(c.get("case"), c.get("shape"), e.splitlines()[0]) for c in results.get("cases", [])
              for e in c.get("errors", []) if e]
    if errors:
        out += ["", "Errors:", ""] + [f"- {a} {b}: {e}" for a, b, e in errors]
    return "\n".join(out) + "\n"
