"""``plugingen tune``: measure, on this machine's GPU, which autotune config is fastest at each bucket of an autotuned
kernel's ``key``, and write the tuning table (``tuning_table``) a build with ``--tuning`` reads.

The workspace's library (built without a table, so it holds every config for this GPU's arch) runs each config
through the plugin's own enqueue (``PluginRunner.time``: CUDA-graph replay, as TensorRT's builder times tactics) at
one shape per bucket: the dims given by ``--dims`` (the rules' dim names; a range ``lo:hi`` is visited at its ends
and every power of two between), the key values computed from them as the plugin computes them.
"""
from __future__ import annotations

import itertools
import json
import logging
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from . import config as config_stage
from . import expr, tuning_table
from .errors import PluginGenError
from .model import ArgKind, KernelSpec, default_plugin_name

log = logging.getLogger("plugingen")


def parse_dims(text: str) -> Dict[str, Tuple[int, int]]:
    """``m=1:8192,k=4096`` -> {'m': (1, 8192), 'k': (4096, 4096)}."""
    dims: Dict[str, Tuple[int, int]] = {}
    for item in filter(None, (t.strip() for t in text.split(","))):
        name, _, value = item.partition("=")
        lo, _, hi = value.partition(":")
        try:
            bounds = (int(lo), int(hi or lo))
        except ValueError:
            raise PluginGenError(f"--dims: '{item}' is not name=N or name=LO:HI")
        if not name.strip().isidentifier() or bounds[0] < 1 or bounds[0] > bounds[1]:
            raise PluginGenError(f"--dims: '{item}' is not name=N or name=LO:HI with 1 <= LO <= HI")
        dims[name.strip()] = bounds
    return dims


def dim_values(lo: int, hi: int) -> List[int]:
    """The values a dim range is tuned at: its ends and every power of two between."""
    return sorted({lo, hi, *(2 ** e for e in range(hi.bit_length()) if lo <= 2 ** e <= hi)})


def input_shapes(spec: KernelSpec, dims: Mapping[str, int]) -> List[Tuple[int, ...]]:
    """Each input's shape for dim values ``dims`` (by the rules' names); an error naming what is missing."""
    patterns = {}
    for rule in [s.rule for s in spec.output_shapes] + [v.rule for v in spec.dim_size_values]:
        for pattern in rule.inputs:
            patterns.setdefault(pattern.name, pattern)
    shapes = []
    for arg in spec.inputs:
        pattern = patterns.get(arg.name)
        if pattern is None:
            raise PluginGenError(f"tune: input '{arg.name}' of '{spec.kernel_name}' is in no shape rule, so its shape "
                                 "cannot be made from --dims")
        missing = [d for d in pattern.dims if isinstance(d, str) and d not in dims]
        if missing:
            named = sorted({d for p in patterns.values() for d in p.dims if isinstance(d, str)})
            raise PluginGenError(f"tune: --dims lacks {', '.join(missing)} (the rules of '{spec.kernel_name}' name "
                                 f"{', '.join(named)})")
        shapes.append(tuple(d if isinstance(d, int) else dims[d] for d in pattern.dims))
    return shapes


def _key_values(spec: KernelSpec, shapes, fields: Mapping[str, object]) -> Dict[str, int]:
    env = spec.dim_size_env(shapes)
    env.update((a.name, int(fields[a.name])) for a in spec.fields if a.name in fields and a.is_int_scalar)
    env.update((a.name, int(a.value)) for a in spec.args if a.is_int_constexpr)
    return env


def check_key(spec: KernelSpec) -> None:
    usable = {a.name for a in spec.args if a.kind is ArgKind.DIM_SIZE or a.is_int_constexpr
              or (a.kind is ArgKind.PARAM and a.is_int_scalar)}
    bad = [k for k in spec.tuning_key if k not in usable]
    if bad:
        raise PluginGenError(f"tune: the autotune key of '{spec.kernel_name}' names {', '.join(bad)}, which is not an "
                             "integer DimSizeArg, ParamArg or constexpr: plugins bucket integer key values only")


