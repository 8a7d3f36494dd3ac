"""Finding what the build needs on this machine: CMake (and Ninja), a C++ compiler, and the TensorRT headers.

The one module that looks at the machine for the build; its answers reach CMake at configure time, never the
generated sources.
"""
from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import List, Mapping, Optional, Tuple

from .errors import BuildError

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


def find_cxx(env: Mapping[str, str]) -> str:
    """The C++ compiler: $CXX, else c++, g++ or clang++ on the PATH."""
    cxx = env.get("CXX") or shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
    if not cxx or not shutil.which(cxx):
        looked = f"$CXX={env['CXX']}" if env.get("CXX") else "$CXX, c++, g++, clang++"
        raise BuildError(f"no C++ compiler found (looked for {looked})",
                         hint="install g++ (e.g. apt-get install g++) or set CXX")
    return shutil.which(cxx)


def find_cmake() -> str:
    cmake = shutil.which("cmake") or _python_package_bin("cmake", "CMAKE_BIN_DIR", "cmake")
    if cmake is None:
        raise BuildError("CMake not found", hint="pip install cmake")
    return cmake


def find_ninja() -> Optional[str]:
    return shutil.which("ninja") or _python_package_bin("ninja", "BIN_DIR", "ninja")


def find_toolchain(env: Mapping[str, str]) -> Toolchain:
    cmake = find_cmake()
    return Toolchain(cmake=cmake, generator="Ninja" if find_ninja() else None, cxx=find_cxx(env))
