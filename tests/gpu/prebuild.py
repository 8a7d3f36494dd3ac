"""Build every shipped config on this (CPU) machine into DEST/<folder>-<config>/output, for the GPU machine to run
as they are (PLUGINGEN_PREBUILT=DEST): proof that the GPU-less build is the real one.

    python tests/gpu/prebuild.py DEST [--arch 80,90]

Without --arch each config is built for the archs the tests use (its TEST_ARCHS, else 80,90). A config whose
MIN_TRITON is newer than the installed Triton is not built: DEST/<folder>-<config>/SKIPPED says why, and the tests
that need it skip.
"""
import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import all_configs, config_archs, min_triton, prebuilt_name  # noqa: E402

import triton  # noqa: E402

from plugingen import triton_compat  # noqa: E402
from plugingen.cli import main  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("dest", type=Path)
parser.add_argument("--arch", default=None)
args = parser.parse_args()
with tempfile.TemporaryDirectory() as scratch:
    for config in all_configs():
        workspace = Path(scratch) / prebuilt_name(config)
        shutil.rmtree(args.dest / prebuilt_name(config), ignore_errors=True)
        needs = min_triton(config)
        if needs and triton_compat.version() < needs:
            (args.dest / prebuilt_name(config)).mkdir(parents=True)
            reason = f"{config.name} needs Triton {needs[0]}.{needs[1]} or newer; built with {triton.__version__}"
            (args.dest / prebuilt_name(config) / "SKIPPED").write_text(reason + "\n")
            print(f"skipped: {reason}")
            continue
        if main(["--workspace", str(workspace), "--kernel_config", str(config), "--arch",
                 args.arch or config_archs(config), "--cache-dir", str(Path(scratch) / "aot-cache")]) != 0:
            sys.exit(f"failed: {config}")
        shutil.copytree(workspace / "output", args.dest / prebuilt_name(config) / "output")
