"""Tuning table (GPU): the tuned plugin against Triton's autotuned JIT over M = 1 ... 8192 (N = K = 4096).

The issue's target: for an autotuned matmul with >= 8 configs, the plugin built with a tuning table
(``plugingen tune`` + ``plugingen --tuning``) takes <= 1.05x the device time of Triton's autotuned JIT at every M,
where today's single tactic (the one ``PluginRunner.tune`` picks at M = 1024, what a TensorRT engine built at opt
shape M = 1024 runs at every M) is slower by the factor this run measures.

    python bench/tuned_table.py --published .published --out bench/results [--scratch DIR] [--ms 1,2,...]

1. Copies tests/published/matmul_config.py and the Triton tutorial's matmul.py (from ``--published``; derived from
   ``orig-03-matrix-multiplication.py`` there by cutting its test and benchmark code when matmul.py is missing)
   into a scratch folder; builds the library for this GPU's SM with no GPU visible (``python -m plugingen``, every
   config a tactic); runs ``plugingen tune --dims m=1:8192,k=4096,n=4096`` on the GPU; rebuilds with
   ``--tuning`` into a second workspace (same ``--cache-dir``: nothing new to compile). Wall time, images and
   library size of each step are recorded.
2. For each M (powers of two 1 ... 8192 and a few odd values), with fp16 ``torch.randn(...) / 16`` inputs:
   Triton's autotuned JIT (the tutorial's ``matmul_kernel[grid](...)`` call; its first call per M tunes and is not
   timed; ``kernel.best_config`` is recorded), the tuned plugin (one config per launch, chosen by the plugin from
   the table; which ran comes from ``PluginRunner.launched()``), and every tactic of the untuned library (the
   single tactic is one of them; the fastest gives the headroom) are timed in the same interleaved rounds: N
   launches captured in a CUDA graph each, replays timed with CUDA events, the median over rounds. Outputs of the
   JIT, the tuned plugin and the single tactic are checked against torch once per M.
3. Writes ``<out>/<date>-<gpu>-tuned.json`` and ``.md`` (and the table as ``<date>-<gpu>-tuning.json``), prints
   the Markdown, and exits 1 when the target is missed (or an M was not measured), 2 when it cannot run. The JSON
   is rewritten after every step and every M; M values not started within ``--deadline`` seconds (default 480)
   are skipped. ``--also-tune CONFIG`` also makes CONFIG's table (for ``bench/run.py --build-config``).

The builds and the tuning run as subprocesses (``python -m plugingen``, i.e. ``plugingen.cli.main``): the CLI
re-points Triton's cache and environment, which must not leak into the JIT measured here, and the builds see no
GPU, as on a build machine.
"""
from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (ROOT, BenchError, Deadline, fmt, log, machine_info, median, ratio, result_stem,  # noqa: E402
                    summary, table, write_json)

CONFIG = ROOT / "tests" / "published" / "matmul_config.py"
KERNEL_FILE = "matmul.py"
ORIGINAL = "orig-03-matrix-multiplication.py"
KERNEL = "matmul_kernel"
PLUGIN = "matmul_kernelPlugin"
TARGET = 1.05  # tuned plugin / JIT, at every M
OPT_M = 1024  # the single tactic: PluginRunner.tune's pick at this M (a TensorRT engine's opt shape)
DEFAULT_MS = [2 ** e for e in range(14)] + [3, 100, 1000, 3000, 5000]
GRAPH_TARGET_US = 2000.0  # one graph replay lasts about this long
MIN_LAUNCHES, MAX_LAUNCHES = 10, 100
CHECK_ATOL = CHECK_RTOL = 1e-2  # fp16 output of a K = 4096 fp32-accumulated product (values ~0.25)
_UNIT_TEST = "# %%\n# Unit Test"
_TACTIC = re.compile(r"\btactic (\d+) \(")
_AOT_COUNTS = re.compile(r"aot: (\d+) kernel images, (\d+) cached, compiling (\d+)")


# ---------------------------------------------------------------------------------------------- pure helpers

def parse_ms(text: str) -> List[int]:
    """``1,2,4,100`` -> the M values, in the order measured: powers of two ascending first, then the rest ascending
    (a run cut short by --deadline keeps the whole power-of-two sweep)."""
    values = set()
    for item in filter(None, (t.strip() for t in text.split(","))):
        try:
            value = int(item)
        except ValueError:
            raise argparse.ArgumentTypeError(f"--ms: '{item}' is not an integer") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"--ms: {value} is not >= 1")
        values.add(value)
    if not values:
        raise argparse.ArgumentTypeError("--ms: no values")
    return order_ms(values)


def order_ms(values) -> List[int]:
    powers = sorted(v for v in values if not v & (v - 1))
    return powers + sorted(v for v in values if v & (v - 1))


