"""What ``plugingen check`` and ``plugingen doctor`` say: a validated config as the plugin ABI it defines, and this
machine as the build sees it. Text only; ``cli`` prints it."""
from __future__ import annotations

import ctypes
import dataclasses
import importlib
import math
import platform
import subprocess
from pathlib import Path
from typing import List, Mapping, Optional, Sequence, Tuple

from . import __version__, aot, expr, plan, toolchain, triton_compat
from .errors import PluginGenError
from .model import ArgKind, ConfigSpec


# ------------------------------------------------------------------------------------------------ check
DEFAULT_IMAGE_SECONDS = 1.0  # a Triton compile's time on one core when the cache knows none of the kernel's


def describe_config(spec: ConfigSpec, planned: plan.Plan, cache_dir: Optional[Path] = None, jobs: int = 1) -> str:
    """Every kernel's plugin: names, fields, tensors, rules, grid, and the plan: what is compiled for which archs,
    how much of it the AOT cache ``cache_dir`` holds, and about how long the rest takes with ``jobs`` compiles."""
    return "\n\n".join(describe_kernel(k, planned.archs, cache_dir, jobs) for k in planned.kernels)


def describe_kernel(kernel: plan.KernelPlan, archs: Tuple[int, ...], cache_dir: Optional[Path] = None,
                    jobs: int = 1) -> str:
    spec = kernel.spec
    rules = {shape.output: expr.render_rule(shape.rule) for shape in spec.output_shapes}
    values = {v.target: expr.render_rule(v.rule) for v in spec.dim_size_values}
    lines = [f"{spec.kernel_name} ({spec.kernel_file.name}) -> plugin '{spec.plugin_name}' version {spec.version} "
             f"namespace '{spec.namespace}'; functional.{spec.function_name}(), onnx_plugins.{spec.function_name}_node()"]

    def row(label: str, items: Sequence[str], joiner: Optional[str] = ", ") -> None:
        """One line; with joiner None, one line per item."""
        if joiner is None:
            for index, item in enumerate(items or ["-"]):
                lines.append(f"  {(label + ':') if index == 0 else '':<15}{item}")
            return
        lines.append(f"  {label + ':':<15}{joiner.join(items) if items else '-'}")

    if len(spec.signatures) > 1:
        row("signatures", [s.describe() for s in spec.signatures], " | ")
    row("fields", [f"{a.name}: {a.type_text}" + (f" (stored {spec.field_dtype(a).abbr})" if a.type_var else "")
                   for a in spec.fields])
    row("inputs", [f"{a.name}: {a.type_text}" for a in spec.inputs])
    absent = [a.name for a in spec.args if a.kind is ArgKind.CONSTEXPR and a.value is None]
    if absent:
        row("absent", [", ".join(absent) + " (Constexpr(None): optional inputs the plugin passes no tensor for)"])
    for a in spec.outputs:
        alias = f", in place: is input '{a.alias}'" if a.alias else ""
        row("output", [f"{a.name}: {a.type_text} from '{rules[a.slot]}'{alias}"])
    for v in spec.dim_size_values:
        what = f"DimSizeArg {v.target}: {v.dtype.abbr}" if v.is_argument else f"launch value {v.target}"
        row("computed", [f"{what} from '{values[v.target]}'"])
    row("grid", [f"({', '.join(expr.render(axis) for axis in spec.grid)})"])
    row("constraints", [c.text for c in spec.constraints])
    per_launch = [h.name for h in spec.heuristics if h.option]
    row("tactics", [f"{i + 1}: {t.describe()}" for i, t in enumerate(spec.tactics)]
        + ([f"({' and '.join(per_launch)} chosen per launch by a heuristic)"] if per_launch else []), None)
    if spec.tuning_key:
        row("autotune key", list(spec.tuning_key))
    if kernel.tuning is not None:
        row("tuning table", [f"sm_{arch}: {len(entries)} buckets, configs "
                             f"{', '.join(str(t + 1) for t in kernel.tuning.winners(arch))}"
                             for arch, entries in kernel.tuning.tables] + ["config 1 elsewhere"], "; ")
    row("heuristics", [f"{h.name} = {expr.render(h.expr)} in {list(h.domain)}" for h in spec.heuristics], None)
    if spec.heuristics:
        combos = sum(len({p.choice for p in kernel.points if p.tactic == t}) for t in kernel.tactics)
        full = len(kernel.tactics) * math.prod(len(h.domain) for h in spec.heuristics)
        row("reachable", [f"{combos} of {full} (tactic, heuristic values) combinations"])
    row("variants", [spec.describe(v) for v in spec.variants], None)
    row("images", _plan_lines(kernel, archs, cache_dir, jobs), None)
    return "\n".join(lines)


def _plan_lines(kernel: plan.KernelPlan, archs: Tuple[int, ...], cache_dir: Optional[Path], jobs: int) -> List[str]:
    """Cubins per arch, the portable PTX, and (with a cache) how many are cached and an estimated build time."""
    import triton

    cubins = [sum(i.cubin and i.arch == arch for i in kernel.images) for arch in archs]
    ptx = sorted({i.arch for i in kernel.images if i.ptx})
    out = [", ".join(f"sm_{arch}{'a' if plan.is_arch_specific(arch) else ''}: {count}"
                     for arch, count in zip(archs, cubins))]
    out.append(f"portable PTX sm_{', sm_'.join(map(str, ptx))}: {sum(i.ptx for i in kernel.images)}" if ptx else
               "no portable PTX (only the --arch GPUs run it)")
    keys = {aot._job_for(kernel.spec, i.point, i.arch, triton.__version__).key for i in kernel.images}
    if cache_dir is None:
        out.append(f"{len(keys)} Triton compiles")
        return out
    seconds = [r.get("seconds") for r in (aot._cached(cache_dir, k) for k in keys) if r is not None]
    cached = len(seconds)
    known = [s for s in seconds if isinstance(s, (int, float))]
    each = sum(known) / len(known) if known else DEFAULT_IMAGE_SECONDS
    left = each * (len(keys) - cached) / max(jobs, 1)
    if cached == len(keys):
        out.append(f"{len(keys)} Triton compiles, all cached")
        return out
    out.append(f"{len(keys)} Triton compiles, {cached} cached; about {left / 60:.1f} min to compile the rest with "
               f"-j {jobs} ({each:.2f} s each{'' if known else ', a guess: nothing of it is cached'})")
    return out


