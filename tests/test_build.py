"""End to end on the CPU: the CLI builds every shipped config into a loadable library with only the entry points."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EXAMPLES, TEST_KERNELS, all_configs, config_archs
from plugingen.cli import main


@pytest.mark.parametrize("config", all_configs(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_config_builds(build_plugin, config):
    output = build_plugin(config)
    library = output / "libtriton_plugins.so"
    exported = subprocess.run(["nm", "-D", "--defined-only", str(library)], capture_output=True, text=True,
                              check=True).stdout.split()
    assert {"getCreators", "setLoggerFinder"} <= set(exported)
    defined = [s for s in exported if len(s) > 1 and not all(c in "0123456789abcdef" for c in s) and s not in "TWDB"]
    # TensorRT's two entry points, the diagnostics one PluginRunner.launched() reads, and plugingen.torch's
    assert sorted(defined) == ["getCreators", "plugingenLastLaunch", "plugingenOpCreate", "plugingenOpDestroy",
                               "plugingenOpEnqueue", "plugingenOpError", "plugingenOpPrepare",
                               "setLoggerFinder"]
    needed = subprocess.run(["readelf", "-d", str(library)], capture_output=True, text=True, check=True).stdout
    assert "libcuda" not in needed and "libnvinfer" not in needed and "libstdc++" not in needed
    manifest = json.loads((output / "manifest.json").read_text())
    assert manifest["trt_headers"] == "plugingen"
    assert manifest["archs"] == [int(a) for a in config_archs(config).split(",")]
    for name in ("functional.py", "onnx_plugins.py"):
        compile((output / name).read_text(), name, "exec")


def test_library_dlopens_without_a_driver(build_plugin):
    """The .so resolves libcuda lazily: loading it needs no driver (none exists on this machine)."""
    library = build_plugin(EXAMPLES / "fmha" / "kernel_config.py") / "libtriton_plugins.so"
    code = f"import ctypes; lib = ctypes.CDLL({str(library)!r}); print(bool(lib.getCreators))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def _build(workspace, config, cache, *extra):
    return main(["--workspace", str(workspace), "--kernel_config", str(config), "--arch", "80", "--cache-dir",
                 str(cache), *extra])


def test_same_inputs_give_same_bytes(tmp_path, aot_cache):
    config = EXAMPLES / "vector_add" / "kernel_config.py"
    assert _build(tmp_path / "a", config, aot_cache) == 0
    assert _build(tmp_path / "b", config, aot_cache, "-j", "1") == 0
    for name in ("libtriton_plugins.so", "functional.py", "onnx_plugins.py", "manifest.json"):
        assert (tmp_path / "a" / "output" / name).read_bytes() == (tmp_path / "b" / "output" / name).read_bytes(), name


def test_rebuild_is_incremental_and_drops_stale_kernels(tmp_path, aot_cache, capsys):
    workspace = tmp_path / "ws"
    two = TEST_KERNELS / "two_kernels_config.py"
    one = TEST_KERNELS / "scale_shift_config.py"
    assert _build(workspace, two, aot_cache) == 0
    assert sorted(p.name for p in (workspace / "src").glob("*_plugin.cpp")) == ["add_kernel_plugin.cpp",
                                                                              "mul_kernel_plugin.cpp"]
    library = workspace / "build" / "libtriton_plugins.so"
    built_at = library.stat().st_mtime_ns
    capsys.readouterr()
    assert _build(workspace, two, aot_cache) == 0
    assert "codegen: 13 file(s), 0 changed" in capsys.readouterr().err
    assert library.stat().st_mtime_ns == built_at  # nothing recompiled or relinked
    assert _build(workspace, one, aot_cache) == 0
    assert [p.name for p in (workspace / "src").glob("*_plugin.cpp")] == ["scale_shift_kernel_plugin.cpp"]
    functional = (workspace / "output" / "functional.py").read_text()
    assert "def scale_shift_kernel(" in functional and "add_kernel" not in functional
    strings = subprocess.run(["strings", str(workspace / "output" / "libtriton_plugins.so")], capture_output=True,
                             text=True).stdout
    assert "scale_shift_kernelPlugin" in strings and "add_kernelPlugin" not in strings


def test_python_module_entry_point(tmp_path):
    """`python -m plugingen` is the same CLI (checked through --help, which needs no build)."""
    result = subprocess.run([sys.executable, "-m", "plugingen", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "--kernel_config" in result.stdout and "--trt-include-dir" in result.stdout


def test_nothing_written_outside_the_workspace(tmp_path):
    """The config's and kernel's folders are untouched (no __pycache__, no Triton cache in $HOME)."""
    source = tmp_path / "project"
    shutil.copytree(EXAMPLES / "vector_add", source)
    before = sorted(p.relative_to(source) for p in source.rglob("*"))
    env = dict(os.environ, HOME=str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    result = subprocess.run([sys.executable, "-m", "plugingen", "--workspace", str(tmp_path / "ws"),
                             "--kernel_config", str(source / "kernel_config.py"), "--arch", "80"],
                            capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.relative_to(source) for p in source.rglob("*")) == before
    assert list((tmp_path / "home").rglob("*")) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "project", "ws"]


def test_cpp_keywords_as_argument_names_build(tmp_path, aot_cache):
    """Python identifiers that are C++ keywords (this, delete, auto, new) still give compilable plugins."""
    (tmp_path / "k.py").write_text(
        "import triton\nimport triton.language as tl\n\n\n@triton.jit\n"
        "def keyword_kernel(this, delete, auto, new, BLOCK: tl.constexpr):\n"
        "    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)\n"
        "    tl.store(delete + offs, tl.load(this + offs, mask=offs < new) * auto, mask=offs < new)\n")
    (tmp_path / "cfg.py").write_text(
        "from plugingen import *\nKERNELS = [KernelMetaData('keyword_kernel', kernel_file='k.py', ios=[\n"
        "    InputArg('this', Type('tensor[fp32]')), OutputArg('delete', Type('tensor[fp32]')),\n"
        "    ParamArg('auto', Type('fp32')), DimSizeArg('new'), Constexpr(256)],\n"
        "    shape_infer_rules=['this[a] -> delete[a]', 'this[a] : a -> new'],\n"
        "    grid_dims=('cdiv(new, BLOCK)', '1', '1'))]\n")
    assert _build(tmp_path / "ws", tmp_path / "cfg.py", aot_cache) == 0
    source = (tmp_path / "ws" / "src" / "keyword_kernel_plugin.cpp").read_text()
    assert "float auto_{};" in source and "int32_t new_{};" in source


@pytest.mark.skipif(not os.environ.get("PLUGINGEN_TEST_TRT_INCLUDE"),
                    reason="set PLUGINGEN_TEST_TRT_INCLUDE to a TensorRT SDK include folder")
def test_builds_against_a_tensorrt_sdk(tmp_path, aot_cache, capsys):
    include = os.environ["PLUGINGEN_TEST_TRT_INCLUDE"]
    assert _build(tmp_path / "ws", EXAMPLES / "fmha" / "kernel_config.py", aot_cache, "--trt-include-dir", include) == 0
    assert f"TensorRT SDK headers at {include} (--trt-include-dir)" in capsys.readouterr().err
    manifest = json.loads((tmp_path / "ws" / "output" / "manifest.json").read_text())
    assert manifest["trt_headers"] == "sdk"


def test_tensorrt_llm_plugingen_config_builds_unchanged(tmp_path, aot_cache):
    """PluginGen's FMHA example config as written for TensorRT-LLM (only its kernel path differs) builds end to end."""
    config = Path(__file__).parent / "bad_configs" / "trtllm" / "kernel_config.py"
    assert _build(tmp_path / "ws", config, aot_cache) == 0
    manifest = json.loads((tmp_path / "ws" / "output" / "manifest.json").read_text())
    [kernel] = manifest["kernels"]
    assert (kernel["plugin"], kernel["version"]) == ("fused_attention_kernelPlugin", "0")


