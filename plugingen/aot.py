"""Stage 2: AOT-compile every (kernel, tactic, heuristic values, hint variant, arch) with Triton's compile API — no
GPU needed.

Results are content-addressed in a cache folder: the key covers the kernel's source and the sources of
the jit functions it calls (Triton's own ``cache_key``), the signature, constexprs, hints, options, target
and the Triton version, so an unchanged rebuild compiles nothing.
A result is cached only when it is a fact about the kernel: an image, or Triton's refusal of an optional image; a
compile a signal or a lack of memory ended (``CompileStopped``) fails the build and is never cached.
"""
from __future__ import annotations

import ast
import concurrent.futures
import concurrent.futures.process
import contextlib
import dataclasses
import errno
import hashlib
import inspect
import json
import logging
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple

from . import build, loader, triton_compat
from .errors import BuildError, Location
from .model import CompiledConfig, CompiledKernel, Image, KernelSpec, LaunchParam, Point, TensorMap
from .plan import DEFAULT_PTX_ARCH, FIRST_ARCH_SPECIFIC, is_arch_specific  # noqa: F401 (the CLI's arch facts)
from .plan import Plan, PlannedImage

DEFAULT_ARCHS: Tuple[int, ...] = (80, 86, 89, 90, 100, 120)  # Ampere to Blackwell (data centre and GeForce)
SUPPORTED_ARCHS: Tuple[int, ...] = (75, 80, 86, 87, 89, 90, 100, 103, 120, 121)


@dataclasses.dataclass(frozen=True)
class _Job:
    kernel_file: str
    kernel_name: str
    signature: Tuple[Tuple[str, str], ...]
    constexprs: Tuple[Tuple[str, object], ...]
    divisible: Tuple[int, ...]
    arch: int
    options: Tuple[Tuple[str, object], ...]  # Triton compile options (CompileOptions, fp fusion)
    key: str
    label: str  # what the point specialises, for the build log
    values: str = ""  # the constexpr values this image has and others may not (its tactic's, its heuristics'), or ''


def _job_for(spec: KernelSpec, point: Point, arch: int, triton_version: str) -> _Job:
    signature = spec.triton_signature(point)
    constexprs = [(name, value) for name, kind, value, _ in signature if kind == "constexpr"]
    divisible = [index for index, (*_, div16) in enumerate(signature) if div16]
    signature = [(name, kind) for name, kind, _, _ in signature]
    options = [*spec.compile_options(point, arch).compile_options(), ("enable_fp_fusion", triton_compat.fp_fusion())]
    job = dict(kernel=spec.kernel_name, fn=spec.source_key, signature=signature, constexprs=constexprs,
               divisible=divisible, arch=arch, options=options, triton=triton_version,
               format=6)  # 6: entries of 5 may hold a killed compile's failure as the kernel's
    key = hashlib.sha256(json.dumps(job, sort_keys=True, default=repr).encode()).hexdigest()
    values = [*spec.tactics[point.tactic].meta, *((h.name, v) for h, v in zip(spec.heuristics, point.choice))]
    return _Job(str(spec.kernel_file), spec.kernel_name, tuple(signature), tuple(constexprs), tuple(divisible), arch,
                tuple(options), key, spec.describe_point(point), ", ".join(f"{n}={v!r}" for n, v in values))


_PTX_ENTRY = re.compile(r"\.entry\s+(\w+)\s*\((.*?)\)", re.S)
_PTX_TARGET = re.compile(r"^\s*\.target\s+(sm_\d+a?)", re.M)


def ptx_target(ptx: str) -> str:
    """The SM a PTX module is compiled for: ``sm_80``, or ``sm_90a`` (arch-specific)."""
    match = _PTX_TARGET.search(ptx)
    if not match:
        raise BuildError("Triton produced PTX without a .target")
    return match.group(1)
_PTX_PARAM = re.compile(r"\.param\s+(?:\.align\s+\d+\s+)?\.([busf])(\d+)(?:\s+\.ptr(?:\s+\.\w+)*)?(?:\s+\.align\s+\d+)?"
                        r"\s+\w+(?:\[(\d+)\])?")


