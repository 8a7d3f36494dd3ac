"""Launch overhead (GPU): host time of one plugin ``enqueue`` on a tiny kernel (vector_add, n = 1024) vs a raw
``cuLaunchKernel`` of the same cubin (both from C++, ``launch_overhead.cpp``), vs Triton JIT's Python launch, and
the per-launch cost once the launches are captured in a CUDA graph.

Steps: AOT-compile the vector_add config for sm_90 with ``plugingen.aot`` (the variant the plugin picks for
16-aligned pointers and n % 16 == 0), check that this cubin occurs verbatim in the plugin library, write it to a
file, compile ``launch_overhead.cpp`` with g++ against ``plugingen/include`` and the CUDA headers (linked with
-lcuda; the libcuda the running process uses is found from /proc/self/maps when -lcuda alone does not link), run it,
then time the Python-side launchers (Triton JIT, the plugin through the ctypes test host, ``torch.add``) the same way:
batches of 256 calls timed with ``perf_counter``, the stream synchronized between batches outside the timed region.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from common import ROOT, BenchError, fmt, log, ratio, summary, table

SOURCE = Path(__file__).resolve().with_name("launch_overhead.cpp")
VECTOR_ADD = ROOT / "examples" / "vector_add" / "kernel_config.py"
PLUGIN = "vector_add_kernelPlugin"
N = 1024
ARCH = 90
TARGET_PLUGIN_VS_RAW = 1.10  # issue 12: the launch-overhead part of enqueue
CUDA_INCLUDE_CANDIDATES = ("/usr/local/cuda/include",)


def compiled_variant(cache_dir: Path, arch: int = ARCH):
    """plugingen's compiled Image of vector_add for ``arch``: the most specialised variant (all '16' hints)."""
    from plugingen import aot, config, plan

    spec = config.load_config(VECTOR_ADD, [arch])
    kernel = aot.compile_kernels(plan.make_plan(spec, [arch], plan.NO_PTX), cache_dir, jobs=1).kernels[0]
    point = kernel.plan.points[0]  # the one tactic, the most specialised hint variant
    return kernel.plan.spec, [i for i in kernel.images_of(point) if i.arch == arch][0]


def params_argument(variant) -> str:
    """``name:bytes,...`` for launch_overhead.cpp, in the kernel's parameter order (hidden scratch pointers last)."""
    return ",".join(f"{p.name}:{p.size}" for p in variant.params)


def cuda_include_dir() -> Optional[str]:
    for candidate in [os.path.join(os.environ[v], "include") for v in ("CUDA_HOME", "CUDA_PATH") if os.environ.get(v)] \
            + list(CUDA_INCLUDE_CANDIDATES):
        if os.path.isfile(os.path.join(candidate, "cuda.h")):
            return candidate
    return None


def loaded_libcuda() -> Optional[str]:
    """The libcuda this process has mapped (after CUDA was initialised), from /proc/self/maps."""
    try:
        for line in Path("/proc/self/maps").read_text().splitlines():
            path = line.split()[-1]
            if "/libcuda.so" in path:
                return path
    except OSError:
        pass
    return None


def compile_commands(output: Path, include: str, libcuda: Optional[str]) -> List[List[str]]:
    """g++ command lines to try in order: plain -lcuda, then the CUDA stubs folder, then the mapped libcuda."""
    base = ["g++", "-O2", "-std=c++17", "-Wall", "-Wextra", f"-I{ROOT / 'plugingen' / 'include'}", f"-I{include}",
            str(SOURCE), "-o", str(output)]
    commands = [base + ["-lcuda", "-ldl"],
                base + [f"-L{Path(include).parent / 'lib64' / 'stubs'}", "-lcuda", "-ldl"]]
    if libcuda:
        commands.append(base + [libcuda, "-ldl", f"-Wl,-rpath,{Path(libcuda).parent}"])
    return commands