def _sources(workspace):
    src = workspace / "src"
    return {p.relative_to(src).as_posix(): p.read_bytes() for p in sorted(src.rglob("*")) if p.is_file()}


@pytest.mark.skipif(not Path("/usr/local/cuda/include/cuda_runtime_api.h").is_file() and not os.environ.get("CUDA_HOME"),
                    reason="needs CUDA runtime headers (an SDK build compiles against them)")
def test_generated_sources_do_not_depend_on_the_tensorrt_headers(tmp_path, aot_cache, capsys, monkeypatch):
    """The same config gives byte-identical src/ with plugingen's ABI headers, --trt-include-dir and TENSORRT_ROOT;
    the headers reach CMake at configure time, and switching them reconfigures the workspace's build."""
    sdk = tmp_path / "sdk" / "include"  # a stand-in SDK: NvInferRuntime.h declaring the same ABI
    sdk.mkdir(parents=True)
    abi = Path(__file__).resolve().parents[1] / "plugingen" / "include" / "plugingen" / "trt_abi.h"
    (sdk / "NvInferRuntime.h").write_text(f'#pragma once\n#include <cuda_runtime_api.h>\n#include "{abi}"\n')
    config = EXAMPLES / "vector_add" / "kernel_config.py"
    assert _build(tmp_path / "own", config, aot_cache) == 0
    assert _build(tmp_path / "flag", config, aot_cache, "--trt-include-dir", str(sdk)) == 0
    monkeypatch.setenv("TENSORRT_ROOT", str(sdk.parent))
    assert _build(tmp_path / "root", config, aot_cache) == 0
    assert "TensorRT SDK headers at" in capsys.readouterr().err
    assert _sources(tmp_path / "own") == _sources(tmp_path / "flag") == _sources(tmp_path / "root")
    for name, kind in (("own", "plugingen"), ("flag", "sdk"), ("root", "sdk")):
        assert json.loads((tmp_path / name / "output" / "manifest.json").read_text())["trt_headers"] == kind
    cache = (tmp_path / "flag" / "build" / "CMakeCache.txt").read_text()
    assert f"PLUGINGEN_TRT_INCLUDE_DIRS:STRING={sdk};" in cache
    monkeypatch.delenv("TENSORRT_ROOT")
    assert _build(tmp_path / "flag", config, aot_cache) == 0  # the same workspace, back to plugingen's headers
    assert "PLUGINGEN_TRT_INCLUDE_DIRS:STRING=\n" in (tmp_path / "flag" / "build" / "CMakeCache.txt").read_text()
