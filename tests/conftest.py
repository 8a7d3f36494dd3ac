"""Shared pytest setup: markers, and building example plugins once per session."""
import ast
import os
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
TEST_KERNELS = ROOT / "tests" / "kernels"
TEST_ARCHS = "80,90"


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="also run tests marked slow")
    parser.addoption("--update-golden", action="store_true", default=False, help="rewrite tests/golden/ files")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow; use --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def all_configs():
    """Every config the project ships: the examples and the GPU-test kernels."""
    return sorted(EXAMPLES.glob("*/kernel_config.py")) + sorted(TEST_KERNELS.glob("*_config.py"))


def prebuilt_name(config):
    return f"{Path(config).parent.name}-{Path(config).stem}"


def _declared(config, name):
    """A test config's module-level ``NAME = value`` (a literal), read without running the config."""
    match = re.search(rf"^{name} = (.+)$", Path(config).read_text(), re.M)
    return ast.literal_eval(match.group(1)) if match else None


def config_archs(config):
    """The archs the tests build a config for: its TEST_ARCHS (kernels only sm_90+ compiles), else TEST_ARCHS."""
    return _declared(config, "TEST_ARCHS") or TEST_ARCHS


def min_triton(config):
    """The oldest Triton (major, minor) a test config's kernels compile with (its MIN_TRITON), else None."""
    found = _declared(config, "MIN_TRITON")
    return tuple(found) if found else None


@pytest.fixture(scope="session")
def aot_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("aot-cache")


@pytest.fixture(scope="session")
def build_plugin(tmp_path_factory, aot_cache):
    """build_plugin(config_path, archs='80,90') -> the workspace's output/ folder (built once per session)."""
    from plugingen.cli import main

    built = {}

    prebuilt = os.environ.get("PLUGINGEN_PREBUILT")

    def build(config, archs=None):
        archs = archs or config_archs(config)
        key = (str(config), archs)
        if prebuilt:  # libraries built elsewhere (the CPU machine) and carried here: never rebuild
            folder = Path(prebuilt) / prebuilt_name(config)
            if (folder / "SKIPPED").is_file():  # prebuild.py: the Triton it ran is older than the config needs
                pytest.skip((folder / "SKIPPED").read_text().strip())
            output = folder / "output"
            assert (output / "libtriton_plugins.so").is_file(), f"no prebuilt library for {config} in {prebuilt}"
            return output
        if key not in built:
            workspace = tmp_path_factory.mktemp(Path(config).parent.name + "-" + Path(config).stem)
            rc = main(["--workspace", str(workspace), "--kernel_config", str(config), "--arch", archs,
                       "--cache-dir", str(aot_cache)])
            assert rc == 0, f"plugingen failed for {config}"
            built[key] = workspace / "output"
        return built[key]

    return build


def build_isolated(config, workspace, arch, *flags):
    """``python -m plugingen`` on ``config`` in a subprocess with no GPU visible, as on a build machine (the published
    kernels import torch and ask the device); a PluginRunner on the library it built."""
    import subprocess
    import sys

    from plugingen.testing import PluginRunner

    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    result = subprocess.run([sys.executable, "-m", "plugingen", "--workspace", str(workspace), "--kernel_config",
                             str(config), "--arch", arch, "-j", "8", *flags], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    return PluginRunner(Path(workspace) / "output" / "libtriton_plugins.so")


def build_published(tmp_path_factory, name, arch, *flags):
    """The published kernel ``name`` ($PLUGINGEN_PUBLISHED/<name>.py, tests/published/README.md) and its config,
    copied into a fresh folder and built there (``build_isolated``)."""
    folder = tmp_path_factory.mktemp(name)
    shutil.copy(Path(os.environ["PLUGINGEN_PUBLISHED"]) / f"{name}.py", folder / f"{name}.py")
    shutil.copy(ROOT / "tests" / "published" / f"{name}_config.py", folder / "kernel_config.py")
    return build_isolated(folder / "kernel_config.py", folder / "ws", arch, *flags)


def have_cxx():
    return shutil.which("c++") or shutil.which("g++")


@pytest.fixture(scope="module")
def runner(build_plugin):
    """runner(config) -> a PluginRunner on that config's library (one per config and test module; the GPU tests)."""
    from plugingen.testing import PluginRunner

    runners = {}

    def get(config):
        if config not in runners:
            runners[config] = PluginRunner(build_plugin(config) / "libtriton_plugins.so")
        return runners[config]

    yield get
    for r in runners.values():
        r.close()
