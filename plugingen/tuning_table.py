"""The tuning table: which autotune config each bucket of an autotuned kernel's ``key`` runs, measured on a GPU by
``plugingen tune`` and read by a build with ``--tuning``.

A bucket is the next power of two of each key argument's value (``key=['M', 'N', 'K']``, M = 1000 -> 1024). The
table holds, per plugin (an autotuned kernel built as several plugins has an entry each) and per arch, the config
that was fastest at each bucket the tuning run covered. A build with the table compiles only those configs (plus the
first, the fallback) and the plugin picks the config per launch from its bucket (outside the table: the nearest
bucket), so TensorRT and TensorRT-RTX get the per-shape choice with one tactic. The file is JSON::

    {"format": "plugingen-tuning", "version": 1,
     "kernels": [{"plugin": "_matmul_kernelPlugin", "kernel": "_matmul_kernel",
                  "source": "<Triton's hash of the kernel source>", "triton": "3.6.0", "key": ["M", "N", "K"],
                  "configs": ["BLOCK_M=64, BLOCK_N=64, ..., num_warps=4, num_stages=4", ...],
                  "archs": {"sm_90": [{"bucket": [1024, 4096, 4096], "tactic": 3, "us": [41.2, 38.0, 36.9]},
                                      ...]}}]}

``tactic`` is the config's number (1-based, TensorRT's tactic value), ``us`` the measured device time of every
config in microseconds (informational). A table whose kernel source, Triton version, key or config list differs
from the build's is stale: a clear error, never a silent mismatch.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, Mapping, Sequence

from .errors import ConfigError, Location
from .model import ConfigSpec, KernelSpec, Tuning, default_plugin_name

FORMAT = "plugingen-tuning"
VERSION = 1


def kernel_entry(spec: KernelSpec, triton_version: str, archs: Mapping[int, Sequence[dict]]) -> dict:
    """The table's entry for ``spec`` with the given per-arch rows (``{"bucket": [...], "tactic": n, "us": [...]}``)."""
    return {"plugin": spec.plugin_name, "kernel": spec.kernel_name, "source": spec.source_key, "triton": triton_version,
            "key": list(spec.tuning_key), "configs": [t.describe() for t in spec.tactics],
            "archs": {f"sm_{arch}": list(rows) for arch, rows in sorted(archs.items())}}


def dump(entries: Sequence[dict]) -> str:
    return json.dumps({"format": FORMAT, "version": VERSION, "kernels": list(entries)}, indent=1, sort_keys=True) + "\n"


def load(path: Path, config: ConfigSpec, triton_version: str) -> Dict[str, Tuning]:
    """The tuning of each plugin of ``config`` the table at ``path`` names (by plugin name); a config error for a
    table that is not one, names a plugin the config lacks, or is stale."""
    where = Location(str(path))
    try:
        data = json.loads(Path(path).read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read tuning table {path}: {exc.strerror}", where)
    except ValueError as exc:
        raise ConfigError(f"tuning table {path} is not JSON: {exc}", where)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError(f"{path} is not a plugingen tuning table (no \"format\": \"{FORMAT}\")", where,
                          "make one with plugingen tune on a GPU machine")
    if data.get("version") != VERSION:
        raise ConfigError(f"tuning table {path} has version {data.get('version')!r}; this plugingen reads version "
                          f"{VERSION}", where, "re-run plugingen tune")
    specs = {s.plugin_name: s for s in config.kernels}
    found: Dict[str, Tuning] = {}
    for index, entry in enumerate(data.get("kernels") or ()):
        what = f"tuning table {path}, kernels[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("archs"), dict):
            raise ConfigError(f"{what} is not a kernel entry", where)
        name = entry.get("plugin")
        if name is None and isinstance(entry.get("kernel"), str):  # a table from before plugin names
            name = default_plugin_name(entry["kernel"])
        spec = specs.get(name)
        if spec is None:
            raise ConfigError(f"{what} names plugin {name!r}, which {config.config_file.name} does not define "
                              f"(plugins: {', '.join(specs)})", where)
        stale_why = stale(entry, spec, triton_version)
        if stale_why:
            raise ConfigError(f"tuning table {path} is stale for '{name}': {stale_why}", where,
                              "re-run plugingen tune with this kernel, config and Triton")
        tables = []
        for arch_name, rows in sorted(entry["archs"].items()):
            if not (isinstance(arch_name, str) and arch_name.startswith("sm_") and arch_name[3:].isdigit()):
                raise ConfigError(f"{what}: arch {arch_name!r} is not like 'sm_90'", where)
            tables.append((int(arch_name[3:]), tuple(_row(r, spec, f"{what} {arch_name}", where) for r in rows)))
        found[name] = Tuning(tuple(spec.tuning_key), tuple(sorted(tables)))
    return found


def stale(entry: dict, spec: KernelSpec, triton_version: str) -> str:
    """Why ``entry`` does not describe ``spec`` as this build compiles it, or ''."""
    if entry.get("source") != spec.source_key:
        return "the kernel's source (or a function it calls) changed since it was tuned"
    if entry.get("triton") != triton_version:
        return f"it was tuned with Triton {entry.get('triton')}, this build uses {triton_version}"
    if entry.get("key") != list(spec.tuning_key):
        return f"its key {entry.get('key')} is not the kernel's autotune key {list(spec.tuning_key)}"
    if entry.get("configs") != [t.describe() for t in spec.tactics]:
        return "the autotune configs differ from the ones it was tuned with"
    return ""


def _row(row: object, spec: KernelSpec, what: str, where: Location):
    if not isinstance(row, dict) or not isinstance(row.get("bucket"), list) or not isinstance(row.get("tactic"), int):
        raise ConfigError(f"{what}: {row!r} is not a row like {{\"bucket\": [...], \"tactic\": 1}}", where)
    bucket, tactic = row["bucket"], row["tactic"]
    if len(bucket) != len(spec.tuning_key) or not all(isinstance(b, int) and b >= 0 and not b & (b - 1)
                                                        for b in bucket):
        raise ConfigError(f"{what}: bucket {bucket} is not {len(spec.tuning_key)} powers of two (or 0)", where)
    if not 1 <= tactic <= len(spec.tactics):
        raise ConfigError(f"{what}: tactic {tactic} is not one of the kernel's 1..{len(spec.tactics)}", where)
    return tuple(bucket), tactic - 1