def derive_kernel(original: str) -> str:
    """The tutorial file without its test and benchmark code (everything from the ``Unit Test`` section on)."""
    index = original.find(_UNIT_TEST)
    if index < 0:
        raise BenchError(f"{ORIGINAL} has no '# Unit Test' section to cut the tutorial's test code at")
    return original[:index].rstrip() + "\n"


def published_kernel(folder: Path) -> Tuple[str, str]:
    """(the kernel file's text, where it came from): ``matmul.py`` in ``folder``, else derived from the original."""
    kernel, original = folder / KERNEL_FILE, folder / ORIGINAL
    if kernel.is_file():
        return kernel.read_text(), str(kernel)
    if original.is_file():
        return derive_kernel(original.read_text()), f"{original} (test and benchmark code cut)"
    raise BenchError(f"--published {folder}: neither {KERNEL_FILE} nor {ORIGINAL} is there (tests/published/README.md)")


def tactic_label(meta: Dict[str, Any], options: Dict[str, Any]) -> str:
    """``128×256×64, 8 warps, 3 stages`` from a config's meta-parameters (the BLOCK_* sizes in M, N, K order) and
    compile options."""
    order = {"M": 0, "N": 1, "K": 2}
    blocks = sorted((k for k in meta if k.upper().startswith("BLOCK")), key=lambda k: (order.get(k[-1:].upper(), 3), k))
    parts = ["×".join(str(meta[k]) for k in blocks)] if blocks else []
    parts += [f"{k}={v}" for k, v in sorted(meta.items()) if k not in blocks and not k.upper().startswith("GROUP")]
    if options.get("num_warps") is not None:
        parts.append(f"{options['num_warps']} warps")
    if options.get("num_stages") is not None:
        parts.append(f"{options['num_stages']} stages")
    return ", ".join(parts)


def manifest_tactics(manifest: Dict[str, Any], kernel: str, arch: int) -> Dict[int, Dict[str, Any]]:
    """{tactic: {'meta', 'options', 'label'}} of ``kernel`` from a manifest.json, the options for ``arch``."""
    entry = next((k for k in manifest.get("kernels", ()) if k.get("kernel") == kernel), None)
    if entry is None:
        raise BenchError(f"the manifest has no kernel {kernel}")
    out = {}
    for t in entry.get("tactics", ()):
        options = t.get("options", {})
        chosen = options.get(f"sm_{arch}") or (next(iter(options.values())) if options else {})
        out[int(t["tactic"])] = {"meta": t.get("meta", {}), "options": chosen,
                                 "label": tactic_label(t.get("meta", {}), chosen)}
    return out


def image_counts(manifest: Dict[str, Any]) -> Dict[str, int]:
    """Images of a manifest.json: all, with a cubin, with portable PTX."""
    images = [i for k in manifest.get("kernels", ()) for i in k.get("images", ())]
    return {"images": len(images), "cubins": sum(bool(i.get("cubin")) for i in images),
            "ptx": sum(bool(i.get("ptx")) for i in images)}


def tuning_for(table_data: Dict[str, Any], kernel: str):
    """The ``plugingen.model.Tuning`` of ``kernel`` in a tuning table (JSON), or None: what the plugin chooses by."""
    from plugingen.model import Tuning

    entry = next((k for k in table_data.get("kernels", ()) if k.get("kernel") == kernel), None)
    if entry is None:
        return None
    tables = []
    for arch_name, rows in sorted(entry.get("archs", {}).items()):
        tables.append((int(arch_name[3:]), tuple((tuple(r["bucket"]), int(r["tactic"]) - 1) for r in rows)))
    return Tuning(tuple(entry.get("key", ())), tuple(sorted(tables)))


def table_tactic(tuning, arch: int, values: Sequence[int]) -> Optional[int]:
    """The tactic (1-based) the table gives a launch with key values ``values`` on ``arch``, as the plugin picks it."""
    return None if tuning is None else tuning.choose(arch, list(values)) + 1


def launched_tactic(description: Optional[str]) -> Optional[int]:
    """The config number in a launch description (``tactic 3 (BLOCK_SIZE_M=...), ...``), None without one."""
    match = _TACTIC.search(description or "")
    return int(match.group(1)) if match else None


def config_tactic(config: Any, configs: Sequence[Any]) -> Optional[int]:
    """The tactic number (1-based) of a triton.Config among the kernel's configs (``all_kwargs`` equality)."""
    wanted = config.all_kwargs()
    return next((i + 1 for i, c in enumerate(configs) if c.all_kwargs() == wanted), None)


def constexpr_kwargs(spec) -> Dict[str, Any]:
    """The config's Constexpr values by kernel parameter name (what the JIT call passes as keywords)."""
    from plugingen.model import ArgKind

    return {a.name: a.value for a in spec.args if a.kind is ArgKind.CONSTEXPR}


