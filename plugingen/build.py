"""Stage 4: find the toolchain and TensorRT headers, write the sources, build with CMake, publish ``output/``.

Workspace layout (nothing is written outside it)::

    WS/src/      generated sources (rewritten only where content changed; files of earlier runs removed)
    WS/build/    CMake build tree (incremental)
    WS/cache/    content-addressed AOT cache
    WS/output/   libtriton_plugins.so, functional.py, manifest.json — replaced only after a successful build
"""
from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from .codegen import GeneratedSources
from .errors import BuildError

LIBRARY_NAME = "libtriton_plugins.so"
_SDK_HEADER = "NvInferRuntime.h"
_STANDARD_TRT_DIRS = ("/usr/include/x86_64-linux-gnu", "/usr/include/aarch64-linux-gnu", "/usr/local/tensorrt/include",
                      "/opt/tensorrt/include", "/usr/include")


@dataclasses.dataclass(frozen=True)
class TrtHeaders:
    include_dirs: Tuple[str, ...]  # empty: plugingen's own declarations
    use_sdk: bool
    description: str


@dataclasses.dataclass(frozen=True)
class Toolchain:
    cmake: str
    generator: Optional[str]
    cxx: str


def _cuda_include_dirs(env: Mapping[str, str]) -> List[Path]:
    candidates = [Path(env[v]) / "include" for v in ("CUDA_HOME", "CUDA_PATH") if env.get(v)]
    candidates.append(Path("/usr/local/cuda/include"))
    try:
        import nvidia  # the nvidia-cuda-runtime wheels put headers under nvidia/*/include

        for root in getattr(nvidia, "__path__", []):
            candidates += sorted(Path(root).glob("*/include"))
    except ImportError:
        pass
    return [d for d in candidates if (d / "cuda_runtime_api.h").is_file()]


def find_trt_headers(explicit: Optional[str], env: Mapping[str, str]) -> TrtHeaders:
    """The user's TensorRT SDK headers if any (flag, then TENSORRT_ROOT, then standard paths), else our own."""
    if explicit:
        if not (Path(explicit) / _SDK_HEADER).is_file():
            raise BuildError(f"--trt-include-dir {explicit} has no {_SDK_HEADER}")
        found, how = Path(explicit), "--trt-include-dir"
    else:
        found, how = None, ""
        root = env.get("TENSORRT_ROOT")
        if root and (Path(root) / "include" / _SDK_HEADER).is_file():
            found, how = Path(root) / "include", "TENSORRT_ROOT"
        for directory in _STANDARD_TRT_DIRS if found is None else ():
            if (Path(directory) / _SDK_HEADER).is_file():
                found, how = Path(directory), "standard path"
                break
    if found is None:
        return TrtHeaders((), False, "plugingen's declaration-only TensorRT plugin ABI headers (no TensorRT SDK found)")
    cuda = _cuda_include_dirs(env)
    if not cuda:
        raise BuildError(f"TensorRT SDK headers found at {found} ({how}) but no CUDA runtime headers "
                         "(cuda_runtime_api.h) to compile them with",
                         hint="set CUDA_HOME, or pip install nvidia-cuda-runtime")
    return TrtHeaders((str(found), str(cuda[0])), True, f"TensorRT SDK headers at {found} ({how})")


def _python_package_bin(package: str, attribute: str, tool: str) -> Optional[str]:
    try:
        module = __import__(package)
    except ImportError:
        return None
    path = Path(getattr(module, attribute, "")) / tool
    return str(path) if path.is_file() else None


def find_toolchain(env: Mapping[str, str]) -> Toolchain:
    cmake = shutil.which("cmake") or _python_package_bin("cmake", "CMAKE_BIN_DIR", "cmake")
    if cmake is None:
        raise BuildError("CMake not found", hint="pip install cmake")
    ninja = shutil.which("ninja") or _python_package_bin("ninja", "BIN_DIR", "ninja")
    cxx = env.get("CXX") or shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
    if not cxx or not shutil.which(cxx):
        looked = f"$CXX={env['CXX']}" if env.get("CXX") else "$CXX, c++, g++, clang++"
        raise BuildError(f"no C++ compiler found (looked for {looked})",
                         hint="install g++ (e.g. apt-get install g++) or set CXX")
    return Toolchain(cmake=cmake, generator="Ninja" if ninja else None, cxx=shutil.which(cxx))


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


def build_library(src_dir: Path, build_dir: Path, toolchain: Toolchain, jobs: int,
                  log: Callable[[str], None]) -> Path:
    """Configures (first time) and builds with CMake; returns the built library."""
    build_dir.mkdir(parents=True, exist_ok=True)
    cache = build_dir / "CMakeCache.txt"
    configured = re.search(r"^CMAKE_CXX_COMPILER:\w+=(.*)$", cache.read_text(errors="replace"), re.M) \
        if cache.is_file() else None
    if configured and configured.group(1) != toolchain.cxx:
        shutil.rmtree(build_dir)  # another compiler or generator: start over rather than confuse CMake
        build_dir.mkdir(parents=True)
    if not cache.is_file():
        configure = [toolchain.cmake, "-S", str(src_dir), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
                     f"-DCMAKE_CXX_COMPILER={toolchain.cxx}"]
        if toolchain.generator:
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
