"""Per-call host overhead (GPU) of a plugin as a PyTorch op (``plugingen.torch``) against the Triton JIT calling the
same kernel: vector_add on tiny fp16 tensors (n = 1024), no synchronisation between calls.

Launchers, each called as a model would: ``torch.ops.plugingen.vector_add_kernel(x, y)`` (output allocated by the op),
the Triton JIT with the output allocated first (``out = torch.empty_like(x); kernel[grid](x, y, out, n, BLOCK=...)``,
what a Python wrapper does), the Triton JIT into a preallocated output, and ``torch.add`` for scale. Each is warmed up
and checked (x + y exactly), then timed per call with ``perf_counter_ns``: rounds of 1000 calls, the launchers
alternating between rounds, the stream synchronized between rounds outside the timed calls. The result is the
median over every call. Target (issue 25): the op's median <= the JIT's (with its allocation).

    python bench/torch_op_overhead.py [--rounds 10] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from common import BenchError, log, ratio, summary, table

N = 1024
CALLS_PER_ROUND = 1000


def per_call_us(call, calls: int) -> List[float]:
    samples = []
    for _ in range(calls):
        start = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - start) / 1000.0)
    return samples


def run(scratch: Optional[Path] = None, rounds: int = 10) -> Dict[str, Any]:
    import torch

    if not torch.cuda.is_available():
        raise BenchError("the torch op overhead needs a CUDA GPU (torch.cuda.is_available() is False)")
    import kernel_parity as kp
    import plugingen.torch as pgt
    from launch_overhead import compiled_variant, triton_cdiv
    from plugingen.model import ArgKind

    scratch = scratch or Path(tempfile.mkdtemp(prefix="pgbench-torchop-"))
    case = [c for c in kp.CASES if c.kernel == "vector_add_kernel"][0]
    library = kp.plugin_library(case, scratch)  # ws/output/libtriton_plugins.so
    pgt.load(library.parent)
    spec, _ = compiled_variant(scratch / "aot-cache")
    jit_fn = kp.load_jit_function(spec)
    block = spec.of_kind(ArgKind.CONSTEXPR)[0].value
    grid = (triton_cdiv(N, block), 1, 1)
    options = {"num_warps": spec.num_warps, "num_stages": spec.num_stages}
    x = torch.randn(N, device="cuda", dtype=torch.float16)
    y = torch.randn(N, device="cuda", dtype=torch.float16)
    preallocated = torch.empty_like(x)
    op = torch.ops.plugingen.vector_add_kernel

    def plugin_op():
        return op(x, y)

    def triton_jit_allocating():
        out = torch.empty_like(x)
        jit_fn[grid](x, y, out, N, BLOCK=block, **options)
        return out

    def triton_jit_preallocated():
        jit_fn[grid](x, y, preallocated, N, BLOCK=block, **options)
        return preallocated

    def torch_add():
        return torch.add(x, y)

    launchers = {"plugin_op": plugin_op, "triton_jit_allocating": triton_jit_allocating,
                 "triton_jit_preallocated": triton_jit_preallocated, "torch_add": torch_add}
    for name, call in launchers.items():  # warm-up (JIT compile, plugin prepare) + correctness
        for _ in range(100):
            out = call()
        torch.cuda.synchronize()
        if not torch.equal(out, x + y):
            raise BenchError(f"{name} computed a wrong x + y")
    samples: Dict[str, List[float]] = {name: [] for name in launchers}
    names = list(launchers)
    for r in range(rounds):
        for k in range(len(names)):
            name = names[(k + r) % len(names)]
            samples[name] += per_call_us(launchers[name], CALLS_PER_ROUND)
            torch.cuda.synchronize()
    results: Dict[str, Any] = {"n": N, "rounds": rounds, "calls_per_round": CALLS_PER_ROUND,
                               "torch": torch.__version__, "device": torch.cuda.get_device_name(),
                               "host_us_per_call": {k: summary(v) for k, v in samples.items()}}
    host = results["host_us_per_call"]
    results["op_vs_jit_allocating"] = ratio(host["plugin_op"]["median"], host["triton_jit_allocating"]["median"])
    results["op_vs_jit_preallocated"] = ratio(host["plugin_op"]["median"], host["triton_jit_preallocated"]["median"])
    results["target_met"] = results["op_vs_jit_allocating"] is not None and results["op_vs_jit_allocating"] <= 1.0
    return results


def markdown(r: Dict[str, Any]) -> str:
    host = r["host_us_per_call"]
    rows = [(name, f"{s['median']:.2f}", f"{s['p10']:.2f}", f"{s['p90']:.2f}") for name, s in host.items()]
    return "\n".join([
        f"### PyTorch op vs Triton JIT, per-call host time (vector_add, n = {r['n']}, {r['device']}, torch "
        f"{r['torch']})", "",
        table(["launcher", "median µs", "p10 µs", "p90 µs"], rows), "",
        f"op / JIT (allocating): {r['op_vs_jit_allocating']:.2f}; op / JIT (preallocated): "
        f"{r['op_vs_jit_preallocated']:.2f}; target op <= JIT: {'met' if r['target_met'] else 'missed'}"])


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="rounds of 1000 calls per launcher")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args(argv)
    try:
        results = run(rounds=args.rounds)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    log("torch op overhead done")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
