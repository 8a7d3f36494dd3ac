"""plugingen/trt_abi.h matches research/trt_plugin_abi.md: sizes, offsets, enum values and vtable slots.

The checks live in tests/abi/layout_test.cpp; this test compiles it warning-free and runs it. CPU only.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INCLUDE = ROOT / "plugingen" / "include"
CXX = shutil.which("g++")
STRICT = ["-std=c++17", "-Wall", "-Wextra", "-Werror"]
CUDA_INCLUDE = Path("/usr/local/cuda/include")

pytestmark = pytest.mark.skipif(CXX is None, reason="needs g++")


def _compile(args: list, cwd: Path) -> None:
    result = subprocess.run([CXX, *STRICT, f"-I{INCLUDE}", *args], cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(result.args)}\n{result.stderr}"


def test_layout_matches_fact_sheet(tmp_path):
    exe = tmp_path / "layout_test"
    _compile([str(ROOT / "tests" / "abi" / "layout_test.cpp"), "-o", str(exe)], tmp_path)
    result = subprocess.run([str(exe)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert ", 0 failed" in result.stdout


def test_header_is_self_contained_and_pedantic_clean(tmp_path):
    source = tmp_path / "only_header.cpp"
    source.write_text('#include "plugingen/trt_abi.h"\n')
    _compile(["-Wpedantic", "-fsyntax-only", str(source)], tmp_path)


@pytest.mark.skipif(not (CUDA_INCLUDE / "cuda_runtime_api.h").exists(), reason="no CUDA headers")
@pytest.mark.parametrize("first", ["cuda_runtime_api.h", "plugingen/trt_abi.h"])
def test_header_coexists_with_cuda_runtime(tmp_path, first):
    # trt_abi.h repeats the CUDA runtime's own cudaStream_t typedef, so either include order compiles.
    second = "plugingen/trt_abi.h" if first == "cuda_runtime_api.h" else "cuda_runtime_api.h"
    source = tmp_path / "with_cuda.cpp"
    source.write_text(f"#include <{first}>\n#include <{second}>\ncudaStream_t stream = nullptr;\n")
    _compile([f"-I{CUDA_INCLUDE}", "-fsyntax-only", str(source)], tmp_path)


@pytest.mark.parametrize("trt_major", [10, 11])
def test_host_compiles_warning_free(tmp_path, trt_major):
    host = ROOT / "plugingen" / "host" / "plugin_host.cpp"
    _compile([f"-DPGH_TRT_MAJOR={trt_major}", "-fsyntax-only", str(host)], tmp_path)


@pytest.mark.skipif(not (CUDA_INCLUDE / "cuda.h").exists(), reason="no CUDA driver API header")
def test_the_runtimes_driver_declarations_match_cuda_h(tmp_path):
    """runtime.cpp declares the few driver types and constants it needs itself (the plugin has no CUDA build
    dependency); cuLaunchKernelEx's config and attributes must be laid out exactly as cuda.h's."""
    source = tmp_path / "driver_abi.cpp"
    source.write_text("""
#include <cuda.h>
#include <cstddef>
#include "plugingen/runtime.cpp"
namespace cu = plugingen::cu;
#define SAME(ours, theirs) static_assert(sizeof(ours) == sizeof(theirs), #ours)
#define AT(ours, theirs, field) static_assert(offsetof(ours, field) == offsetof(theirs, field), #field)
SAME(cu::LaunchAttribute, CUlaunchAttribute);
AT(cu::LaunchAttribute, CUlaunchAttribute, id);
AT(cu::LaunchAttribute, CUlaunchAttribute, value);
SAME(cu::LaunchConfig, CUlaunchConfig);
AT(cu::LaunchConfig, CUlaunchConfig, gridDimX);
AT(cu::LaunchConfig, CUlaunchConfig, sharedMemBytes);
AT(cu::LaunchConfig, CUlaunchConfig, hStream);
AT(cu::LaunchConfig, CUlaunchConfig, attrs);
AT(cu::LaunchConfig, CUlaunchConfig, numAttrs);
static_assert(offsetof(CUlaunchAttributeValue, clusterDim) == 0 && sizeof(CUlaunchAttributeValue) == 64, "value");
static_assert(cu::kLAUNCH_ATTR_COOPERATIVE == CU_LAUNCH_ATTRIBUTE_COOPERATIVE, "cooperative");
static_assert(cu::kLAUNCH_ATTR_CLUSTER_DIMENSION == CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION, "cluster");
static_assert(cu::kLAUNCH_ATTR_CLUSTER_SCHEDULING_POLICY
    == CU_LAUNCH_ATTRIBUTE_CLUSTER_SCHEDULING_POLICY_PREFERENCE, "scheduling");
static_assert(cu::kLAUNCH_ATTR_PROGRAMMATIC_STREAM_SERIALIZATION
    == CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION, "pdl");
static_assert(cu::kCLUSTER_SCHEDULING_SPREAD == CU_CLUSTER_SCHEDULING_POLICY_SPREAD, "spread");
static_assert(cu::kFUNC_ATTR_NON_PORTABLE_CLUSTER_SIZE_ALLOWED
    == CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED, "non-portable");
static_assert(cu::kFUNC_ATTR_MAX_DYNAMIC_SHARED == CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, "shared");
static_assert(cu::kATTR_CC_MAJOR == CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, "major");
static_assert(cu::kATTR_MULTIPROCESSOR_COUNT == CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, "sms");
static_assert(cu::kATTR_SHARED_OPTIN == CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, "optin");
static_assert(cu::kTENSOR_MAP_BYTES == sizeof(CUtensorMap) && cu::kTENSOR_MAP_ALIGN >= alignof(CUtensorMap), "map");
static_assert(cu::kTENSOR_MAP_INTERLEAVE_NONE == CU_TENSOR_MAP_INTERLEAVE_NONE, "interleave");
static_assert(cu::kTENSOR_MAP_L2_PROMOTION_L2_128B == CU_TENSOR_MAP_L2_PROMOTION_L2_128B, "l2");
static_assert(cu::kTENSOR_MAP_FLOAT_OOB_FILL_NONE == CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE, "fill");
static_assert(sizeof(CUtensorMapDataType) == sizeof(int32_t) && sizeof(CUtensorMapSwizzle) == sizeof(int32_t)
    && sizeof(CUtensorMapInterleave) == sizeof(int32_t), "enums passed as int32_t");
""")
    _compile([f"-I{CUDA_INCLUDE}", "-fsyntax-only", "-Wno-unused-function", str(source)], tmp_path)
