"""Stage 4: write the sources, build them with CMake (configured with ``toolchain``'s findings), publish ``output/``.

Workspace layout (nothing is written outside it)::

    WS/src/      generated sources (rewritten only where content changed; files of earlier runs removed)
    WS/build/    CMake build tree (incremental)
    WS/cache/    content-addressed AOT cache
    WS/output/   libtriton_plugins.so, functional.py, manifest.json — replaced only after a successful build
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Callable, Dict, Sequence

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


def _run(command: Sequence[str], cwd: Path, what: str, log: Callable[[str], None]) -> None:
    log("$ " + " ".join(command))
    try:
        result = subprocess.run(list(command), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except OSError as exc:
        raise BuildError(f"{what}: cannot run {command[0]}: {exc.strerror}")
    for line in result.stdout.splitlines():
        log(line)
    if result.returncode != 0:
        raise BuildError(f"{what} failed: {_summary(result.stdout, result.returncode)}",
                         hint=f"full output: run with -v; build folder {cwd}")


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


def build_library(src_dir: Path, build_dir: Path, toolchain: Toolchain, headers: TrtHeaders, jobs: int,
                  log: Callable[[str], None]) -> Path:
    """Configures (first time, or when the compiler or headers changed) and builds with CMake; returns the library."""
    build_dir.mkdir(parents=True, exist_ok=True)
    cache = build_dir / "CMakeCache.txt"
    cached = cache.read_text(errors="replace") if cache.is_file() else ""
    compiler = _cached_value(cached, "CMAKE_CXX_COMPILER")
    if compiler is not None and compiler != toolchain.cxx:
        shutil.rmtree(build_dir)  # another compiler or generator: start over rather than confuse CMake
        build_dir.mkdir(parents=True)
        cached = ""
    include_dirs = ";".join(headers.include_dirs)
    if not cached or _cached_value(cached, _TRT_INCLUDE_DIRS) != include_dirs:
        configure = [toolchain.cmake, "-S", str(src_dir), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
                     f"-DCMAKE_CXX_COMPILER={toolchain.cxx}", f"-D{_TRT_INCLUDE_DIRS}={include_dirs}"]
        if toolchain.generator and not cached:
            configure += ["-G", toolchain.generator]
        _run(configure, build_dir, "CMake configure", log)
    _run([toolchain.cmake, "--build", str(build_dir), "--parallel", str(jobs)], build_dir, "C++ build", log)
    library = build_dir / LIBRARY_NAME
    if not library.is_file():
        raise BuildError(f"the build finished without producing {library}")
    return library


def publish(workspace: Path, files: Dict[str, bytes]) -> Path:
    """Replaces ``WS/output`` with ``files`` only once all of them are written (earlier output survives failures)."""
    output = workspace / "output"
    staging = workspace / f".output.tmp{os.getpid()}"
    retired = workspace / f".output.old{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name, data in sorted(files.items()):
        (staging / name).write_bytes(data)
        if name.endswith(".so"):
            (staging / name).chmod(0o755)
    if output.exists():
        os.replace(output, retired)
    os.replace(staging, output)
    shutil.rmtree(retired, ignore_errors=True)
    return output
