"""Build every shipped config on this (CPU) machine into DEST/<folder>-<config>/output, for the GPU machine to run
as they are (PLUGINGEN_PREBUILT=DEST): proof that the GPU-less build is the real one.

    python tests/gpu/prebuild.py DEST [--arch 80,90]
"""
import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import all_configs, prebuilt_name  # noqa: E402

from plugingen.cli import main  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("dest", type=Path)
parser.add_argument("--arch", default="80,90")
args = parser.parse_args()
with tempfile.TemporaryDirectory() as scratch:
    for config in all_configs():
        workspace = Path(scratch) / prebuilt_name(config)
        if main(["--workspace", str(workspace), "--kernel_config", str(config), "--arch", args.arch,
                 "--cache-dir", str(Path(scratch) / "aot-cache")]) != 0:
            sys.exit(f"failed: {config}")
        shutil.rmtree(args.dest / prebuilt_name(config), ignore_errors=True)
        shutil.copytree(workspace / "output", args.dest / prebuilt_name(config) / "output")
