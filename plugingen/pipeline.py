"""The whole run: config -> AOT -> codegen -> build -> output/, one stage after another."""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from pathlib import Path
from typing import Mapping, Optional, Tuple

from . import __version__, aot, build, codegen, config
from .errors import PluginGenError

log = logging.getLogger("plugingen")


@dataclasses.dataclass(frozen=True)
class Options:
    workspace: Path
    kernel_config: Path
    archs: Tuple[int, ...] = aot.DEFAULT_ARCHS
    jobs: int = 1
    trt_include_dir: Optional[str] = None
    cache_dir: Optional[Path] = None  # default WORKSPACE/cache/aot
    env: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Result:
    output: Path
    library: Path
    functional: Path
    headers: str


def prepare_folder(folder: Path, what: str = "workspace") -> Path:
    """``folder``, created if needed; a clear error when it cannot be used."""
    folder = folder.expanduser().absolute()
    if folder.exists() and not folder.is_dir():
        raise PluginGenError(f"{what} {folder} exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise PluginGenError(f"{what} {folder} is not writable: {exc.strerror}")
    return folder


class _Stage:
    def __init__(self, number: int, name: str) -> None:
        self.label = f"[{number}/4] {name}"
        self.start = time.perf_counter()

    def done(self, summary: str) -> None:
        log.info("%s: %s (%.2fs)", self.label, summary, time.perf_counter() - self.start)


def manifest(spec: config.ConfigSpec, compiled, archs, headers: build.TrtHeaders) -> str:
    import triton

    kernels = []
    for kernel in compiled:
        s = kernel.spec
        kernels.append({
            "kernel": s.kernel_name, "plugin": s.plugin_name, "version": s.version, "namespace": s.namespace,
            "fields": [{"name": p.name, "dtype": p.dtype.abbr} for p in s.fields],
            "inputs": [{"name": p.name, "dtype": p.dtype.abbr} for p in s.inputs],
            "outputs": [{"name": p.name, "dtype": p.dtype.abbr} for p in s.outputs],
            "variants": [[p.name + ":" + h for p, h in zip(s.params, v.hints) if h] for v in s.variants],
            "images": [{"variant": s.variants.index(c.variant), "arch": c.arch, "entry": c.entry,
                        "shared": c.shared, "scratch": c.scratch, "ptx": bool(c.ptx)} for c in kernel.variants],
        })
    data = {"plugingen": __version__, "triton": triton.__version__, "config": spec.config_file.name,
            "archs": list(archs), "trt_headers": "sdk" if headers.use_sdk else "plugingen", "kernels": kernels}
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def run(options: Options) -> Result:
    workspace = prepare_folder(options.workspace)
    cache_dir = prepare_folder(options.cache_dir, "--cache-dir") if options.cache_dir else workspace / "cache" / "aot"

    stage = _Stage(1, "config")
    spec = config.load_config(options.kernel_config)
    stage.done(f"{len(spec.kernels)} kernel(s): " + ", ".join(k.kernel_name for k in spec.kernels))

    stage = _Stage(2, "aot")
    compiled = aot.compile_kernels(spec, options.archs, cache_dir, options.jobs,
                                   progress=lambda msg: log.debug("aot: %s", msg))
    images = sum(len(k.variants) for k in compiled)
    stage.done(f"{images} image(s) for sm_{', sm_'.join(map(str, sorted(set(options.archs))))}")

    stage = _Stage(3, "codegen")
    headers = build.find_trt_headers(options.trt_include_dir, options.env)
    log.info("TensorRT headers: %s", headers.description)
    sources = codegen.generate(spec, compiled, headers.include_dirs, headers.use_sdk)
    changed = build.write_sources(sources, workspace / "src")
    stage.done(f"{len(sources.files)} file(s), {changed} changed")

    stage = _Stage(4, "build")
    toolchain = build.find_toolchain(options.env)
    library = build.build_library(workspace / "src", workspace / "build", toolchain, options.jobs,
                                  lambda line: log.debug("build: %s", line))
    outputs = {name: text.encode() for name, text in sources.python}
    outputs[build.LIBRARY_NAME] = library.read_bytes()
    outputs["manifest.json"] = manifest(spec, compiled, options.archs, headers).encode()
    output = build.publish(workspace, outputs)
    stage.done(f"{output / build.LIBRARY_NAME}")
    return Result(output, output / build.LIBRARY_NAME, output / "functional.py", headers.description)