def launches_for(estimate_us: float) -> int:
    """Launches per graph so that one replay lasts about GRAPH_TARGET_US."""
    if not estimate_us or estimate_us != estimate_us or estimate_us <= 0:
        return MIN_LAUNCHES
    return int(max(MIN_LAUNCHES, min(MAX_LAUNCHES, round(GRAPH_TARGET_US / estimate_us))))


def summarise(rows: List[Dict[str, Any]], skipped: Sequence[int]) -> Dict[str, Any]:
    """Max / median of each ratio over the measured M values, where the max is, and the verdict."""
    out: Dict[str, Any] = {"measured": len(rows), "skipped": sorted(skipped), "target": TARGET}
    for key in ("tuned_vs_jit", "single_vs_jit", "best_vs_jit", "tuned_vs_best"):
        values = [(r[key], r["m"]) for r in rows if r.get(key) is not None]
        if values:
            worst = max(values)
            out[key] = {"max": worst[0], "max_at_m": worst[1], "median": median([v for v, _ in values]),
                        "min": min(values)[0]}
    missed = sorted(r["m"] for r in rows if r.get("tuned_vs_jit") is None or r["tuned_vs_jit"] > TARGET)
    wrong = sorted(r["m"] for r in rows if not r.get("check", {}).get("ok", False))
    mismatched = sorted(r["m"] for r in rows if r.get("table_tactic") is not None
                        and r.get("tuned_tactic") is not None and r["table_tactic"] != r["tuned_tactic"])
    out.update({"missed_at_m": missed, "check_failed_at_m": wrong, "table_choice_differs_at_m": mismatched,
                "met": bool(rows) and not missed and not wrong and not skipped})
    return out


# ---------------------------------------------------------------------------------------------- markdown

def markdown(data: Dict[str, Any]) -> str:
    info = data.get("machine", {})
    gpu = info.get("gpu_name", "?")
    n, k = data.get("n"), data.get("k")
    out = [f"### Tuning table: tuned plugin vs Triton's autotuned JIT ({gpu}, sm_{data.get('arch')}, "
           f"{data.get('started', '')[:16]})", "",
           f"Kernel: the Triton tutorial's matmul (`{data.get('kernel_source', '')}`), {data.get('num_configs')} "
           f"autotune configs, `{Path(CONFIG).relative_to(ROOT)}`; fp16, N = {n}, K = {k}, ACTIVATION = "
           f"{data.get('constexprs', {}).get('ACTIVATION', '—')!r}. Driver {info.get('driver')}, torch "
           f"{info.get('torch')}, Triton {info.get('triton')}, {info.get('cpu_usable')} CPUs. Device time per launch "
           f"(CUDA-graph replay, median of {data.get('rounds')} interleaved rounds).", ""]
    steps = data.get("steps", {})
    if steps:
        rows = []
        for name, label in (("build_untuned", "build, no table (every config a tactic)"),
                            ("tune", f"plugingen tune --dims {data.get('dims')}"),
                            ("build_tuned", "build with --tuning (same AOT cache)")):
            s = steps.get(name)
            if not s:
                continue
            aot = s.get("aot") or {}
            rows.append([label, s.get("wall_s"), s.get("cubins"), s.get("ptx"),
                         s["library_bytes"] / 1e6 if s.get("library_bytes") else None,
                         f"{aot.get('compiling')} of {aot.get('images')}" if aot else "—",
                         "reused" if s.get("reused") else ("ok" if s.get("rc") == 0 else f"failed ({s.get('rc')})")])
        out += [table(["step", "wall s", "cubins", "PTX", "library MB", "Triton compiles", ""], rows), ""]
    tuning_rows = data.get("tuning_table") or []
    labels = {int(t): v for t, v in (data.get("tactics") or {}).items()}
    if tuning_rows:
        out += ["Tuning table (sm_%s): " % data.get("arch") + "; ".join(
            f"{tuple(r['bucket'])} → {r['tactic']}" for r in tuning_rows) + ".", ""]
    for config, made in (data.get("extra_tables") or {}).items():
        if made.get("table"):
            out += [f"Also tuned: `{config}` (build {fmt(made['build'].get('wall_s'))} s, tune "
                    f"{fmt(made['tune'].get('wall_s'))} s) → `{Path(made['table']).name}`: " + "; ".join(
                        f"{kernel}: " + ", ".join(f"{tuple(r['bucket'])} → {r['tactic']}" for r in rows)
                        for kernel, rows in made.get("rows", {}).items()) + ".", ""]
    single = data.get("single") or {}
    if single:
        out += [f"Single tactic: {single.get('tactic')} ({labels.get(single.get('tactic'), '?')}), "
                f"`PluginRunner.tune`'s pick at M = {single.get('at_m')}.", ""]
    rows = []
    for r in sorted(data.get("rows", []), key=lambda r: r["m"]):
        check = r.get("check", {})
        rows.append([r["m"], r.get("jit_us"), f"{r.get('jit_tactic')} ({r.get('jit_config_label')})",
                     r.get("tuned_us"), f"{r.get('tuned_tactic')} ({r.get('table_tactic')})", r.get("tuned_vs_jit"),
                     r.get("single_vs_jit"), r.get("best_vs_jit"), r.get("best_tactic"), r.get("launches"),
                     "ok" if check.get("ok") else "FAILED"])
    if rows:
        out += [table(["M", "JIT µs", "JIT config (tactic)", "tuned µs", "tuned ran (table)", "tuned ÷ JIT",
                       "single ÷ JIT", "best ÷ JIT", "best tactic", "launches/graph", "outputs"], rows), ""]
    s = data.get("summary") or {}
    if s:
        def part(key: str, name: str) -> str:
            v = s.get(key)
            return f"{name}: max {fmt(v['max'])} (M = {v['max_at_m']}), median {fmt(v['median'])}" if v else \
                f"{name}: —"

        out.append("; ".join([part("tuned_vs_jit", "tuned ÷ JIT"), part("single_vs_jit", "single ÷ JIT"),
                              part("best_vs_jit", "best tactic ÷ JIT")]) + ".")
        verdict = "met" if s.get("met") else "NOT met"
        reasons = []
        if s.get("missed_at_m"):
            reasons.append(f"tuned ÷ JIT > {TARGET} at M = {', '.join(map(str, s['missed_at_m']))}")
        if s.get("check_failed_at_m"):
            reasons.append(f"outputs wrong at M = {', '.join(map(str, s['check_failed_at_m']))}")
        if s.get("skipped"):
            reasons.append(f"not measured: M = {', '.join(map(str, s['skipped']))}")
        out += ["", f"Target (tuned ÷ JIT ≤ {TARGET} at every M): **{verdict}**"
                + (f" ({'; '.join(reasons)})" if reasons else "") + "."]
        if s.get("table_choice_differs_at_m"):
            out += ["", "The config the tuned plugin ran differs from the table's choice at M = "
                    + ", ".join(map(str, s["table_choice_differs_at_m"])) + "."]
    if labels:
        out += ["", "Configs: " + "; ".join(f"{t}: {labels[t]}" for t in sorted(labels)) + "."]
    for name, error in (data.get("errors") or {}).items():
        out += ["", f"**{name} failed:**", "", "```", str(error).strip()[-3000:], "```"]
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------------------------------------- the steps

