"""Workspace safety: parallel builds sharing an AOT cache don't interfere; an interrupted build leaves the last good
output/ untouched."""
import os
import signal
import subprocess
import sys
import time

from conftest import EXAMPLES, TEST_KERNELS


def _cli(workspace, config, *extra):
    return [sys.executable, "-m", "plugingen", "--workspace", str(workspace), "--kernel_config", str(config),
            "--arch", "80", *extra]


def test_parallel_builds_share_a_cache_safely(tmp_path):
    cache = tmp_path / "shared-cache"
    jobs = {
        "a": (TEST_KERNELS / "two_kernels_config.py", ["add_kernelPlugin", "mul_kernelPlugin"]),
        "b": (TEST_KERNELS / "scale_shift_config.py", ["scale_shift_kernelPlugin"]),
        "c": (TEST_KERNELS / "two_kernels_config.py", ["add_kernelPlugin", "mul_kernelPlugin"]),
    }
    running = {name: subprocess.Popen(_cli(tmp_path / name, config, "--cache-dir", str(cache), "-j", "1"),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for name, (config, _) in jobs.items()}
    for name, process in running.items():
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        plugins = subprocess.run(["strings", str(tmp_path / name / "output" / "libtriton_plugins.so")],
                                 capture_output=True, text=True).stdout
        for plugin in jobs[name][1]:
            assert plugin in plugins
    assert (tmp_path / "a" / "output" / "libtriton_plugins.so").read_bytes() == \
        (tmp_path / "c" / "output" / "libtriton_plugins.so").read_bytes()
    assert not list(cache.glob(".*.tmp"))  # every cache entry was completed atomically


def test_interrupted_build_keeps_the_last_good_output(tmp_path):
    workspace = tmp_path / "ws"
    good = subprocess.run(_cli(workspace, EXAMPLES / "vector_add" / "kernel_config.py"), capture_output=True, text=True)
    assert good.returncode == 0, good.stderr
    before = {p.name: p.read_bytes() for p in (workspace / "output").iterdir()}
    process = subprocess.Popen(_cli(workspace, EXAMPLES / "fmha" / "kernel_config.py", "-j", "2"),
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    for line in process.stderr:  # interrupt while Triton compiles
        if line.startswith("[1/4] config"):
            time.sleep(0.3)
            os.killpg(process.pid, signal.SIGINT)  # like Ctrl-C: the whole process group
            break
    rest = process.stderr.read()
    assert process.wait(timeout=120) == 130, rest
    assert "interrupted; the previous output/ is unchanged" in rest
    assert "Traceback" not in rest
    assert {p.name: p.read_bytes() for p in (workspace / "output").iterdir()} == before
