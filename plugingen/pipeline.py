"""The whole run: config -> AOT -> codegen -> build -> output/, one stage after another."""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from pathlib import Path
from typing import Callable, Mapping, Optional, Tuple

from . import __version__, aot, build, codegen, config, plan, specialise, toolchain, tuning_table
from .errors import Location, PluginGenError

log = logging.getLogger("plugingen")


@dataclasses.dataclass(frozen=True)
class Options:
    workspace: Path
    kernel_config: Path
    archs: Tuple[int, ...] = aot.DEFAULT_ARCHS
    ptx_arch: Optional[int] = None  # the portable PTX's arch (plan.ptx_arch); None: from archs; plan.NO_PTX: none
    tuning: Optional[Path] = None  # a tuning table (plugingen tune): configs chosen per bucket of the autotune key
    status: Callable[[int, int, int], None] = lambda done, total, cached: None  # AOT progress (cli.Progress)
    jobs: int = 1
    trt_include_dir: Optional[str] = None
    cache_dir: Optional[Path] = None  # default WORKSPACE/cache/aot
    strict: bool = False  # config warnings are errors
    max_variants: Optional[int] = specialise.DEFAULT_MAX_VARIANTS  # hint variants per tactic; None: the config's
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


def check_name(text: str, what: str, loc: Optional[Location] = None, also: str = "") -> None:
    """Refuses a control character (a newline), or one of ``also``, in a name the generated files or CMake hold: the
    sources name the config and kernel files in comments (C++, CMake, Python), which a newline ends, and CMake takes
    the workspace's path as a ';'-separated list."""
    bad = sorted({c for c in text if ord(c) < 32 or ord(c) == 127 or c in also})
    if bad:
        shown = ascii(text)[1:-1]
        raise PluginGenError(f"{what} '{shown}' has {', '.join(ascii(c) for c in bad)}, which the generated build "
                             "cannot hold", loc or Location(shown), hint="rename it")


class _Stage:
    def __init__(self, number: int, name: str) -> None:
        self.label = f"[{number}/4] {name}"
        self.start = time.perf_counter()

    def done(self, summary: str) -> None:
        log.info("%s: %s (%.2fs)", self.label, summary, time.perf_counter() - self.start)


def load_tuning(path: Path, spec) -> dict:
    import triton

    return tuning_table.load(path, spec, triton.__version__)


def run(options: Options) -> Result:
    """The build, holding the workspace's lock throughout, with its temporaries inside the workspace."""
    check_name(str(options.workspace), "workspace", also=";")
    check_name(options.kernel_config.name, "kernel config file name", Location(ascii(str(options.kernel_config))[1:-1]))
    workspace = prepare_folder(options.workspace)
    try:
        with build.workspace_lock(workspace, lambda msg: log.info("plugingen: %s", msg)), \
                build.scratch_folder(workspace) as tmp:
            return _run(options, workspace, tmp)
    except OSError as exc:  # the machine, not plugingen: a full disk, a folder that became unwritable
        raise PluginGenError(f"the build cannot write or read this file: {exc.strerror or exc}",
                             Location(exc.filename) if exc.filename else None) from exc


def _run(options: Options, workspace: Path, tmp: Path) -> Result:
    cache_dir = prepare_folder(options.cache_dir, "--cache-dir") if options.cache_dir else workspace / "cache" / "aot"

    # what the build needs from this machine, found before anything is compiled so that a mistake shows at once
    headers = toolchain.find_trt_headers(options.trt_include_dir, options.env)
    tools = toolchain.find_toolchain(options.env)

    stage = _Stage(1, "config")
    spec = config.load_config(options.kernel_config, options.archs, options.max_variants)
    for kernel in spec.kernels:
        check_name(kernel.kernel_file.name, "kernel file name", kernel.loc)
    if options.strict and spec.warnings:
        raise config.ConfigErrors([PluginGenError(f"{w.message} (--strict)", w.loc, w.hint) for w in spec.warnings])
    for warning in spec.warnings:
        log.warning("%s", warning)
    for kernel in spec.kernels:
        automatic = [kernel.describe(v) for v in kernel.variants if v.automatic]
        if automatic:
            log.info("%s: %d hint variants (%d automatic, --max-variants %s): %s", kernel.plugin_name,
                     len(kernel.variants), len(automatic), options.max_variants, " | ".join(automatic))
    stage.done(f"{len(spec.kernels)} plugin(s): " + ", ".join(k.plugin_name for k in spec.kernels))

    stage = _Stage(2, "aot")
    tuning = load_tuning(options.tuning, spec) if options.tuning else None
    planned = plan.make_plan(spec, options.archs, options.ptx_arch, tuning)
    for kernel in planned.kernels:
        if kernel.tuning is not None:
            log.info("%s: tuning table: configs %s (of %d) by the bucket of %s", kernel.spec.plugin_name,
                     ", ".join(str(t + 1) for t in kernel.tactics), len(kernel.spec.tactics),
                     ", ".join(kernel.tuning.key))
    compiled = aot.compile_kernels(planned, cache_dir, options.jobs,
                                   progress=lambda msg: log.debug("aot: %s", msg),
                                   notice=lambda msg: log.info("%s", msg), status=options.status, tmp_dir=tmp)
    cubins = sum(bool(i.cubin) for k in compiled.kernels for i in k.images)
    ptx = sorted({i.target for k in compiled.kernels for i in k.images if i.ptx})
    stage.done(f"{cubins} cubin(s) for sm_{', sm_'.join(map(str, compiled.archs))}; "
               + (f"portable PTX for {', '.join(ptx)}" if ptx else "no portable PTX"))

    stage = _Stage(3, "codegen")
    sources = codegen.generate(compiled)
    changed = build.write_sources(sources, workspace / "src")
    stage.done(f"{len(sources.files)} file(s), {changed} changed")

    stage = _Stage(4, "build")
    log.info("TensorRT headers: %s", headers.description)
    library = build.build_library(workspace / "src", workspace / "build", tools, headers, options.jobs,
                                  lambda line: log.debug("build: %s", line), tmp)
    outputs = {name: text.encode() for name, text in sources.python}
    outputs[build.LIBRARY_NAME] = library.read_bytes()
    manifest = compiled.manifest(__version__, "sdk" if headers.use_sdk else "plugingen")
    outputs["manifest.json"] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    output = build.publish(workspace, outputs)
    stage.done(f"{output / build.LIBRARY_NAME}")
    return Result(output, output / build.LIBRARY_NAME, output / "functional.py", headers.description)