def _env(gpu: bool) -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("TRITON_CACHE_DIR", None)  # the CLI keeps Triton's files in the workspace
    if not gpu:
        env["CUDA_VISIBLE_DEVICES"] = ""  # a build sees no GPU, as on a build machine
    return env


def plugingen_step(argv: Sequence[str], gpu: bool, timeout: Optional[float]) -> Dict[str, Any]:
    """``python -m plugingen ARGV`` (the CLI's main) in a subprocess: wall time, exit status, stage times, the
    AOT stage's image counts, the end of its log."""
    from build_time import parse_stages

    command = [sys.executable, "-m", "plugingen", *map(str, argv)]
    log("tuned: " + " ".join(command))
    start = time.perf_counter()
    try:
        result = subprocess.run(command, cwd=ROOT, env=_env(gpu), capture_output=True, text=True,
                                timeout=None if timeout is None else max(1.0, timeout))
        rc, stderr = result.returncode, result.stderr
    except subprocess.TimeoutExpired as exc:
        rc = 124
        stderr = (exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else exc.stderr or "")
        stderr += f"\n(killed after {timeout:.0f} s: --deadline)"
    wall = time.perf_counter() - start
    counts = _AOT_COUNTS.search(stderr)
    step = {"command": " ".join(command), "wall_s": wall, "rc": rc, "stages_s": parse_stages(stderr),
            "aot": {"images": int(counts.group(1)), "cached": int(counts.group(2)),
                    "compiling": int(counts.group(3))} if counts else None}
    if rc != 0:
        step["log_tail"] = stderr[-4000:]
    log(f"tuned:   {wall:.1f} s, exit {rc}")
    return step


def output_facts(workspace: Path) -> Dict[str, Any]:
    output = workspace / "output"
    manifest = json.loads((output / "manifest.json").read_text())
    return dict(image_counts(manifest), library_bytes=(output / "libtriton_plugins.so").stat().st_size)


