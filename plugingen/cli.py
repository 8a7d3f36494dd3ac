"""``plugingen`` command line: the only module that reads argv and the environment or prints."""
from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from pathlib import Path
from typing import List, Optional

from . import __version__, aot
from .errors import PluginGenError


def _archs(text: str) -> List[int]:
    archs = []
    for item in text.replace(",", " ").split():
        digits = item.lower().removeprefix("sm_").removeprefix("sm")
        if not digits.isdigit() or int(digits) not in aot.SUPPORTED_ARCHS:
            valid = ", ".join(map(str, aot.SUPPORTED_ARCHS))
            raise argparse.ArgumentTypeError(f"unknown arch '{item}' (supported: {valid})")
        archs.append(int(digits))
    if not archs:
        raise argparse.ArgumentTypeError("empty arch list")
    return archs


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plugingen", description="Build a TensorRT IPluginV3 plugin library and functional.py from Triton kernels "
                                      "and a PluginGen-style kernel_config.py. Needs no GPU and no TensorRT.")
    parser.add_argument("--workspace", required=True, type=Path,
                        help="folder for all generated files; results land in WORKSPACE/output")
    parser.add_argument("--kernel_config", "--kernel-config", required=True, type=Path,
                        help="Python file defining KERNELS = [KernelMetaData(...), ...]")
    parser.add_argument("--arch", type=_archs, action="extend", default=None,
                        help="target SMs, e.g. '80,90' (repeatable; default: %s); PTX of the lowest is embedded "
                             "for newer GPUs" % ",".join(map(str, aot.DEFAULT_ARCHS)))
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                        help="parallel Triton compiles and C++ jobs (default: CPU count)")
    parser.add_argument("--trt-include-dir", "--trt_include_dir", default=None,
                        help="TensorRT SDK include folder (default: TENSORRT_ROOT, standard paths, else plugingen's "
                             "own ABI headers)")
    parser.add_argument("--cache-dir", type=Path, default=None,
                        help="AOT cache folder, shareable between workspaces and runs (default: WORKSPACE/cache/aot)")
    parser.add_argument("--tensorrt_llm_include_path", default=None,
                        help="accepted for PluginGen compatibility; the generated code needs no TensorRT-LLM headers")
    parser.add_argument("--strict", action="store_true", help="treat config warnings as errors")
    parser.add_argument("-v", "--verbose", action="store_true", help="show commands, tool output and tracebacks")
    parser.add_argument("--version", action="version", version=f"plugingen {__version__}")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s",
                        stream=sys.stderr, force=True)
    if args.jobs < 1:
        print("plugingen: error: -j must be at least 1", file=sys.stderr)
        return 2
    workspace = args.workspace.expanduser().absolute()
    # Keep every file Triton writes inside the workspace, and its output reproducible.
    os.environ["TRITON_CACHE_DIR"] = str(workspace / "cache" / "triton")
    os.environ["TRITON_HOME"] = str(workspace / "cache" / "triton-home")
    os.environ["TRITON_DISABLE_LINE_INFO"] = "1"
    sys.dont_write_bytecode = True  # importing the user's kernels must not write __pycache__ beside them

    from .pipeline import Options, run

    options = Options(workspace=workspace, kernel_config=args.kernel_config,
                      archs=tuple(args.arch or aot.DEFAULT_ARCHS), jobs=args.jobs,
                      trt_include_dir=args.trt_include_dir,
                      cache_dir=args.cache_dir.expanduser().absolute() if args.cache_dir else None,
                      strict=args.strict, env=dict(os.environ))
    try:
        result = run(options)
    except PluginGenError as exc:
        if args.verbose:
            traceback.print_exc()
        print(str(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("plugingen: interrupted; the previous output/ is unchanged", file=sys.stderr)
        return 130
    print(f"plugingen: wrote {result.library} and {result.functional}")
    return 0
