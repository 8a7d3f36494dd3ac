"""A build either ships exactly what the config says or fails (issue 23): copied and moved workspaces build their own
sources, builds into one workspace never interleave, a killed compile is never cached, Ctrl-C and SIGTERM stop a build
at once, and nothing is written outside the workspace."""
import errno
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import EXAMPLES

from plugingen import build
from plugingen.errors import BuildError

VECTOR_ADD = EXAMPLES / "vector_add"
pytestmark = pytest.mark.skipif(not (shutil.which("c++") or shutil.which("g++")), reason="needs a C++ compiler")


def _cli(workspace, config, *extra):
    return [sys.executable, "-m", "plugingen", "--workspace", str(workspace), "--kernel_config", str(config), *extra]


def _build(workspace, config, *extra, env=None):
    return subprocess.run(_cli(workspace, config, "--arch", "90", "--ptx-arch", "none", "-j", "1", *extra),
                          capture_output=True, text=True, env=env)


def _example(tmp_path, name="vector_add"):
    """A copy of an example to edit."""
    folder = tmp_path / name
    shutil.copytree(EXAMPLES / name, folder)
    return folder / "kernel_config.py"


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def _processes_naming(folder):
    """Pids of live processes whose command line names ``folder``: the build, its compile workers, ptxas (its input
    is in WS/tmp), CMake, Ninja and the compiler."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(folder).encode() in cmdline.read_bytes():
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return found


@pytest.mark.parametrize("how", ["copy", "move"])
def test_a_copied_or_moved_workspace_builds_its_own_sources(tmp_path, how):
    config = _example(tmp_path)
    first = tmp_path / "ws"
    assert _build(first, config).returncode == 0
    before = _files(first / "output")
    second = tmp_path / "ws2"
    if how == "copy":
        shutil.copytree(first, second, symlinks=True)  # cp -a
    else:
        first.rename(second)
    kernel = config.parent / "vector_add.py"
    kernel.write_text(kernel.read_text().replace("a + b, mask=mask", "a - b, mask=mask"))
    result = _build(second, config)
    assert result.returncode == 0, result.stderr
    cache = (second / "build" / "CMakeCache.txt").read_text()
    assert f"CMAKE_HOME_DIRECTORY:INTERNAL={second / 'src'}\n" in cache
    library = (second / "output" / build.LIBRARY_NAME).read_bytes()
    assert library != before[build.LIBRARY_NAME]  # built from ws2/src, whose kernel changed
    if how == "copy":
        assert _files(first / "output") == before  # the original is untouched


def test_a_second_build_into_a_workspace_waits_for_the_first(tmp_path):
    config = _example(tmp_path)
    workspace = tmp_path / "ws"
    workspace.mkdir()
    with open(workspace / ".lock", "a+") as held:  # a build in progress
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write("12345\n")
        held.flush()
        process = subprocess.Popen(_cli(workspace, config, "--arch", "90", "--ptx-arch", "none", "-j", "1"),
                                   stderr=subprocess.PIPE, text=True)
        line = process.stderr.readline()
        assert line == f"plugingen: waiting for another build of {workspace} (pid 12345) to finish\n"
        time.sleep(1.0)
        assert process.poll() is None
        assert sorted(p.name for p in workspace.iterdir()) == [".lock"]  # nothing written meanwhile
    rest = process.stderr.read()
    assert process.wait(timeout=300) == 0, rest
    assert "[1/4] config" in rest
    manifest = json.loads((workspace / "output" / "manifest.json").read_text())
    assert [k["kernel"] for k in manifest["kernels"]] == ["vector_add_kernel"]


def test_two_builds_of_different_configs_into_one_workspace_publish_one_of_them_whole(tmp_path):
    configs = [_example(tmp_path), Path(__file__).parent / "kernels" / "scale_shift_config.py"]
    workspace = tmp_path / "ws"
    running = [subprocess.Popen(_cli(workspace, c, "--arch", "90", "--ptx-arch", "none", "-j", "1"),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in configs]
    for process in running:
        assert process.wait(timeout=600) == 0, process.stderr.read()
    manifest = json.loads((workspace / "output" / "manifest.json").read_text())
    library = (workspace / "output" / build.LIBRARY_NAME).read_bytes()
    functional = (workspace / "output" / "functional.py").read_text()
    kernels = [k["kernel"] for k in manifest["kernels"]]
    assert len(kernels) == 1
    other = next(name for name in ("vector_add_kernel", "scale_shift_kernel") if name != kernels[0])
    assert kernels[0].encode() in library and other.encode() not in library
    assert kernels[0] in functional and other not in functional


def test_publishing_on_a_full_disk_keeps_the_old_output(tmp_path, monkeypatch):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    build.publish(workspace, {"manifest.json": b"old", build.LIBRARY_NAME: b"old library"})
    real = Path.write_bytes

    def full(path, data):
        if path.name == build.LIBRARY_NAME:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(path, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    with pytest.raises(BuildError) as failed:
        build.publish(workspace, {"manifest.json": b"new", build.LIBRARY_NAME: b"new library"})
    assert str(failed.value) == (f"error: cannot write {workspace / 'output'}: No space left on device; the previous "
                                 "output/ is unchanged")
    assert _files(workspace / "output") == {"manifest.json": b"old", build.LIBRARY_NAME: b"old library"}
    assert sorted(p.name for p in workspace.iterdir()) == ["output"]  # no .output.tmp left


def _killing_ptxas(folder):
    """A ptxas that answers --version like the real one and dies from SIGKILL on any compile (the OOM killer)."""
    import triton

    real = Path(triton.__file__).parent / "backends" / "nvidia" / "bin" / "ptxas"
    fake = folder / "ptxas"
    fake.write_text(f'#!/bin/sh\ncase "$*" in *--version*) exec {real} "$@";; esac\nkill -9 $$\n')
    fake.chmod(0o755)
    return fake


def test_a_killed_ptxas_fails_the_build_and_is_not_cached(tmp_path):
    """TRITON_PTXAS_PATH is the sm_80 ptxas (sm_90 has its own): the portable PTX, an optional image, is killed."""
    workspace, private = tmp_path / "ws", tmp_path / "tmp"
    private.mkdir()
    env = dict(os.environ, TRITON_PTXAS_PATH=str(_killing_ptxas(tmp_path)), TMPDIR=str(private))
    config = VECTOR_ADD / "kernel_config.py"
    killed = subprocess.run(_cli(workspace, config, "--arch", "90", "-j", "2"), capture_output=True, text=True,
                            env=env)
    assert killed.returncode == 2, killed.stderr
    last = killed.stderr.splitlines()[-1]
    assert "error: the compile of 'vector_add_kernel' for sm_80 [" in last
    assert "did not finish: ptxas was killed by SIGKILL (out of memory?); nothing was cached" in last
    assert "Traceback" not in killed.stderr and "no portable PTX" not in killed.stderr
    assert not (workspace / "output").exists()
    assert not any("error" in json.loads(p.read_text()) for p in (workspace / "cache" / "aot").glob("*.json"))
    assert not list(private.iterdir())  # Triton's tmp*.ptx of the killed compile stayed in the workspace, and went

    env.pop("TRITON_PTXAS_PATH")
    rebuilt = subprocess.run(_cli(workspace, config, "--arch", "90", "-j", "2"), capture_output=True, text=True,
                             env=env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "portable PTX for sm_80" in rebuilt.stderr
    images = json.loads((workspace / "output" / "manifest.json").read_text())["kernels"][0]["images"]
    assert sorted({i["target"] for i in images}) == ["sm_80", "sm_90a"]


@pytest.mark.parametrize("death", ["worker killed", "out of memory"])
def test_a_compile_that_dies_is_not_cached_even_for_the_portable_ptx(tmp_path, monkeypatch, capsys, death):
    """The OOM killer taking a compile worker, or Triton running out of memory, while the optional sm_80 PTX
    compiles: the build fails naming the image, and nothing of it is cached."""
    import triton

    from plugingen.cli import main

    real = triton.compile

    def dying(source, target=None, options=None):  # runs in the forked compile worker
        if target.arch == 80:
            if death == "worker killed":
                os.kill(os.getpid(), signal.SIGKILL)
            raise MemoryError()
        return real(source, target=target, options=options)

    monkeypatch.setattr(triton, "compile", dying)
    cache = tmp_path / "cache"
    argv = ["--workspace", str(tmp_path / "ws"), "--kernel_config", str(VECTOR_ADD / "kernel_config.py"),
            "--arch", "90", "--cache-dir", str(cache), "-j", "1"]
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    if death == "worker killed":
        assert err[-1].startswith("error: a Triton compile crashed or was killed with its worker process (one of: "
                                  "vector_add_kernel sm_80 [")
    else:
        assert "error: the compile of 'vector_add_kernel' for sm_80 [" in err[-1]
        assert "did not finish: out of memory; nothing was cached" in err[-1]
    assert not (tmp_path / "ws" / "output").exists()
    assert not any("error" in json.loads(p.read_text()) for p in cache.glob("*.json"))
    monkeypatch.setattr(triton, "compile", real)
    assert main(argv) == 0  # and nothing stale stands in the way


@pytest.mark.parametrize("signum, stage, jobs", [(signal.SIGINT, "[1/4] config", "2"),
                                                (signal.SIGTERM, "[1/4] config", "1"),
                                                (signal.SIGTERM, "[3/4] codegen", "2")])
def test_a_signal_stops_the_build_at_once(tmp_path, signum, stage, jobs):
    """Ctrl-C (SIGINT to the process group, as a terminal sends it) or SIGTERM (to plugingen alone) while Triton
    compiles or CMake builds: the build ends within seconds, its workers and tools with it, nothing left in TMPDIR."""
    workspace, private = tmp_path / "ws", tmp_path / "tmp"
    private.mkdir()
    config, archs = (EXAMPLES / "fmha" / "kernel_config.py", "80,90") if stage == "[1/4] config" else \
        (VECTOR_ADD / "kernel_config.py", "90")
    process = subprocess.Popen(_cli(workspace, config, "--arch", archs, "-j", jobs), stderr=subprocess.PIPE,
                               text=True, start_new_session=True, env=dict(os.environ, TMPDIR=str(private)))
    for line in process.stderr:
        if line.startswith(stage):
            break
    time.sleep(1.5)  # Triton compiling, or CMake configuring
    assert process.poll() is None
    assert len(_processes_naming(workspace)) > 1  # the workers, or CMake, are there
    start = time.monotonic()
    if signum == signal.SIGINT:
        os.killpg(process.pid, signum)
    else:
        os.kill(process.pid, signum)
    rest = process.stderr.read()
    assert process.wait(timeout=60) == 128 + signum, rest
    took = time.monotonic() - start
    assert took < 3.0, f"took {took:.1f}s"
    assert rest.splitlines()[-1] == "plugingen: interrupted; the previous output/ is unchanged"
    assert "Traceback" not in rest
    time.sleep(0.2)
    assert _processes_naming(workspace) == []
    assert not (workspace / "output").exists() and not (workspace / "tmp").exists()
    assert not list(private.iterdir())


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_stopping_check_is_one_line(tmp_path, signum):
    started = tmp_path / "started"
    config = tmp_path / "slow_config.py"
    config.write_text(f"import time\nopen({str(started)!r}, 'w').close()\ntime.sleep(60)\nKERNELS = []\n")
    process = subprocess.Popen([sys.executable, "-m", "plugingen", "check", "--kernel_config", str(config)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signum)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 128 + signum
    assert err == "plugingen check: interrupted\n"


@pytest.mark.parametrize("where", ["config", "kernel", "workspace"])
def test_a_name_the_generated_build_cannot_hold_is_refused(tmp_path, where):
    config = _example(tmp_path)
    workspace = tmp_path / "ws"
    if where == "config":
        config = config.rename(config.with_name("kernel\nconfig.py"))
        shown = str(config).replace("\n", "\\n")
        expected = f"{shown}: error: kernel config file name 'kernel\\nconfig.py' has '\\n'"
    elif where == "kernel":
        (config.parent / "vector_add.py").rename(config.parent / "vector\nadd.py")
        text = config.read_text()
        config.write_text(text.replace("kernel_file='vector_add.py'", "kernel_file='vector\\nadd.py'"))
        line = next(i for i, t in enumerate(text.splitlines(), 1) if "KernelMetaData(" in t)
        expected = f"{config}:{line}: error: kernel file name 'vector\\nadd.py' has '\\n'"
    else:
        workspace = tmp_path / "w;s"
        expected = f"{workspace}: error: workspace '{workspace}' has ';'"
    result = _build(workspace, config)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(expected), result.stderr
    assert "which the generated build cannot hold (hint: rename it)" in result.stderr
    assert not (workspace / "output").exists()
    assert where == "kernel" or not workspace.exists()  # the kernel's name is known once the config ran


def test_a_file_the_build_cannot_write_is_one_line(tmp_path):
    """Any OSError of the machine (here a file where src/ goes; a full disk alike): one line, exit 2."""
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "src").write_text("not a folder")
    result = _build(workspace, VECTOR_ADD / "kernel_config.py")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == \
        f"{workspace / 'src'}: error: the build cannot write or read this file: File exists"
    assert "Traceback" not in result.stderr and not (workspace / "output").exists()