def build(workspace: Path, config: Path, arch: int, cache: Path, jobs: int, extra: Sequence[str],
          deadline: Deadline, reuse: bool) -> Dict[str, Any]:
    if reuse and (workspace / "output" / "manifest.json").is_file():
        return dict(output_facts(workspace), reused=True, rc=0)
    step = plugingen_step(["--workspace", workspace, "--kernel_config", config, "--arch", str(arch), "-j", str(jobs),
                           "--cache-dir", cache, "-v", *extra], gpu=False, timeout=time_left(deadline))
    if step["rc"] == 0:
        step.update(output_facts(workspace))
    return step


def extra_table(config: Path, scratch: Path, arch: int, cache: Path, jobs: int, dims: str, deadline: Deadline,
                reuse: bool, out: Path, stem: str) -> Dict[str, Any]:
    """Build ``config`` for ``arch`` (no table) and ``plugingen tune`` it; its table goes to
    ``out/<stem>-tuning-<config stem>.json``."""
    if not config.is_file():
        raise BenchError(f"--also-tune {config}: no such file")
    workspace = scratch / f"ws-extra-{config.stem}"
    made: Dict[str, Any] = {"build": build(workspace, config, arch, cache, jobs, (), deadline, reuse)}
    if made["build"]["rc"] != 0:
        raise BenchError(f"--also-tune {config}: the build failed:\n{made['build'].get('log_tail', '')}")
    table_path = scratch / f"tuning-{config.stem}.json"
    table_path.unlink(missing_ok=True)
    made["tune"] = plugingen_step(["tune", "--workspace", workspace, "--kernel_config", config, "--dims", dims,
                                   "--out", table_path], gpu=True, timeout=time_left(deadline))
    if made["tune"]["rc"] != 0:
        raise BenchError(f"--also-tune {config}: plugingen tune failed:\n{made['tune'].get('log_tail', '')}")
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{stem}-tuning-{config.stem}.json"
    shutil.copy(table_path, target)
    made["table"] = str(target)
    made["rows"] = {e["kernel"]: e.get("archs", {}).get(f"sm_{arch}", [])
                    for e in json.loads(table_path.read_text()).get("kernels", ())}
    return made


# ---------------------------------------------------------------------------------------------- GPU timing

class _Timer:
    """Interleaved device-time samplers: each launch function captured N times in a CUDA graph."""

    def __init__(self, torch: Any, launches: int) -> None:
        self.torch, self.launches = torch, launches
        self.graphs: Dict[Any, Any] = {}

    def add(self, key: Any, launch: Callable[[], None]) -> None:
        torch = self.torch
        launch()
        torch.cuda.synchronize()
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            for _ in range(self.launches):
                launch()
        graph.replay()  # warm-up
        self.graphs[key] = graph

    def sample(self, key: Any) -> float:
        torch = self.torch
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        self.graphs[key].replay()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) * 1e3 / self.launches

    def rounds(self, count: int) -> Dict[Any, List[float]]:
        keys = list(self.graphs)
        times: Dict[Any, List[float]] = {key: [] for key in keys}
        for index in range(count):
            shift = index % len(keys)
            for key in keys[shift:] + keys[:shift]:  # the order rotates: drift hits every variant alike
                times[key].append(self.sample(key))
        return times


def estimate_us(torch: Any, launch: Callable[[], None], count: int = 3) -> float:
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(count):
        launch()
    end.record()
    end.synchronize()
    return start.elapsed_time(end) * 1e3 / count


def check_output(torch: Any, out: Any, ref: Optional[Any], other: Any) -> Dict[str, Any]:
    """Max abs error against the fp32 reference (or, without one, against ``other``) and whether it is within
    fp16 tolerance."""
    target = ref if ref is not None else other.float()
    diff = (out.float() - target).abs()
    bound = CHECK_ATOL + CHECK_RTOL * target.abs()
    return {"max_abs_err": float(diff.max()), "ok": bool((diff <= bound).all()) and bool(torch.isfinite(out).all())}


