"""Shared helpers for the benchmarks: machine description, statistics, result files, Markdown tables.

Nothing here touches a GPU unless asked (``gpu_info`` imports torch lazily)."""
from __future__ import annotations

import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
if str(ROOT) not in sys.path:  # plugingen is used from the checkout (PYTHONPATH=<repo> also works)
    sys.path.insert(0, str(ROOT))


class BenchError(RuntimeError):
    """A benchmark cannot run (no GPU, missing tool); the message says what is missing."""


# ---------------------------------------------------------------------------------------------- statistics

def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def quantile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile (q in [0, 1]); NaN for an empty list."""
    if not values:
        return float("nan")
    s = sorted(values)
    pos = q * (len(s) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return float(s[lo] + (s[hi] - s[lo]) * (pos - lo))


def summary(values: Sequence[float]) -> Dict[str, float]:
    """median, p10, p90, min, n of a list of samples."""
    return {"median": median(values), "p10": quantile(values, 0.1), "p90": quantile(values, 0.9),
            "min": float(min(values)) if values else float("nan"), "n": len(values)}


def ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    if a is None or b is None or b == 0 or a != a or b != b:
        return None
    return a / b


# ---------------------------------------------------------------------------------------------- machine

def _run_text(command: List[str], timeout: float = 20) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def cpu_info() -> Dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 1
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gib = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return {"cpu_model": model or platform.processor(), "cpu_count": os.cpu_count(), "cpu_usable": usable,
            "mem_gib": mem_gib}


def tool_versions() -> Dict[str, str]:
    versions = {"python": platform.python_version()}
    for name, command in (("gxx", ["g++", "--version"]), ("cmake", ["cmake", "--version"]),
                          ("ninja", ["ninja", "--version"]), ("nvcc", ["nvcc", "--version"])):
        text = _run_text(command)
        versions[name] = (text.splitlines()[-1] if name == "nvcc" else text.splitlines()[0]) if text else ""
    try:
        import triton

        versions["triton"] = triton.__version__
    except Exception:  # noqa: BLE001 - reported, not fatal
        versions["triton"] = ""
    try:
        import numpy

        versions["numpy"] = numpy.__version__
    except Exception:  # noqa: BLE001
        versions["numpy"] = ""
    return versions


def gpu_info() -> Dict[str, Any]:
    """GPU name, driver, CUDA, torch; raises BenchError without torch + a CUDA GPU."""
    try:
        import torch
    except ImportError as exc:
        raise BenchError(f"the GPU benchmarks need torch with CUDA ({exc})") from None
    if not torch.cuda.is_available():
        raise BenchError("the GPU benchmarks need a CUDA GPU; torch.cuda.is_available() is False "
                         "(run without --gpu for the CPU build benchmark)")
    props = torch.cuda.get_device_properties(0)
    smi = _run_text(["nvidia-smi", "--query-gpu=driver_version,clocks.max.sm,clocks.max.mem,power.limit,"
                     "persistence_mode,clocks.sm,temperature.gpu", "--format=csv,noheader,nounits"])
    fields = [f.strip() for f in smi.split(",")] if smi else []
    keys = ["driver", "max_sm_clock_mhz", "max_mem_clock_mhz", "power_limit_w", "persistence_mode",
            "sm_clock_mhz_at_start", "temperature_c_at_start"]
    info: Dict[str, Any] = {"gpu_name": props.name, "gpu_count": torch.cuda.device_count(),
                            "compute_capability": f"{props.major}.{props.minor}",
                            "sm_count": props.multi_processor_count,
                            "gpu_mem_gib": round(props.total_memory / 2**30, 1),
                            "l2_bytes": getattr(props, "L2_cache_size", None),
                            "torch": torch.__version__, "torch_cuda": torch.version.cuda}
    info.update({k: v for k, v in zip(keys, fields)})
    return info


def machine_info(gpu: bool) -> Dict[str, Any]:
    info: Dict[str, Any] = {"host": platform.node(), "os": platform.platform()}
    info.update(cpu_info())
    info.update(tool_versions())
    if gpu:
        info.update(gpu_info())
    return info


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unknown"


def result_stem(info: Dict[str, Any], when: Optional[datetime.datetime] = None) -> str:
    """``<date>-<gpu>`` (``<date>-cpu-<N>c`` without a GPU), e.g. ``2026-05-09-nvidia-h100-80gb-hbm3``."""
    day = (when or datetime.datetime.now()).strftime("%Y-%m-%d")
    if info.get("gpu_name"):
        return f"{day}-{slug(info['gpu_name'])}"
    return f"{day}-cpu-{info.get('cpu_usable') or info.get('cpu_count')}c"


# ---------------------------------------------------------------------------------------------- output

class Deadline:
    """A wall-clock budget: parts check ``expired`` and skip what is left instead of being killed mid-write."""

    def __init__(self, seconds: Optional[float]) -> None:
        self.end = None if seconds is None else time.monotonic() + seconds

    def left(self) -> float:
        return float("inf") if self.end is None else self.end - time.monotonic()

    @property
    def expired(self) -> bool:
        return self.left() <= 0


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False, default=_json_default) + "\n")
    os.replace(tmp, path)


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):
        return value.item()
    return repr(value)


def fmt(value: Any, digits: int = 3) -> str:
    """A table cell: numbers with ``digits`` significant digits, None as an em dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != value:
            return "—"
        if value == 0:
            return "0"
        return f"{value:.{digits}g}" if abs(value) < 10 ** digits else f"{value:.0f}"
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(fmt(c) for c in row) + " |")
    return "\n".join(lines)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