def ptx_params(ptx: str) -> Tuple[str, List[int]]:
    """The entry name and the byte size of each parameter of a PTX kernel."""
    match = _PTX_ENTRY.search(ptx)
    if match is None:
        raise BuildError("Triton produced PTX without a kernel entry")
    sizes = []
    for decl in filter(None, (d.strip() for d in match.group(2).split(","))):
        param = _PTX_PARAM.match(decl)
        if param is None:
            raise BuildError(f"cannot read PTX parameter declaration '{decl}'")
        bits, count = int(param.group(2)), int(param.group(3) or 1)
        sizes.append(bits // 8 * count)
    return match.group(1), sizes


@contextlib.contextmanager
def _output_discarded() -> Iterator[None]:
    """Standard output and error go nowhere meanwhile, at the descriptors: MLIR prints its pass failures to fd 2 and
    Triton its ptxas dumps to stdout, beside the exception the BuildError is made from."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        os.dup2(null.fileno(), 2)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, copy in zip((1, 2), saved):
            os.dup2(copy, fd)
            os.close(copy)


def _compile_job(job: _Job, quiet: bool = False) -> Dict[str, object]:
    """Run in a worker process: compile one variant for one arch (``quiet``: without Triton's own output on
    stdout and stderr; a failure is the one-line BuildError either way)."""
    start = time.perf_counter()
    with _output_discarded() if quiet else contextlib.nullcontext():
        result = _compile(job)
    return dict(result, seconds=round(time.perf_counter() - start, 3))  # for the next build's estimate


def _compile(job: _Job) -> Dict[str, object]:
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    with loader.build_target(job.arch):
        fn = loader.load_kernel(Path(job.kernel_file), job.kernel_name)
    source = ASTSource(fn=fn, signature=dict(job.signature), constexprs=dict(job.constexprs),
                       attrs={(i,): [["tt.divisibility", 16]] for i in job.divisible})
    try:
        compiled = triton.compile(source, target=GPUTarget("cuda", job.arch, 32), options=dict(job.options))
    except Exception as exc:  # Triton raises many types; all mean "this kernel does not compile", unless...
        stopped = _stopped_by(exc)
        if stopped:  # ...a tool was killed or starved: nothing is known about the kernel
            raise CompileStopped(f"the compile of '{job.kernel_name}' for sm_{job.arch} [{job.label}] did not finish: "
                                 f"{stopped}; nothing was cached", Location(job.kernel_file),
                                 hint="build again; with a lower -j if memory is short") from None
        raise BuildError(f"Triton failed to compile '{job.kernel_name}' for sm_{job.arch}"
                         f"{f' ({job.values})' if job.values else ''}: {_compile_error_summary(exc)}",
                         _triton_error_location(exc, fn, job.kernel_file))
    md = compiled.metadata
    if getattr(md, "profile_scratch_size", 0):
        raise BuildError(f"kernel '{job.kernel_name}' needs {md.profile_scratch_size} bytes of profile scratch per "
                         "program (Triton's instrumentation), which plugins do not provide",
                         hint="unset TRITON_KERNEL_OVERRIDE/instrumentation options")
    cluster = triton_compat.cluster_dims(md)
    ctas = cluster[0] * cluster[1] * cluster[2]
    return {"entry": md.name, "shared": md.shared, "num_warps": md.num_warps, "cubin": compiled.asm["cubin"].hex(),
            "ptx": compiled.asm["ptx"], "scratch": getattr(md, "global_scratch_size", 0) * ctas,
            "scratch_align": getattr(md, "global_scratch_align", 1), "cluster": list(cluster),
            "pdl": bool(getattr(md, "launch_pdl", False)),
            "cooperative": bool(getattr(md, "launch_cooperative_grid", False)),
            "tensordesc": [dict(m) for m in getattr(md, "tensordesc_meta", None) or ()]}


def _compile_error_summary(exc: Exception) -> str:
    """One line of why Triton failed: ptxas's own reason, a static assertion with its condition, else Triton's last
    line (its message follows the source excerpt and the '^' under the failing column)."""
    message = getattr(exc, "error_message", None)
    if type(exc).__name__ == "CompileTimeAssertionFailure":  # tl.static_assert(cond[, message])
        node = getattr(exc, "node", None)
        condition = ast.unparse(node) if isinstance(node, ast.AST) else "tl.static_assert"
        return f"{condition} failed" + (f": {message}" if message else "")
    lines = [line.strip() for line in (message or str(exc)).splitlines()]
    lines = [line for line in lines if line and line != "^" and not line.startswith("Repro command")] \
        or [type(exc).__name__]
    # ptxas's own reason ("ptxas /tmp/x.ptx, line 40; error : Feature ... requires ..."), else Triton's last line
    reason = next((line for line in lines if re.search(r"\berror\s*:", line)), lines[-1])
    return re.sub(r"^ptxas \S+, line \d+; error\s*:\s*", "ptxas: ", reason)


class CompileStopped(BuildError):
    """A compile that a signal, lack of memory or of another resource ended: a fact about this machine at this
    moment, not about the kernel, so never cached, and it fails the build even for an optional image."""


_KILLED_EXIT = {128 + signal.SIGKILL, 128 + signal.SIGTERM, 128 + signal.SIGINT}  # a signal, reported by a shell
_OUT_OF_RESOURCES = {errno.ENOSPC, errno.EDQUOT, errno.ENOMEM, errno.EMFILE, errno.ENFILE, errno.EAGAIN}


def _stopped_by(exc: BaseException) -> Optional[str]:
    """Why ``exc`` (or what it was raised from) says nothing about the kernel, else None."""
    while exc is not None:
        if isinstance(exc, subprocess.CalledProcessError) and (exc.returncode < 0 or exc.returncode in _KILLED_EXIT):
            number = -exc.returncode if exc.returncode < 0 else exc.returncode - 128
            tool = Path(exc.cmd[0] if isinstance(exc.cmd, (list, tuple)) else str(exc.cmd).split()[0]).name
            return f"{tool} was killed by {signal.Signals(number).name}" + \
                (" (out of memory?)" if number == signal.SIGKILL else "")
        if isinstance(exc, subprocess.TimeoutExpired):
            return f"{Path(str(exc.cmd)).name} timed out"
        if isinstance(exc, MemoryError):
            return "out of memory"
        if isinstance(exc, OSError) and exc.errno in _OUT_OF_RESOURCES:
            return exc.strerror
        exc = exc.__cause__ or exc.__context__
    return None


def _triton_error_location(exc: Exception, fn, kernel_file: str) -> Location:
    """Where in the kernel file Triton's error points (its AST line numbers count from the ``def`` line)."""
    node = getattr(exc, "node", None)
    if node is None or not getattr(node, "lineno", None):
        return Location(kernel_file)
    try:
        lines, first = inspect.getsourcelines(fn.fn)
    except (OSError, TypeError):
        return Location(kernel_file)
    def_index = next((i for i, line in enumerate(lines) if line.lstrip().startswith("def ")), 0)
    return Location(kernel_file, first + def_index + node.lineno - 1, getattr(node, "col_offset", -1) + 1)


def check_blocks(spec: KernelSpec, points: Sequence[Point]) -> None:
    """Every host tensor descriptor's block at every point is what Triton and TMA accept: powers of two, at most
    256 per dim (a TMA box), at most 5 dims, and of one rank (the plugin builds each descriptor once, for every
    image)."""
    for arg in spec.descriptors:
        for point in points:
            try:
                block = spec.block_shape(arg, point)
            except (ArithmeticError, ValueError, KeyError, TypeError) as exc:
                raise BuildError(f"the block_shape of '{arg.name}' cannot be computed at "
                                 f"{spec.describe_point(point)}: {exc}", arg.loc)
            if not 1 <= len(block) <= 5 or any(d < 1 or d & (d - 1) or d > 256 for d in block):
                raise BuildError(f"the block of tensor descriptor '{arg.name}' is {list(block)} at "
                                 f"{spec.describe_point(point)}: a TMA block has 1 to 5 dims, each a power of two up "
                                 "to 256", arg.loc)
            if point is points[0]:
                rank = len(block)
            elif len(block) != rank:
                raise BuildError(f"the block of tensor descriptor '{arg.name}' has {len(block)} dims at "
                                 f"{spec.describe_point(point)} but {rank} at {spec.describe_point(points[0])}",
                                 arg.loc)


def _descriptor_sizes(rank: int, tma: bool, flags: int) -> List[int]:
    """The byte sizes of the parameters one host tensor descriptor of ``rank`` dims expands to (``Abi``)."""
    head = [128] if tma else [8] + [8] * (2 * rank) + [1] * flags
    return head + [4] * rank + [8] * rank


def _tensor_map(spec: KernelSpec, arg, meta: Dict[str, object], triton_version: str) -> TensorMap:
    unknown = sorted(set(meta) - triton_compat.TENSORDESC_KEYS)
    if unknown:
        raise BuildError(f"Triton {triton_version} records '{arg.name}' of '{spec.kernel_name}' with descriptor "
                         f"metadata plugingen does not know ({', '.join(unknown)})",
                         hint=f"build with a Triton plugingen supports ({triton_compat.supported_range()})")
    if meta.get("fp4_padded") or meta.get("is_im2col"):
        raise BuildError(f"Triton lowered descriptor '{arg.name}' of '{spec.kernel_name}' to a padded fp4 or im2col "
                         "TMA descriptor, which plugins do not build", arg.loc)
    return TensorMap(triton_compat.tma_data_type(int(meta["elem_type"])), int(meta["swizzle"]),
                     tuple(int(d) for d in meta["block_size"]))


def _launch_params(spec: KernelSpec, point: Point, ptx: str, triton_version: str,
                   tensordesc: Sequence[Dict[str, object]] = ()
                   ) -> Tuple[str, Tuple[LaunchParam, ...], Tuple[Optional[TensorMap], ...]]:
    """The compiled entry's name, its parameters as the plugin passes them (a host tensor descriptor as one, of
    its expanded size) and each descriptor's TMA encoding (None: decomposed), checked against the PTX."""
    entry, sizes = ptx_params(ptx)
    passed = spec.launched(point.variant)
    descriptors = [a for a in passed if a.is_descriptor]
    if tensordesc and len(tensordesc) != len(descriptors):
        raise BuildError(f"Triton {triton_version} lowered {len(tensordesc)} tensor descriptors of "
                         f"'{spec.kernel_name}', which takes {len(descriptors)}")
    maps = tuple(_tensor_map(spec, a, m, triton_version) for a, m in zip(descriptors, tensordesc)) if tensordesc \
        else (None,) * len(descriptors)
    flags = triton_compat.abi(triton_version).descriptor_flags or 0
    params = []
    position = 0
    for arg in passed:
        if arg.is_descriptor:
            tensor_map = maps[descriptors.index(arg)]
            expected_sizes = _descriptor_sizes(len(spec.block_shape(arg, point)), tensor_map is not None, flags)
        else:
            expected_sizes = [8 if arg.is_tensor else spec.dtype_of(arg, point.signature).size]
        found = sizes[position:position + len(expected_sizes)]
        if found != expected_sizes:
            what = f"{found[0]} bytes, expected {expected_sizes[0]}" if len(found) == len(expected_sizes) == 1 else \
                f"parameters of {found} bytes, expected {expected_sizes}"
            raise BuildError(f"compiled '{spec.kernel_name}' takes '{arg.name}' as {what}")
        params.append(LaunchParam(arg.name, 0 if arg.is_descriptor else found[0], False))
        position += len(expected_sizes)
    hidden = triton_compat.abi(triton_version).hidden
    extra = sizes[position:]
    if len(extra) != len(hidden) or any(size != 8 for size in extra):
        raise BuildError(f"Triton {triton_version} compiled '{spec.kernel_name}' with {len(extra)} parameter(s) "
                         f"after the config's ({', '.join(map(str, extra)) or 'none'} bytes); plugingen knows this "
                         f"Triton to add {len(hidden)} pointer(s) ({', '.join(hidden)})",
                         hint=f"build with a Triton plugingen supports ({triton_compat.supported_range()})")
    params += [LaunchParam(name, 8, True) for name in hidden]
    return entry, tuple(params), maps


def _cached(cache_dir: Path, key: str) -> Optional[Dict[str, object]]:
    path = cache_dir / f"{key}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _store(cache_dir: Path, key: str, result: Dict[str, object]) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache_dir / f".{key}.{os.getpid()}.tmp"
    try:
        tmp.write_text(json.dumps(result, sort_keys=True))
        os.replace(tmp, cache_dir / f"{key}.json")  # atomic: parallel builds sharing the cache never see half a file
    except OSError:
        tmp.unlink(missing_ok=True)  # a full disk leaves nothing half-written
        raise


def compile_kernels(plan: Plan, cache_dir: Path, jobs: int,
                    progress: Callable[[str], None] = lambda _: None,
                    notice: Callable[[str], None] = lambda _: None,
                    status: Callable[[int, int, int], None] = lambda done, total, cached: None,
                    tmp_dir: Optional[Path] = None) -> CompiledConfig:
    """Compile every image ``plan`` lists, cached, ``jobs`` Triton compiles at a time (their TMPDIR ``tmp_dir``);
    ``notice`` hears of archs left out, ``status`` of (images done, images to compile, images cached) as compiles
    finish."""
    import triton

    triton_compat.require_supported(triton.__version__)
    archs = plan.archs
    planned: List[Tuple[KernelSpec, PlannedImage, _Job]] = []
    for kernel in plan.kernels:
        spec = kernel.spec
        for signature in range(len(spec.signatures)):
            runs_on = spec.archs_of(signature, archs)
            if runs_on != archs:
                what = f"signature {spec.signatures[signature].describe()} of " if len(spec.signatures) > 1 else ""
                skipped = ", ".join(f"sm_{a}" for a in archs if a not in runs_on)
                notice(f"{what}kernel '{spec.kernel_name}' needs sm_{spec.min_arch(signature)} or newer (fp8): "
                       f"not compiled for {skipped}")
        if any(o.launch_pdl for t in spec.tactics for _, o in t.options) and \
                not triton_compat.abi(triton.__version__).launch_pdl:
            raise BuildError(f"kernel '{spec.kernel_name}' asks for launch_pdl, which Triton {triton.__version__} "
                             "does not compile (3.4 or newer does)", spec.loc)
        if spec.descriptors and triton_compat.abi(triton.__version__).descriptor_flags is None:
            raise BuildError(f"kernel '{spec.kernel_name}' takes host tensor descriptors "
                             f"({', '.join(a.name for a in spec.descriptors)}), which Triton {triton.__version__} "
                             "does not have (3.4 or newer does)", spec.loc)
        if any(o.num_ctas > 1 for t in spec.tactics for _, o in t.options):
            notice(f"kernel '{spec.kernel_name}' runs clusters (num_ctas > 1), which only sm_90 and newer have: the "
                   "library has no portable PTX of it, so only the --arch GPUs run it")
        check_blocks(spec, kernel.points)
        for image in kernel.images:
            try:
                planned.append((spec, image, _job_for(spec, image.point, image.arch, triton.__version__)))
            except KeyError as exc:
                raise BuildError(f"kernel '{spec.kernel_name}': {exc.args[0]}", spec.loc)
    # the portable PTX of an arch not among --arch is optional: a kernel that compiles only for newer SMs (TMA on
    # Triton 3.3) goes without it, and other GPUs get the plugin's clear no-image error
    optional = {job.key for _, image, job in planned if not image.cubin}
    results: Dict[str, Dict[str, object]] = {}
    todo = []
    for *_, job in planned:
        hit = _cached(cache_dir, job.key)
        if hit is not None:
            results[job.key] = hit
        elif job.key not in {j.key for j in todo}:
            todo.append(job)
    progress(f"{len(planned)} kernel images, {len(planned) - len(todo)} cached, compiling {len(todo)}")
    if todo:
        _run_jobs(todo, jobs, cache_dir, results, progress, optional,
                  lambda done: status(done, len(todo), len({j.key for *_, j in planned}) - len(todo)), tmp_dir)
    compiled = []
    for kernel in plan.kernels:
        spec = kernel.spec
        images = []
        failed = sorted({(image.arch, results[job.key]["error"]) for s, image, job in planned
                         if s is spec and "error" in results[job.key]})
        for arch, message in failed[:1]:
            notice(f"kernel '{spec.kernel_name}' does not compile for sm_{arch} ({message}): the library has no "
                   "portable PTX of it, so only the --arch GPUs run it (--ptx-arch picks another arch)")
        for s, planned_image, job in planned:
            if s is not spec or "error" in results[job.key]:
                continue
            result = results[job.key]
            point, arch = planned_image.point, planned_image.arch
            entry, params, maps = _launch_params(spec, point, result["ptx"], triton.__version__,
                                                 result.get("tensordesc", ()))
            image = Image(
                point=point, arch=arch, entry=entry,
                cubin=bytes.fromhex(result["cubin"]) if planned_image.cubin else b"",
                ptx=result["ptx"] if planned_image.ptx else "", target=ptx_target(result["ptx"]),
                shared=int(result["shared"]), num_warps=int(result["num_warps"]), params=params,
                scratch=int(result.get("scratch", 0)), scratch_align=int(result.get("scratch_align", 1)),
                cluster=tuple(result.get("cluster", (1, 1, 1))), pdl=bool(result.get("pdl", False)),
                cooperative=bool(result.get("cooperative", False)), tensor_maps=maps,
                descriptor_flags=triton_compat.abi(triton.__version__).descriptor_flags or 0)
            if planned_image.ptx and image.arch_specific:
                raise BuildError(f"Triton compiled the PTX of '{spec.kernel_name}' for {image.target}, which only "
                                 "that SM can JIT-compile", hint="pass --ptx-arch with an arch below 90")
            images.append(image)
        compiled.append(CompiledKernel(kernel, tuple(images)))
    return CompiledConfig(plan.config, tuple(compiled), archs, triton.__version__)


def _run_jobs(todo: List[_Job], jobs: int, cache_dir: Path, results: Dict[str, Dict[str, object]],
              progress: Callable[[str], None], optional: Set[str], done: Callable[[int], None],
              tmp_dir: Optional[Path]) -> None:
    """Compile ``todo`` in worker processes; a job in ``optional`` whose kernel does not compile gets
    ``{"error": message}`` (cached too) instead of failing the build. ``done`` hears the count of finished compiles
    after each. However this ends (an error, Ctrl-C), no worker or tool it started outlives it."""
    finished = []

    def finish(job: _Job, run: Callable[[], Dict[str, object]], start: float) -> None:
        try:
            result = run()
        except BuildError as exc:
            if job.key not in optional or isinstance(exc, CompileStopped):
                raise
            result = {"error": exc.message}
        _store(cache_dir, job.key, result)
        results[job.key] = result
        finished.append(job)
        progress(f"compiled {job.kernel_name} sm_{job.arch} [{job.label}] in {time.perf_counter() - start:.2f}s")
        done(len(finished))

    def quiet(job: _Job) -> bool:  # Triton's own diagnostics (MLIR, ptxas dumps) only with -v, never for optional jobs
        return job.key in optional or not logging.getLogger().isEnabledFor(logging.DEBUG)

    # fork: workers inherit the imported Triton and the environment; no CUDA is ever initialised here
    pool = concurrent.futures.ProcessPoolExecutor(max_workers=min(jobs, len(todo)),
                                                  mp_context=multiprocessing.get_context("fork"),
                                                  initializer=_worker_start, initargs=(tmp_dir,))
    start = time.perf_counter()
    futures = {pool.submit(_compile_job, job, quiet(job)): job for job in todo}
    try:
        for future in concurrent.futures.as_completed(futures):
            finish(futures[future], future.result, start)
    except concurrent.futures.process.BrokenProcessPool:
        running = sorted({f"{j.kernel_name} sm_{j.arch} [{j.label}]" for f, j in futures.items()
                          if not f.done() or not f.cancelled() and f.exception() is not None})
        raise BuildError(f"a Triton compile crashed or was killed with its worker process (one of: "
                         f"{', '.join(running)}); nothing of it was cached",
                         hint="build again; with -j 1 -v to see which kernel and Triton's own output") from None
    finally:
        if not all(f.done() for f in futures):  # stopped early: kill the compiles rather than wait for them
            for process in list(pool._processes.values()):  # noqa: SLF001 (the executor keeps no public list)
                build.kill_group(process.pid)
        pool.shutdown(wait=True, cancel_futures=True)


def _worker_start(tmp_dir: Optional[Path]) -> None:
    """A worker leads a process group of its own (killed whole with the tools it runs when the build stops early),
    leaves Ctrl-C to the parent, which stops the build and reports it once, and keeps its temporaries (Triton's
    and ptxas's) in ``tmp_dir``."""
    os.setpgid(0, 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if tmp_dir is not None:
        os.environ["TMPDIR"] = tempfile.tempdir = str(tmp_dir)