# ------------------------------------------------------------------------------------------------ doctor
@dataclasses.dataclass(frozen=True)
class Finding:
    what: str
    ok: bool
    detail: str
    needed: bool  # a build cannot succeed without it
    fix: str = ""

    def line(self) -> str:
        mark = "ok  " if self.ok else ("FAIL" if self.needed else "--  ")
        fix = f"  -> {self.fix}" if not self.ok and self.fix else ""
        return f"{mark} {self.what + ':':<22}{self.detail}{fix}"


def _tool(what: str, find, fix: str) -> Finding:
    try:
        found = find()
    except PluginGenError as exc:
        return Finding(what, False, exc.message, True, exc.hint or fix)
    return Finding(what, True, found, True)


def _module(name: str, what: str, needed: bool, fix: str, version: str = "__version__") -> Finding:
    try:
        module = importlib.import_module(name)
    except Exception as exc:  # noqa: BLE001 - any import failure means "not usable here"
        return Finding(what, False, f"not importable ({type(exc).__name__}: {str(exc).splitlines()[0][:80]})",
                       needed, fix)
    return Finding(what, True, f"{getattr(module, version, '?')} ({module.__file__})", needed)


def _triton() -> Finding:
    supported = triton_compat.supported_range()
    found = _module("triton", "Triton", True, f"pip install 'triton>={supported.split()[0]}'")
    if not found.ok:
        return found
    import triton

    try:
        release = triton_compat.require_supported(triton.__version__)
    except PluginGenError as exc:
        return Finding("Triton", False, exc.message, True, exc.hint)
    note = "" if release <= triton_compat.NEWEST else f"; newer than the newest proven ({supported})"
    return dataclasses.replace(found, detail=found.detail + (note or f"; supported: {supported}"))


def _compiler_version(cxx: str) -> str:
    try:
        done = subprocess.run([cxx, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return cxx
    return f"{cxx} ({(done.stdout.splitlines() or ['?'])[0]})"


def _gpus() -> Finding:
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return Finding("GPU", False, "no CUDA driver (libcuda.so.1)", False,
                       "not needed to build; plugins run where a driver and GPU are")
    count, major, minor = ctypes.c_int(0), ctypes.c_int(0), ctypes.c_int(0)
    if cuda.cuInit(0) != 0 or cuda.cuDeviceGetCount(ctypes.byref(count)) != 0 or count.value == 0:
        return Finding("GPU", False, "a CUDA driver but no usable device", False, "not needed to build")
    cuda.cuDeviceGetAttribute(ctypes.byref(major), 75, 0)
    cuda.cuDeviceGetAttribute(ctypes.byref(minor), 76, 0)
    cc = major.value * 10 + minor.value
    hint = "" if cc in aot.SUPPORTED_ARCHS else f" (not a supported --arch: {', '.join(map(str, aot.SUPPORTED_ARCHS))})"
    return Finding("GPU", True, f"{count.value} device(s), the first sm_{cc}{hint}; build with --arch including {cc}",
                   False)


def diagnose(env: Mapping[str, str], trt_include_dir: Optional[str] = None) -> List[Finding]:
    """What a build and a test run would find on this machine."""
    findings = [Finding("plugingen", True, f"{__version__} on Python {platform.python_version()}", True),
                _triton()]
    findings.append(_tool("C++ compiler", lambda: _compiler_version(toolchain.find_cxx(env)), "install g++"))
    findings.append(_tool("CMake", toolchain.find_cmake, "pip install cmake"))
    ninja = toolchain.find_ninja()
    findings.append(Finding("Ninja", bool(ninja), ninja or "not found (CMake's default generator is used)", False,
                            "pip install ninja (faster builds)"))
    findings.append(_tool("TensorRT headers", lambda: toolchain.find_trt_headers(trt_include_dir, env).description,
                          "fix --trt-include-dir / TENSORRT_ROOT, or leave them unset to use plugingen's own"))
    findings.append(_module("tensorrt", "TensorRT (Python)", False,
                            "only functional.py needs it; pip install tensorrt where NVIDIA's index is reachable"))
    findings.append(_rtx())
    findings.append(_module("onnx", "onnx", False, "pip install onnx (onnx_plugins.py builds nodes with it)"))
    findings.append(_module("torch", "torch", False, "pip install torch (PluginRunner and the GPU tests)"))
    findings.append(_gpus())
    return findings


def _rtx() -> Finding:
    """TensorRT-RTX's wheels need their library loaded globally before the bindings import."""
    try:
        libs = importlib.import_module("tensorrt_rtx_libs")
        from pathlib import Path

        ctypes.CDLL(str(Path(libs.__file__).parent / "libtensorrt_rtx.so.1"), mode=ctypes.RTLD_GLOBAL)
    except Exception as exc:  # noqa: BLE001
        return Finding("TensorRT-RTX", False, f"not importable ({type(exc).__name__})", False,
                       "bash .ci/install_trt_rtx.sh (its CPU tests then run)")
    return _module("tensorrt_rtx_bindings", "TensorRT-RTX", False, "bash .ci/install_trt_rtx.sh")
