"""Autotuned kernels: the plugin's tactics against Triton's own autotuner, side by side on one GPU.

For each shape, Triton's autotuned JIT (after it has tuned: its chosen config) and every plugin tactic are timed
in the same rounds — device time per launch by CUDA-graph replay, interleaved — and the run reports

* best tactic ÷ JIT (target <= 1.02), and the plugin tactic whose config is the one the JIT chose ÷ JIT;
* the tactic ``PluginRunner.tune`` picks ÷ the best tactic (target <= 1.03).

    python bench/autotune.py --library LIB --kernel-file matmul.py --kernel matmul_kernel \\
        --blocks BLOCK_SIZE_M,BLOCK_SIZE_N --out DIR

The kernel is a matmul taking (a, b, c, M, N, K, 6 strides, ACTIVATION=...), as the tutorial's and
tests/kernels/tuned_matmul.py do.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHAPES = [(512, 512, 512), (4096, 4096, 4096), (1000, 1024, 1000)]
TARGET_BEST_VS_JIT, TARGET_TUNE_VS_BEST = 1.02, 1.03


def device_us(torch, launch, launches: int = 10) -> "callable":
    """A function returning one sample: µs per launch of ``launch`` replayed from a CUDA graph."""
    launch()
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for _ in range(launches):
            launch()

    def sample() -> float:
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        graph.replay()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) * 1e3 / launches

    return sample


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=Path, required=True)
    parser.add_argument("--kernel-file", type=Path, required=True)
    parser.add_argument("--kernel", required=True)
    parser.add_argument("--plugin", help="default: KERNEL + 'Plugin'")
    parser.add_argument("--blocks", default="BLOCK_SIZE_M,BLOCK_SIZE_N", help="the configs' tile-size names")
    parser.add_argument("--activation", default="leaky_relu")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    import torch
    import triton

    from plugingen.testing import PluginRunner

    spec = importlib.util.spec_from_file_location("autotuned_kernels", args.kernel_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    kernel = getattr(module, args.kernel)
    block_m, block_n = args.blocks.split(",")
    plugin = args.plugin or args.kernel + "Plugin"
    results = []
    with PluginRunner(args.library) as runner:
        for m, k, n in SHAPES:
            a = torch.randn(m, k, device="cuda", dtype=torch.float16) / 16
            b = torch.randn(k, n, device="cuda", dtype=torch.float16) / 16
            c = torch.empty(m, n, device="cuda", dtype=torch.float16)
            grid = lambda meta: (triton.cdiv(m, meta[block_m]) * triton.cdiv(n, meta[block_n]),)  # noqa: E731

            def jit() -> None:
                kernel[grid](a, b, c, m, n, k, a.stride(0), a.stride(1), b.stride(0), b.stride(1), c.stride(0),
                             c.stride(1), ACTIVATION=args.activation)

            jit()  # Triton tunes on the first call; later calls launch its choice
            torch.cuda.synchronize()
            chosen = kernel.best_config
            samplers = {"jit": device_us(torch, jit)}
            with runner._prepared(plugin, {}, [a, b], None, None) as prepared:
                for tactic in prepared.valid:
                    samplers[tactic] = device_us(torch, lambda t=tactic: prepared.enqueue(t))
                times = {key: [] for key in samplers}
                for _ in range(args.rounds):
                    for key, sample in samplers.items():
                        times[key].append(sample())
                medians = {key: statistics.median(v) for key, v in times.items()}
                configs = list(prepared.valid)
            tuned = runner.tune(plugin, {}, [a, b])
            best = min(configs, key=lambda t: medians[t])
            same = next((i + 1 for i, cfg in enumerate(kernel.configs) if cfg.all_kwargs() == chosen.all_kwargs()),
                        None)
            row = {"shape": [m, k, n], "jit_us": medians["jit"], "jit_config": str(chosen),
                   "best_tactic": best, "best_us": medians[best], "best_vs_jit": medians[best] / medians["jit"],
                   "jit_config_tactic": same,
                   "jit_config_vs_jit": medians[same] / medians["jit"] if same else None,
                   "tune_pick": tuned, "tune_vs_best": medians[tuned] / medians[best],
                   "tactic_us": {str(t): medians[t] for t in configs}}
            results.append(row)
            print(f"{m}x{k}x{n}: JIT {medians['jit']:.1f} us ({chosen}); best tactic {best} {medians[best]:.1f} us "
                  f"= {row['best_vs_jit']:.3f}x JIT; JIT's config as tactic {same}: "
                  f"{row['jit_config_vs_jit'] if same else float('nan'):.3f}x; tune picked {tuned}: "
                  f"{row['tune_vs_best']:.3f}x best", flush=True)
    ok = all(r["best_vs_jit"] <= TARGET_BEST_VS_JIT and r["tune_vs_best"] <= TARGET_TUNE_VS_BEST for r in results)
    print(f"targets (best/JIT <= {TARGET_BEST_VS_JIT}, tune/best <= {TARGET_TUNE_VS_BEST}): "
          f"{'met' if ok else 'NOT met'}")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "autotune.json").write_text(json.dumps({"device": torch.cuda.get_device_name(),
                                                            "kernel": args.kernel, "results": results}, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
