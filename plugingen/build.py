"""Stage 4: write the sources, build them with CMake (configured with ``toolchain``'s findings), publish ``output/``.

Workspace layout (nothing is written outside it)::

    WS/.lock     held (flock) by the one build that uses the workspace; another waits for it
    WS/tmp/      TMPDIR of the build (Triton, ptxas, the C++ compiler); removed when the build ends
    WS/src/      generated sources (rewritten only where content changed; files of earlier runs removed)
    WS/build/    CMake build tree (incremental; started over when its cache belongs to another folder)
    WS/cache/    content-addressed AOT cache
    WS/output/   libtriton_plugins.so, functional.py, manifest.json — replaced whole, only after a successful build
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Callable, Dict, Iterator, Sequence

from .codegen import GeneratedSources
from .errors import BuildError
from .toolchain import TrtHeaders, Toolchain

LIBRARY_NAME = "libtriton_plugins.so"
_TRT_INCLUDE_DIRS = "PLUGINGEN_TRT_INCLUDE_DIRS"  # the CMake cache variable CMakeLists.txt.j2 reads


def write_if_changed(path: Path, text: str) -> bool:
    """Writes atomically, and only when the content differs (keeps mtimes, so the build stays incremental)."""
    data = text.encode()
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


def write_sources(sources: GeneratedSources, src_dir: Path) -> int:
    """Syncs ``src_dir`` with the generated files; files of earlier runs are removed. Returns how many changed."""
    wanted = dict(sources.files)
    changed = sum(write_if_changed(src_dir / rel, text) for rel, text in wanted.items())
    for path in sorted(src_dir.rglob("*"), reverse=True):
        rel = path.relative_to(src_dir).as_posix()
        if path.is_file() and rel not in wanted:
            path.unlink()
            changed += 1
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return changed


@contextlib.contextmanager
def workspace_lock(workspace: Path, waiting: Callable[[str], None]) -> Iterator[None]:
    """Holds ``WS/.lock`` for the whole build: a second build into the workspace waits (``waiting`` hears why, once)
    until the first ends, so two builds never interleave. The kernel drops the lock when its holder dies."""
    path = workspace / ".lock"
    with open(path, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip()
            waiting(f"waiting for another build of {workspace}{f' (pid {holder})' if holder else ''} to finish")
            fcntl.flock(lock, fcntl.LOCK_EX)
        lock.truncate(0)
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        yield  # the lock goes with the file's closing


@contextlib.contextmanager
def scratch_folder(workspace: Path) -> Iterator[Path]:
    """``WS/tmp``, empty, for the TMPDIR of what the build starts (Triton's compile workers, ptxas, CMake, the
    compiler), and removed afterwards: a killed compile leaves its temporaries in the workspace, never in /tmp. Use
    under ``workspace_lock`` (one build owns the folder)."""
    tmp = workspace / "tmp"
    shutil.rmtree(tmp, ignore_errors=True)  # a killed build's leftovers
    tmp.mkdir()
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(command: Sequence[str], cwd: Path, tmp: Path, what: str, log: Callable[[str], None]) -> None:
    """Runs a tool with TMPDIR ``tmp`` in a process group of its own, killed whole when the build stops (Ctrl-C,
    SIGTERM): CMake's Ninja and compilers never outlive the build."""
    log("$ " + " ".join(command))
    try:
        process = subprocess.Popen(list(command), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   start_new_session=True, env={**os.environ, "TMPDIR": str(tmp)})
    except OSError as exc:
        raise BuildError(f"{what}: cannot run {command[0]}: {exc.strerror}")
    try:
        output, _ = process.communicate()
    except BaseException:
        _kill_session(process.pid)
        process.wait()
        raise
    for line in output.splitlines():
        log(line)
    if process.returncode != 0:
        raise BuildError(f"{what} failed: {_summary(output, process.returncode)}",
                         hint=f"full output: run with -v; build folder {cwd}")