def build_program(scratch: Path, libcuda: Optional[str]) -> Path:
    include = cuda_include_dir()
    if include is None:
        raise BenchError("no cuda.h (looked in $CUDA_HOME/include, $CUDA_PATH/include, /usr/local/cuda/include)")
    if shutil.which("g++") is None:
        raise BenchError("g++ not found")
    output = scratch / "launch_overhead"
    failures = []
    for command in compile_commands(output, include, libcuda):
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode == 0:
            return output
        failures.append(f"$ {' '.join(command)}\n{result.stderr[-1500:]}")
    raise BenchError("could not build launch_overhead.cpp:\n" + "\n".join(failures))


def host_time_per_call(call, sync, calls: int, batch: int = 256) -> List[float]:
    """perf_counter microseconds per call, one sample per batch of ``batch`` calls; ``sync`` runs between batches,
    outside the timed region (so the launch queue never fills)."""
    samples = []
    for _ in range(max(1, calls // batch)):
        start = time.perf_counter()
        for _ in range(batch):
            call()
        samples.append((time.perf_counter() - start) * 1e6 / batch)
        sync()
    return samples


def run(scratch: Optional[Path] = None, iters: int = 100000, python_calls: int = 50000) -> Dict[str, Any]:
    import torch

    if not torch.cuda.is_available():
        raise BenchError("launch overhead needs a CUDA GPU (torch.cuda.is_available() is False)")
    os.environ.setdefault("TRITON_DISABLE_LINE_INFO", "1")
    scratch = scratch or Path(tempfile.mkdtemp(prefix="pgbench-launch-"))
    scratch.mkdir(parents=True, exist_ok=True)
    torch.cuda.init()
    torch.empty(1, device="cuda")  # initialise the primary context, so libcuda is mapped
    results: Dict[str, Any] = {"n": N, "arch": ARCH, "iters": iters, "python_calls": python_calls,
                               "target_plugin_vs_raw": TARGET_PLUGIN_VS_RAW}

    import kernel_parity as kp

    case = [c for c in kp.CASES if c.kernel == "vector_add_kernel"][0]
    library = kp.plugin_library(case, scratch)
    spec, variant = compiled_variant(scratch / "aot-cache")
    cubin = scratch / "vector_add_sm90.cubin"
    cubin.write_bytes(variant.cubin)
    results.update(library=str(library), entry=variant.entry, params=params_argument(variant),
                   threads=variant.num_warps * 32, shared=variant.shared,
                   cubin_bytes=len(variant.cubin), cubin_in_plugin=variant.cubin in library.read_bytes())
    from plugingen.model import ArgKind

    block = spec.of_kind(ArgKind.CONSTEXPR)[0].value  # BLOCK (1024)

    # ---- C++: plugin enqueue vs raw cuLaunchKernel ----
    libcuda = loaded_libcuda()
    results["libcuda"] = libcuda
    program = build_program(scratch, libcuda)
    command = [str(program), "--plugin", str(library), "--plugin-name", PLUGIN, "--cubin", str(cubin),
               "--entry", variant.entry, "--params", params_argument(variant), "--threads",
               str(variant.num_warps * 32), "--shared", str(variant.shared), "--block", str(block), "--n", str(N),
               "--iters", str(iters), "--batch", "256", "--json", str(scratch / "cpp.json")]
    results["cpp_command"] = " ".join(command)
    log("launch: " + results["cpp_command"])
    proc = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise BenchError(f"launch_overhead failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    cpp = json.loads(proc.stdout)
    results["cpp"] = cpp
    host = cpp["host_us_per_call"]
    results["plugin_vs_raw"] = ratio(host["plugin_enqueue"]["median"], host["raw_cuLaunchKernel"]["median"])
    results["plugin_shape_change_vs_raw"] = ratio(host["plugin_onShapeChange_enqueue"]["median"],
                                                  host["raw_cuLaunchKernel"]["median"])

    # ---- Python launchers, same batching ----
    jit_fn = kp.load_jit_function(spec)
    x = torch.randn(N, device="cuda", dtype=torch.float16)
    y = torch.randn(N, device="cuda", dtype=torch.float16)
    out = torch.empty_like(x)
    grid = (triton_cdiv(N, block), 1, 1)
    options = {"num_warps": spec.num_warps, "num_stages": spec.num_stages}

    def jit_launch():
        jit_fn[grid](x, y, out, N, BLOCK=block, **options)

    from plugingen.host import DataType, PluginHost, TensorRTPhase, build_host
    from plugingen.testing import _default_host_dir

    torch.cuda.synchronize()  # x and y are ready before another stream reads them
    launch_stream = torch.cuda.Stream()  # like the C++ side: a stream of its own, not the legacy default stream
    with PluginHost(library, build_host(_default_host_dir())) as plugin_host, torch.cuda.stream(launch_stream):
        plugin = plugin_host.create(PLUGIN, {}, phase=TensorRTPhase.RUNTIME)
        ins = [(DataType.HALF, (N,), x.data_ptr()), (DataType.HALF, (N,), y.data_ptr())]
        outs = [(DataType.HALF, (N,), out.data_ptr())]
        stream = torch.cuda.current_stream().cuda_stream

        def ctypes_enqueue():
            plugin.enqueue(ins, outs, stream=stream)

        def torch_add():
            torch.add(x, y, out=out)

        for call in (jit_launch, ctypes_enqueue, torch_add):  # warm-up (and JIT compile) + correctness
            out.fill_(float("nan"))
            for _ in range(100):
                call()
            torch.cuda.synchronize()
            if not torch.equal(out, x + y):
                raise BenchError(f"{call.__name__} computed a wrong x + y")
        python = {"triton_jit": [], "plugin_ctypes_host": [], "torch_add_out": []}
        calls = {"triton_jit": jit_launch, "plugin_ctypes_host": ctypes_enqueue, "torch_add_out": torch_add}
        chunk = max(256, python_calls // 10)
        for r in range(10):  # alternate launchers in chunks, like the C++ side
            names = list(python)
            for k in range(len(names)):
                name = names[(k + r) % len(names)]
                python[name] += host_time_per_call(calls[name], torch.cuda.synchronize, chunk)
        results["python_host_us_per_call"] = {k: summary(v) for k, v in python.items()}

        # ---- graphs from Python: the JIT's and the plugin's launches captured, replayed ----
        graphs = {}
        for name, call in (("triton_jit", jit_launch), ("plugin_ctypes_host", ctypes_enqueue)):
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            torch.cuda.synchronize()
            g = torch.cuda.CUDAGraph()
            with torch.cuda.graph(g, stream=side, capture_error_mode="relaxed"):
                if name == "plugin_ctypes_host":
                    cap = torch.cuda.current_stream().cuda_stream
                    for _ in range(1000):
                        plugin.enqueue(ins, outs, stream=cap)
                else:
                    for _ in range(1000):
                        call()
            graphs[name] = g
        host_t = {k: [] for k in graphs}
        dev_t = {k: [] for k in graphs}
        for r in range(100):
            for name in (list(graphs) if r % 2 == 0 else list(graphs)[::-1]):
                e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                e0.record()
                start = time.perf_counter()
                graphs[name].replay()
                host_t[name].append((time.perf_counter() - start) * 1e6 / 1000)
                e1.record()
                e1.synchronize()
                dev_t[name].append(e0.elapsed_time(e1) * 1e3 / 1000)
        replay_ok = {}
        for name, g in graphs.items():  # each graph really computes x + y
            out.fill_(float("nan"))
            g.replay()
            torch.cuda.synchronize()
            replay_ok[name] = bool(torch.equal(out, x + y))
        results["python_graph_replay_ok"] = replay_ok
        results["python_graph_host_us_per_launch"] = {k: summary(v) for k, v in host_t.items()}
        results["python_graph_device_us_per_launch"] = {k: summary(v) for k, v in dev_t.items()}
        del graphs
        plugin.close()

    py = results["python_host_us_per_call"]
    results["triton_jit_vs_plugin_enqueue"] = ratio(py["triton_jit"]["median"], host["plugin_enqueue"]["median"])
    return results


def triton_cdiv(a: int, b: int) -> int:
    return -(-a // b)


def markdown(r: Dict[str, Any]) -> str:
    cpp = r.get("cpp", {})
    host = cpp.get("host_us_per_call", {})
    py = r.get("python_host_us_per_call", {})
    gh, gd = cpp.get("graph_host_us_per_launch", {}), cpp.get("graph_device_us_per_launch", {})
    pgh, pgd = r.get("python_graph_host_us_per_launch", {}), r.get("python_graph_device_us_per_launch", {})
    ed = cpp.get("eager_device_us_per_launch", {})

    def m(d, k):
        return d.get(k, {}).get("median")

    def p(d, k, q):
        return d.get(k, {}).get(q)

    raw = m(host, "raw_cuLaunchKernel")
    rows = [
        ["C++: raw `cuLaunchKernel` (same cubin, params, grid)", raw, p(host, "raw_cuLaunchKernel", "p10"),
         p(host, "raw_cuLaunchKernel", "p90"), 1.0 if raw else None],
        ["C++: plugin `enqueue` (IPluginV3OneRuntime)", m(host, "plugin_enqueue"), p(host, "plugin_enqueue", "p10"),
         p(host, "plugin_enqueue", "p90"), r.get("plugin_vs_raw")],
        ["C++: plugin `onShapeChange` + `enqueue`", m(host, "plugin_onShapeChange_enqueue"),
         p(host, "plugin_onShapeChange_enqueue", "p10"), p(host, "plugin_onShapeChange_enqueue", "p90"),
         r.get("plugin_shape_change_vs_raw")],
        ["Python: Triton JIT `kernel[grid](...)`", m(py, "triton_jit"), p(py, "triton_jit", "p10"),
         p(py, "triton_jit", "p90"), ratio(m(py, "triton_jit"), raw)],
        ["Python: plugin via ctypes test host (`Plugin.enqueue`)", m(py, "plugin_ctypes_host"),
         p(py, "plugin_ctypes_host", "p10"), p(py, "plugin_ctypes_host", "p90"), ratio(m(py, "plugin_ctypes_host"), raw)],
        ["Python: `torch.add(x, y, out=)`", m(py, "torch_add_out"), p(py, "torch_add_out", "p10"),
         p(py, "torch_add_out", "p90"), ratio(m(py, "torch_add_out"), raw)],
    ]
    out = [f"### Launch overhead: vector_add fp16, n = {r.get('n')}, sm_{r.get('arch')} (host µs per call)", "",
           table(["launcher", "median µs", "p10", "p90", "÷ raw launch"], rows), "",
           f"plugin enqueue ÷ raw cuLaunchKernel = {fmt(r.get('plugin_vs_raw'))} (target ≤ {TARGET_PLUGIN_VS_RAW}: "
           f"{'meets' if (r.get('plugin_vs_raw') or 99) <= TARGET_PLUGIN_VS_RAW else 'MISSES'}). "
           f"Same cubin as the plugin embeds: {fmt(r.get('cubin_in_plugin'))}.", "",
           "CUDA graph of 1000 captured launches, per launch (µs):", "",
           table(["captured launcher", "host µs (cuGraphLaunch ÷ 1000)", "device µs (events ÷ 1000)"],
                 [["C++ plugin enqueue", m(gh, "plugin_enqueue"), m(gd, "plugin_enqueue")],
                  ["C++ raw cuLaunchKernel", m(gh, "raw_cuLaunchKernel"), m(gd, "raw_cuLaunchKernel")],
                  ["Python Triton JIT", m(pgh, "triton_jit"), m(pgd, "triton_jit")],
                  ["Python plugin (ctypes host)", m(pgh, "plugin_ctypes_host"), m(pgd, "plugin_ctypes_host")]]),
           "", f"Eager back-to-back launches, device µs per launch: plugin {fmt(m(ed, 'plugin_enqueue'))}, raw "
               f"{fmt(m(ed, 'raw_cuLaunchKernel'))} (when this exceeds the graph's per-launch device time, eager "
               "launches are host-bound)."]
    return "\n".join(out) + "\n"