def tune(workspace: Path, config_file: Path, dims: Mapping[str, Tuple[int, int]], fields: Mapping[str, object],
         out: Path, kernels: Optional[Sequence[str]] = None, launches: int = 20, repeats: int = 5) -> Path:
    """Tune every autotuned kernel of the config (or those named) on the current GPU; writes (merges into) ``out``."""
    try:
        import torch
    except ImportError:
        raise PluginGenError("tune: needs torch (with CUDA) to run the plugins on the GPU: pip install torch")
    import triton

    from .testing import PluginRunner

    if not torch.cuda.is_available():
        raise PluginGenError("tune: no CUDA GPU here; run plugingen tune on the machine the engines will run on")
    major, minor = torch.cuda.get_device_capability()
    arch = major * 10 + minor
    library = workspace / "output" / "libtriton_plugins.so"
    manifest_path = workspace / "output" / "manifest.json"
    if not library.is_file() or not manifest_path.is_file():
        raise PluginGenError(f"tune: {workspace}/output has no library; build it first (without --tuning, --arch "
                             f"including {arch})")
    built_with = json.loads(manifest_path.read_text())
    if built_with.get("triton") != triton.__version__:
        raise PluginGenError(f"tune: the library was built with Triton {built_with.get('triton')}, this is "
                             f"{triton.__version__}: tune (and build with the table) with the same Triton")
    manifest = {k["plugin"]: k for k in built_with["kernels"]}
    spec = config_stage.load_config(config_file, (arch,), None)
    chosen = [s for s in spec.kernels if len(s.tactics) > 1 and s.tuning_key
              and (not kernels or s.kernel_name in kernels or s.plugin_name in kernels)]
    if not chosen:
        raise PluginGenError(f"tune: {config_file.name} has no autotuned kernel with a key"
                             + (f" among {', '.join(kernels)}" if kernels else ""))
    entries = _existing(out)
    with PluginRunner(library) as runner:
        for s in chosen:
            check_key(s)
            built = manifest.get(s.plugin_name)
            if built is None or built.get("tuning") is not None:
                raise PluginGenError(f"tune: the library in {workspace}/output was built "
                                     f"{'without' if built is None else 'with a tuning table for'} '{s.plugin_name}'; "
                                     "rebuild it without --tuning (every config) to tune")
            if not any(i["arch"] == arch and i["cubin"] for i in built["images"]):
                raise PluginGenError(f"tune: the library has no sm_{arch} cubins of '{s.kernel_name}'; rebuild with "
                                     f"--arch {arch}")
            rows = _tune_kernel(runner, s, dims, fields, launches, repeats)
            entry = entries.get(s.plugin_name)
            archs = dict(entry["archs"]) if entry and not tuning_table.stale(entry, s, triton.__version__) else {}
            archs = {int(a[3:]): r for a, r in archs.items()}
            archs[arch] = rows
            entries[s.plugin_name] = tuning_table.kernel_entry(s, triton.__version__, archs)
    out.write_text(tuning_table.dump([entries[k] for k in sorted(entries)]))
    return out


def _existing(out: Path) -> Dict[str, dict]:
    try:
        data = json.loads(out.read_text())
    except (OSError, ValueError):
        return {}
    return {e.get("plugin") or default_plugin_name(e["kernel"]): e for e in data.get("kernels", ())
            if isinstance(e, dict) and "kernel" in e}


def _tune_kernel(runner, spec: KernelSpec, dims: Mapping[str, Tuple[int, int]], fields: Mapping[str, object],
                 launches: int, repeats: int) -> List[dict]:
    import torch

    names = sorted(dims)
    shapes_by_bucket: Dict[tuple, list] = {}
    for values in itertools.product(*(dim_values(*dims[n]) for n in names)):
        shapes = input_shapes(spec, dict(zip(names, values)))
        env = _key_values(spec, shapes, fields)
        bucket = tuple(expr.next_power_of_2(env[k]) for k in spec.tuning_key)
        shapes_by_bucket.setdefault(bucket, shapes)
    rows = []
    dtypes = [getattr(torch, spec.dtype_of(a, 0).torch) for a in spec.inputs]
    for index, (bucket, shapes) in enumerate(sorted(shapes_by_bucket.items())):
        inputs = [torch.randn(shape, device="cuda").to(dtype) if dtype.is_floating_point else
                  torch.randint(0, 8, shape, device="cuda", dtype=dtype) for shape, dtype in zip(shapes, dtypes)]
        times = runner.time(spec.plugin_name, fields, inputs, list(range(1, len(spec.tactics) + 1)),
                            launches=launches, repeats=repeats)
        if not times:
            log.warning("tune: %s refuses every config at %s (bucket %s): left out", spec.kernel_name, shapes, bucket)
            continue
        best = min(times, key=times.get)
        rows.append({"bucket": list(bucket), "tactic": best,
                     "us": [round(times[t], 2) if t in times else None for t in range(1, len(spec.tactics) + 1)]})
        log.info("tune: %s %s %d/%d: bucket %s -> config %d (%.1f us)", spec.kernel_name,
                 dict(zip(spec.tuning_key, bucket)), index + 1, len(shapes_by_bucket), bucket, best, times[best])
    return rows