def _kill_session(leader: int) -> None:
    """SIGKILL to every process of the session ``leader`` leads (``start_new_session``): its own group, and the
    groups Ninja gives each compile of its own."""
    kill_group(leader)
    for _ in range(3):  # a compiler driver may start its next stage meanwhile
        members = []
        for name in os.listdir("/proc"):
            with contextlib.suppress(ProcessLookupError, PermissionError, ValueError):
                if os.getsid(int(name)) == leader:
                    members.append(int(name))
        if not members:
            return
        for pid in members:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def kill_group(pid: int) -> None:
    """SIGKILL to the process group ``pid`` leads, or to ``pid`` alone if it leads none (yet), if it still exists."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


_COMPILER_ERROR = re.compile(r"\b(fatal )?error: ")


def _summary(output: str, returncode: int) -> str:
    """The line of a tool's output that says what went wrong: CMake's own message (the indented text after
    'CMake Error'), else the first compiler 'error: ' line, else the first line."""
    lines = [line.rstrip() for line in output.splitlines()]
    for i, line in enumerate(lines):
        if line.startswith("CMake Error"):
            text = []
            for follow in lines[i + 1:]:
                if follow and not follow.startswith(" "):
                    break
                text.append(follow.strip())
            message = " ".join(t for t in text if t)
            if message:
                return message.split(". ")[0].rstrip(".")
    for line in lines:
        if _COMPILER_ERROR.search(line) and not line.lstrip().startswith(("CMake", "--")):
            return line.strip()
    first = next((line.strip() for line in lines if line.strip()), "")
    return first or f"exit status {returncode}"


def _cached_value(cache_text: str, name: str):
    match = re.search(rf"^{name}:\w+=(.*)$", cache_text, re.M)
    return match.group(1) if match else None


def _belongs_here(cache_text: str, src_dir: Path, build_dir: Path, toolchain: Toolchain) -> bool:
    """Whether a CMake cache was configured for these folders with this compiler."""
    def same(value, folder: Path) -> bool:
        return value is not None and os.path.realpath(value) == os.path.realpath(folder)

    return (same(_cached_value(cache_text, "CMAKE_HOME_DIRECTORY"), src_dir)
            and same(_cached_value(cache_text, "CMAKE_CACHEFILE_DIR"), build_dir)
            and _cached_value(cache_text, "CMAKE_CXX_COMPILER") == toolchain.cxx)


def build_library(src_dir: Path, build_dir: Path, toolchain: Toolchain, headers: TrtHeaders, jobs: int,
                  log: Callable[[str], None], tmp: Path) -> Path:
    """Configures (first time, or when the compiler or headers changed) and builds with CMake; returns the library."""
    build_dir.mkdir(parents=True, exist_ok=True)
    cache = build_dir / "CMakeCache.txt"
    cached = cache.read_text(errors="replace") if cache.is_file() else ""
    if cached and not _belongs_here(cached, src_dir, build_dir, toolchain):
        # another compiler, or a workspace copied or moved (its cache would build the old folder's sources):
        # start over rather than confuse CMake
        shutil.rmtree(build_dir)
        build_dir.mkdir(parents=True)
        cached = ""
    include_dirs = ";".join(headers.include_dirs)
    if not cached or _cached_value(cached, _TRT_INCLUDE_DIRS) != include_dirs:
        configure = [toolchain.cmake, "-S", str(src_dir), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
                     f"-DCMAKE_CXX_COMPILER={toolchain.cxx}", f"-D{_TRT_INCLUDE_DIRS}={include_dirs}"]
        if toolchain.generator and not cached:
            configure += ["-G", toolchain.generator]
        _run(configure, build_dir, tmp, "CMake configure", log)
    _run([toolchain.cmake, "--build", str(build_dir), "--parallel", str(jobs)], build_dir, tmp, "C++ build", log)
    library = build_dir / LIBRARY_NAME
    if not library.is_file():
        raise BuildError(f"the build finished without producing {library}")
    return library


def publish(workspace: Path, files: Dict[str, bytes]) -> Path:
    """Replaces ``WS/output`` with ``files``, all of one build: they are written to a folder beside it, which then
    takes its place by rename. On any failure (disk full) the earlier output stays whole and the folder goes."""
    output, staging, retired = workspace / "output", workspace / ".output.tmp", workspace / ".output.old"
    for leftover in workspace.glob(".output.*"):  # of a build killed while publishing
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        staging.mkdir()
        for name, data in sorted(files.items()):
            (staging / name).write_bytes(data)
            if name.endswith(".so"):
                (staging / name).chmod(0o755)
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})  # no output/-less moment
        try:
            if output.exists():
                os.replace(output, retired)
            try:
                os.replace(staging, output)
            except OSError:
                if retired.exists():
                    os.replace(retired, output)
                raise
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise BuildError(f"cannot write {output}: {exc.strerror or exc}; the previous output/ is unchanged")
    shutil.rmtree(retired, ignore_errors=True)
    return output