def measure_m(ctx: Dict[str, Any], m: int) -> Dict[str, Any]:
    torch, triton = ctx["torch"], ctx["triton"]
    from plugingen.testing import PluginError

    kernel, n, k = ctx["kernel"], ctx["n"], ctx["k"]
    block_m, block_n = ctx["blocks"]
    b = ctx["b"]
    a = torch.randn(m, k, device="cuda", dtype=torch.float16) / 16
    c = torch.empty(m, n, device="cuda", dtype=torch.float16)
    grid = lambda meta: (triton.cdiv(m, meta[block_m]) * triton.cdiv(n, meta[block_n]),)  # noqa: E731

    def jit() -> None:
        kernel[grid](a, b, c, m, n, k, a.stride(0), a.stride(1), b.stride(0), b.stride(1), c.stride(0), c.stride(1),
                     **ctx["constexprs"])

    row: Dict[str, Any] = {"m": m}
    start = time.perf_counter()
    jit()  # Triton compiles (per specialisation) and tunes on the first call of each key; later calls launch its pick
    torch.cuda.synchronize()
    row["jit_first_call_s"] = time.perf_counter() - start
    chosen = kernel.best_config
    row["jit_tactic"] = config_tactic(chosen, kernel.configs)
    row["jit_config"] = str(chosen)
    row["jit_config_label"] = (ctx["labels"].get(row["jit_tactic"]) if row["jit_tactic"] else
                               tactic_label(dict(chosen.kwargs), {"num_warps": chosen.num_warps,
                                                                  "num_stages": chosen.num_stages}))
    key_values = {"M": m, "N": n, "K": k}
    tuning = ctx["tuning"]
    row["table_tactic"] = table_tactic(tuning, ctx["arch"], [key_values[name] for name in tuning.key]) \
        if tuning is not None and all(name in key_values for name in tuning.key) else None
    untuned, tuned = ctx["untuned"], ctx["tuned"]
    with untuned._prepared(PLUGIN, {}, [a, b], None, None) as plain, \
            tuned._prepared(PLUGIN, {}, [a, b], None, None) as chooser:
        if chooser.valid:
            row["tuned_offers_tactics"] = list(chooser.valid)  # a library with a table should offer none
        chooser.enqueue(0)
        torch.cuda.synchronize()
        launched = tuned.launched()
        row["tuned_launch"] = launched.description if launched else None
        row["tuned_tactic"] = launched_tactic(row["tuned_launch"])
        tuned_out = chooser.outputs[0].clone()
        plain.enqueue(ctx["single"])
        torch.cuda.synchronize()
        single_out = plain.outputs[0].clone()
        jit_out = c.clone()
        ref = None
        if ctx["constexprs"].get("ACTIVATION") in ("", "leaky_relu", None):
            acc = a.float() @ b.float()
            ref = torch.where(acc >= 0, acc, 0.01 * acc) if ctx["constexprs"].get("ACTIVATION") else acc
        row["check"] = {"reference": "torch fp32" if ref is not None else "the JIT's output",
                        "jit": check_output(torch, jit_out, ref, jit_out),
                        "tuned": check_output(torch, tuned_out, ref, jit_out),
                        "single": check_output(torch, single_out, ref, jit_out)}
        row["check"]["ok"] = all(row["check"][key]["ok"] for key in ("jit", "tuned", "single"))
        del ref, tuned_out, single_out, jit_out

        launches = launches_for(estimate_us(torch, jit))
        row["launches"] = launches
        timer = _Timer(torch, launches)
        timer.add("jit", jit)
        timer.add("tuned", lambda: chooser.enqueue(0))
        refused = []
        for tactic in plain.valid:
            try:
                plain.enqueue(tactic)
            except PluginError as exc:  # e.g. more shared memory than this GPU has
                refused.append({"tactic": tactic, "error": str(exc)[:300]})
                continue
            timer.add(tactic, lambda t=tactic: plain.enqueue(t))
        if refused:
            row["refused_tactics"] = refused
        times = timer.rounds(ctx["rounds"])
        del timer
    medians = {key: median(v) for key, v in times.items()}
    tactics = {key: v for key, v in medians.items() if isinstance(key, int)}
    best = min(tactics, key=tactics.get) if tactics else None
    single = ctx["single"]
    row.update({
        "jit_us": medians["jit"], "jit": summary(times["jit"]),
        "tuned_us": medians["tuned"], "tuned": summary(times["tuned"]),
        "single_tactic": single, "single_us": tactics.get(single),
        "best_tactic": best, "best_us": tactics.get(best),
        "tuned_vs_jit": ratio(medians["tuned"], medians["jit"]),
        "single_vs_jit": ratio(tactics.get(single), medians["jit"]),
        "best_vs_jit": ratio(tactics.get(best), medians["jit"]),
        "tuned_vs_best": ratio(medians["tuned"], tactics.get(best)),
        "tactic_us": {str(t): v for t, v in sorted(tactics.items())},
    })
    return row


# ---------------------------------------------------------------------------------------------- main

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench/tuned_table.py", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--published", type=Path, required=True,
                        help=f"folder with the tutorial's {KERNEL_FILE} (or {ORIGINAL})")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results", help="results folder")
    parser.add_argument("--scratch", type=Path, default=None,
                        help="working folder (kept; default: a temporary folder, removed at the end)")
    parser.add_argument("--reuse", action="store_true",
                        help="with --scratch: keep libraries and the table already built there (skip those steps)")
    parser.add_argument("--ms", type=parse_ms, default=order_ms(DEFAULT_MS),
                        help="M values (default: powers of two 1..8192 and 3,100,1000,3000,5000)")
    parser.add_argument("--n", type=int, default=4096)
    parser.add_argument("--k", type=int, default=4096)
    parser.add_argument("--dims", default=None,
                        help="plugingen tune --dims (default: m=1:<largest power-of-two M>,k=K,n=N)")
    parser.add_argument("--rounds", type=int, default=12, help="interleaved timing rounds per M (median)")
    parser.add_argument("--blocks", default="BLOCK_SIZE_M,BLOCK_SIZE_N", help="the configs' tile-size names (grid)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="build parallelism")
    parser.add_argument("--also-tune", action="append", type=Path, default=[], metavar="CONFIG",
                        help="also build CONFIG (e.g. tests/kernels/tuned_matmul_config.py) for this GPU and tune it "
                             "with the same --dims, writing its table as <date>-<gpu>-tuning-<config>.json beside "
                             "the results (for bench/run.py --build-config ...:--tuning; ~1-2 min each, before the "
                             "timing)")
    parser.add_argument("--deadline", type=float, default=480.0,
                        help="seconds from the start; M values not started by then are skipped and the results "
                             "written (default 480; 0: none)")
    return parser


def time_left(deadline: Deadline) -> Optional[float]:
    """Seconds before ``deadline`` (a subprocess's timeout), None without one."""
    return None if deadline.end is None else deadline.left()


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    deadline = Deadline(args.deadline if args.deadline and args.deadline > 0 else None)
    if not args.published.is_dir():
        print(f"error: --published {args.published} is not a folder", file=sys.stderr)
        return 2
    try:
        kernel_text, kernel_source = published_kernel(args.published)
        info = machine_info(gpu=True)  # no torch + CUDA GPU: BenchError, before anything runs
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    os.environ.setdefault("TRITON_DISABLE_LINE_INFO", "1")  # as plugingen's AOT compiles
    import torch
    import triton

    from plugingen.testing import PluginRunner

    major, minor = torch.cuda.get_device_capability()
    arch = major * 10 + minor
    started = datetime.datetime.now()
    stem = result_stem(info, started) + "-tuned"
    out_json, out_md = args.out / f"{stem}.json", args.out / f"{stem}.md"
    ms = list(args.ms)
    pow2 = [m for m in ms if not m & (m - 1)]
    dims = args.dims or f"m=1:{max(pow2 or ms)},k={args.k},n={args.n}"
    data: Dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "command": "python bench/tuned_table.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": info, "arch": arch, "n": args.n, "k": args.k, "ms": ms, "dims": dims, "rounds": args.rounds,
        "kernel_source": kernel_source, "target": TARGET, "opt_m": OPT_M, "steps": {}, "rows": [], "errors": {}}

    def save() -> None:
        data["elapsed_s"] = round(time.time() - started.timestamp(), 1)
        write_json(out_json, data)
        out_md.write_text(markdown(data))

    owned = args.scratch is None
    scratch = Path(tempfile.mkdtemp(prefix="pgbench-tuned-")) if owned else args.scratch.expanduser().absolute()
    try:
        src = scratch / "src"
        src.mkdir(parents=True, exist_ok=True)
        config = src / CONFIG.name
        shutil.copy(CONFIG, config)
        if not (src / KERNEL_FILE).is_file() or (src / KERNEL_FILE).read_text() != kernel_text:
            (src / KERNEL_FILE).write_text(kernel_text)
        cache, untuned_ws, tuned_ws = scratch / "aot-cache", scratch / "ws-untuned", scratch / "ws-tuned"
        table_path = scratch / "tuning.json"

        # 1. build, tune, build with the table
        step = build(untuned_ws, config, arch, cache, args.jobs, (), deadline, args.reuse)
        data["steps"]["build_untuned"] = step
        save()
        if step["rc"] != 0:
            raise BenchError(f"the build without a table failed (exit {step['rc']}):\n{step.get('log_tail', '')}")
        if args.reuse and table_path.is_file():
            data["steps"]["tune"] = {"reused": True, "rc": 0}
        else:
            table_path.unlink(missing_ok=True)
            step = plugingen_step(["tune", "--workspace", untuned_ws, "--kernel_config", config, "--dims", dims,
                                   "--out", table_path], gpu=True, timeout=time_left(deadline))
            data["steps"]["tune"] = step
            save()
            if step["rc"] != 0:
                raise BenchError(f"plugingen tune failed (exit {step['rc']}):\n{step.get('log_tail', '')}")
        table_data = json.loads(table_path.read_text())
        args.out.mkdir(parents=True, exist_ok=True)
        shutil.copy(table_path, args.out / f"{result_stem(info, started)}-tuning.json")
        entry = next((e for e in table_data.get("kernels", ()) if e.get("kernel") == KERNEL), {})
        data["tuning_table"] = entry.get("archs", {}).get(f"sm_{arch}", [])
        step = build(tuned_ws, config, arch, cache, args.jobs, ("--tuning", table_path), deadline, args.reuse)
        data["steps"]["build_tuned"] = step
        save()
        if step["rc"] != 0:
            raise BenchError(f"the build with --tuning failed (exit {step['rc']}):\n{step.get('log_tail', '')}")

        for extra in args.also_tune:  # other configs' tables, for the CPU build comparisons
            data.setdefault("extra_tables", {})[str(extra)] = made = {}
            try:
                made.update(extra_table(extra.expanduser().absolute(), scratch, arch, cache, args.jobs, dims,
                                        deadline, args.reuse, args.out, result_stem(info, started)))
            except BenchError as exc:
                data["errors"][f"also-tune {extra}"] = str(exc)
                log(f"error: {exc}")
            save()

        # 2. the JIT, the tuned plugin, every tactic; per M
        from plugingen import config as config_stage

        spec = next(s for s in config_stage.load_config(config, (arch,), None).kernels if s.kernel_name == KERNEL)
        constexprs = constexpr_kwargs(spec)
        manifest = json.loads((untuned_ws / "output" / "manifest.json").read_text())
        tactics = manifest_tactics(manifest, KERNEL, arch)
        labels = {t: v["label"] for t, v in tactics.items()}
        data.update({"constexprs": constexprs, "num_configs": len(tactics), "tactics": labels})
        module_spec = importlib.util.spec_from_file_location("pgbench_tuned_table_matmul", src / KERNEL_FILE)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[module_spec.name] = module  # as plugingen's loader: Triton may look the module up
        module_spec.loader.exec_module(module)
        kernel = getattr(module, KERNEL)
        block_m, block_n = args.blocks.split(",")
        torch.manual_seed(0)
        with PluginRunner(untuned_ws / "output" / "libtriton_plugins.so") as untuned, \
                PluginRunner(tuned_ws / "output" / "libtriton_plugins.so") as tuned:
            b = torch.randn(args.k, args.n, device="cuda", dtype=torch.float16) / 16
            a_opt = torch.randn(OPT_M, args.k, device="cuda", dtype=torch.float16) / 16
            single = untuned.tune(PLUGIN, {}, [a_opt, b])
            del a_opt
            data["single"] = {"tactic": single, "at_m": OPT_M, "label": labels.get(single)}
            log(f"tuned: single tactic (PluginRunner.tune at M = {OPT_M}): {single} ({labels.get(single)})")
            ctx = {"torch": torch, "triton": triton, "kernel": kernel, "n": args.n, "k": args.k, "b": b,
                   "blocks": (block_m, block_n), "constexprs": constexprs, "labels": labels,
                   "tuning": tuning_for(table_data, KERNEL), "arch": arch, "untuned": untuned, "tuned": tuned,
                   "single": single, "rounds": args.rounds}
            slowest = 0.0
            skipped: List[int] = []
            for m in ms:
                if deadline.left() < 1.5 * slowest:
                    skipped.append(m)
                    continue
                start = time.perf_counter()
                try:
                    row = measure_m(ctx, m)
                except Exception as exc:  # noqa: BLE001 - one failed M must not lose the others
                    data["errors"][f"M={m}"] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
                    log(f"tuned: M = {m} failed: {exc}")
                    skipped.append(m)
                    continue
                row["wall_s"] = time.perf_counter() - start
                slowest = max(slowest, row["wall_s"])
                data["rows"].append(row)
                log(f"tuned: M = {m}: JIT {row['jit_us']:.1f} us (tactic {row['jit_tactic']}), tuned "
                    f"{row['tuned_us']:.1f} us (tactic {row['tuned_tactic']}, table {row['table_tactic']}) = "
                    f"{fmt(row['tuned_vs_jit'])}x; single {fmt(row['single_vs_jit'])}x; best tactic "
                    f"{row['best_tactic']} {fmt(row['best_vs_jit'])}x; outputs "
                    f"{'ok' if row['check']['ok'] else 'WRONG'} ({row['wall_s']:.1f} s)")
                data["summary"] = summarise(data["rows"], skipped)
                save()
                torch.cuda.empty_cache()
            data["summary"] = summarise(data["rows"], skipped)
    except BenchError as exc:
        data["errors"]["setup"] = str(exc)
        log(f"error: {exc}")
    except Exception as exc:  # noqa: BLE001 - recorded, results written
        data["errors"]["run"] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
        log(f"error: {exc}")
    finally:
        save()
        if owned:
            shutil.rmtree(scratch, ignore_errors=True)
    text = markdown(data)
    print(text)
    print(f"wrote {out_json} and {out_md}")
    if "setup" in data["errors"] or "run" in data["errors"]:
        return 2
    return 0 if data.get("summary", {}).get("met") else 1


if __name__ == "__main__":
    sys.exit(main())
