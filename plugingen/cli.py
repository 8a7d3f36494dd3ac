"""``plugingen`` command line: the only module that reads argv and the environment or prints."""
from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Iterator, List, Optional

from . import __version__, aot, plan, specialise
from .errors import PluginGenError


PROGRESS_SECONDS = 10.0  # without a terminal, a progress line at least this often


class Progress:
    """``aot: 137/480 images, ~2 min left``: rewritten in place on a terminal, else logged every PROGRESS_SECONDS
    (and at the end)."""

    def __init__(self, tty: bool) -> None:
        self.tty, self.start, self.shown = tty, time.perf_counter(), None

    def __call__(self, done: int, total: int, cached: int) -> None:
        now = time.perf_counter()
        if not self.tty and done < total and self.shown is not None and now - self.shown < PROGRESS_SECONDS:
            return
        if self.shown is None and not self.tty and done < total:
            self.shown = now  # the first line after PROGRESS_SECONDS, not after one compile
            return
        self.shown = now
        left = (now - self.start) / done * (total - done) if done else 0.0
        eta = f"~{left / 60:.0f} min left" if left >= 90 else f"~{left:.0f} s left"
        line = f"aot: {done}/{total} images compiled ({cached} cached), {eta if done < total else 'done'}"
        if self.tty:
            sys.stderr.write("\r" + line + ("\n" if done == total else ""))
            sys.stderr.flush()
        else:
            logging.getLogger("plugingen").info("%s", line)


def _arch(item: str) -> int:
    """``90``, ``sm_90``, ``90a`` (the same: Triton compiles sm_90 and newer arch-specifically) -> 90."""
    digits = item.strip().lower().removeprefix("sm_").removeprefix("sm")
    specific = digits.endswith("a")
    digits = digits.removesuffix("a")
    valid = ", ".join(map(str, aot.SUPPORTED_ARCHS))
    if not digits.isdigit() or int(digits) not in aot.SUPPORTED_ARCHS:
        raise argparse.ArgumentTypeError(f"unknown arch '{item}' (supported: {valid}; 90a, 100a, ... name the same "
                                         "arch-specific targets as 90, 100, ...)")
    if specific and not aot.is_arch_specific(int(digits)):
        raise argparse.ArgumentTypeError(f"'{item}': sm_{digits} has no arch-specific target (those start at "
                                         f"sm_{aot.FIRST_ARCH_SPECIFIC}a)")
    return int(digits)


def _archs(text: str) -> List[int]:
    archs = [_arch(item) for item in text.replace(",", " ").split()]
    if not archs:
        raise argparse.ArgumentTypeError("empty arch list")
    return archs


def _ptx_arch(text: str) -> int:
    if text.strip().lower() == "none":
        return plan.NO_PTX
    arch = _arch(text)
    if aot.is_arch_specific(arch):
        raise argparse.ArgumentTypeError(f"--ptx-arch {text}: Triton compiles sm_{aot.FIRST_ARCH_SPECIFIC} and newer "
                                         "arch-specifically, which no other GPU can JIT-compile; give an arch below "
                                         f"{aot.FIRST_ARCH_SPECIFIC} (default: the lowest --arch if below, else "
                                         f"{aot.DEFAULT_PTX_ARCH})")
    return arch


def _add_arch_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--arch", type=_archs, action="extend", default=None,
                        help="target SMs, e.g. '80,90,100,120' (repeatable; default: %s; 90a = 90: Triton compiles "
                             "sm_90 and newer as arch-specific cubins, each run only by its own SM)"
                             % ",".join(map(str, aot.DEFAULT_ARCHS)))
    parser.add_argument("--ptx-arch", type=_ptx_arch, default=None, metavar="SM",
                        help="the arch of the portable PTX embedded for GPUs no cubin fits (below %d; default: the "
                             "lowest --arch when below %d, else %d; 'none': no PTX, only the --arch GPUs run the "
                             "plugin)" % (aot.FIRST_ARCH_SPECIFIC, aot.FIRST_ARCH_SPECIFIC, aot.DEFAULT_PTX_ARCH))
    parser.add_argument("--tuning", type=Path, default=None, metavar="TABLE",
                        help="a tuning table from 'plugingen tune': compile only the configs that win a bucket of "
                             "an autotuned kernel's key (plus the first), chosen per launch by that bucket")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plugingen", description="Build a TensorRT IPluginV3 plugin library and functional.py from Triton kernels "
                                      "and a PluginGen-style kernel_config.py. Needs no GPU and no TensorRT. Also: "
                                      "'plugingen check --kernel_config CFG' (validate, print the plan, compile "
                                      "nothing), 'plugingen tune ...' (on a GPU: a tuning table for --tuning) and "
                                      "'plugingen doctor' (what this machine has for a build).")
    parser.add_argument("--workspace", required=True, type=Path,
                        help="folder for all generated files; results land in WORKSPACE/output")
    parser.add_argument("--kernel_config", "--kernel-config", required=True, type=Path,
                        help="Python file defining KERNELS = [KernelMetaData(...), ...]")
    _add_arch_options(parser)
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
    parser.add_argument("--max-variants", type=int, default=specialise.DEFAULT_MAX_VARIANTS, metavar="N",
                        help="hint variants per tactic: the config's, plus the JIT's specialisations up to N "
                             "(default %d; docs/CONFIG.md)" % specialise.DEFAULT_MAX_VARIANTS)
    parser.add_argument("--exact-variants", action="store_true",
                        help="compile exactly the config's hint variants, as PluginGen does")
    parser.add_argument("-v", "--verbose", action="store_true", help="show commands, tool output and tracebacks")
    parser.add_argument("--version", action="version", version=f"plugingen {__version__}")
    return parser


def _check_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plugingen check", description="Validate a kernel_config.py (running its kernel files, compiling nothing) "
                                            "and print the plugin each kernel becomes.")
    parser.add_argument("--kernel_config", "--kernel-config", required=True, type=Path)
    _add_arch_options(parser)
    parser.add_argument("--workspace", type=Path, default=None,
                        help="say how much of the plan the workspace's AOT cache holds (or --cache-dir)")
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--strict", action="store_true", help="treat config warnings as errors")
    parser.add_argument("--max-variants", type=int, default=specialise.DEFAULT_MAX_VARIANTS, metavar="N")
    parser.add_argument("--exact-variants", action="store_true")
    parser.add_argument("-v", "--verbose", action="store_true", help="tracebacks")
    return parser


def _tune_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plugingen tune", description="On a GPU machine: time every config of each autotuned kernel at every "
                                           "bucket of its autotune key (next power of two of each key value) and "
                                           "write the tuning table a build with --tuning reads.")
    parser.add_argument("--workspace", required=True, type=Path,
                        help="a workspace built from the config without --tuning, for this GPU's arch")
    parser.add_argument("--kernel_config", "--kernel-config", required=True, type=Path)
    parser.add_argument("--dims", required=True,
                        help="the rules' dims to tune over: 'm=1:8192,k=4096,n=4096' (a range is visited at its ends "
                             "and every power of two between)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="a field value")
    parser.add_argument("--kernel", action="append", default=None, help="tune only this kernel or plugin (repeatable)")
    parser.add_argument("--out", type=Path, default=None, help="the table (default WORKSPACE/tuning.json; merged "
                                                               "into when it exists)")
    parser.add_argument("-v", "--verbose", action="store_true", help="tracebacks")
    return parser


def _tune(argv: List[str]) -> int:
    args = _tune_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr, force=True)
    workspace = args.workspace.expanduser().absolute()
    os.environ.setdefault("TRITON_CACHE_DIR", str(workspace / "cache" / "triton"))
    from . import tune

    try:
        fields = {}
        for item in args.param:
            name, _, value = item.partition("=")
            try:
                fields[name] = int(value)
            except ValueError:
                try:
                    fields[name] = float(value)
                except ValueError:
                    raise PluginGenError(f"--param {item}: not NAME=NUMBER")
        out = tune.tune(workspace, args.kernel_config.expanduser().absolute(), tune.parse_dims(args.dims), fields,
                        (args.out or workspace / "tuning.json").expanduser().absolute(), args.kernel)
    except PluginGenError as exc:
        if args.verbose:
            traceback.print_exc()
        print(str(exc), file=sys.stderr)
        return 2
    print(f"plugingen tune: wrote {out}")
    return 0


def _doctor_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plugingen doctor", description="Say what a build (and the tests) would find on this machine; exit 1 when "
                                             "a build could not succeed.")
    parser.add_argument("--trt-include-dir", "--trt_include_dir", default=None)
    return parser


class _Terminated(KeyboardInterrupt):
    """SIGTERM, stopping a command the way Ctrl-C does."""


def _raise_terminated(signum, frame) -> None:
    raise _Terminated()


@contextlib.contextmanager
def _sigterm_stops() -> Iterator[None]:
    """SIGTERM raises ``_Terminated`` meanwhile, so that a command cleans up (kills its compiles) as on Ctrl-C."""
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stopped_status(exc: KeyboardInterrupt) -> int:
    """The shells' convention: 128 + the signal (130 for Ctrl-C, 143 for SIGTERM)."""
    return 128 + (signal.SIGTERM if isinstance(exc, _Terminated) else signal.SIGINT)


def _check(argv: List[str]) -> int:
    try:
        with _sigterm_stops():
            return _check_config(argv)
    except KeyboardInterrupt as exc:
        print("plugingen check: interrupted", file=sys.stderr)
        return _stopped_status(exc)


def _check_config(argv: List[str]) -> int:
    import tempfile
    import time

    from . import config

    args = _check_parser().parse_args(argv)
    archs = tuple(args.arch or aot.DEFAULT_ARCHS)
    sys.dont_write_bytecode = True
    with tempfile.TemporaryDirectory(prefix="plugingen-check-") as scratch:  # whatever Triton writes on import
        os.environ["TRITON_CACHE_DIR"] = os.environ["TRITON_HOME"] = scratch
        start = time.perf_counter()
        try:
            spec = config.load_config(args.kernel_config, archs, None if args.exact_variants else args.max_variants)
            if args.strict and spec.warnings:
                raise config.ConfigErrors([PluginGenError(f"{w.message} (--strict)", w.loc, w.hint)
                                           for w in spec.warnings])
            from .pipeline import load_tuning

            tuning = load_tuning(args.tuning.expanduser().absolute(), spec) if args.tuning else None
            planned = plan.make_plan(spec, archs, args.ptx_arch, tuning)
        except PluginGenError as exc:
            if args.verbose:
                traceback.print_exc()
            print(str(exc), file=sys.stderr)
            return 2
    for warning in spec.warnings:
        print(str(warning), file=sys.stderr)
    from .report import describe_config

    cache = args.cache_dir or (args.workspace / "cache" / "aot" if args.workspace else None)
    print(describe_config(spec, planned, cache.expanduser().absolute() if cache else None, args.jobs))
    print(f"\nplugingen check: {args.kernel_config}: {len(spec.kernels)} kernel(s), no errors "
          f"({time.perf_counter() - start:.2f}s; nothing compiled)")
    return 0


def _doctor(argv: List[str]) -> int:
    from .report import diagnose

    args = _doctor_parser().parse_args(argv)
    findings = diagnose(dict(os.environ), args.trt_include_dir)
    for finding in findings:
        print(finding.line())
    blocking = [f.what for f in findings if f.needed and not f.ok]
    print(f"plugingen doctor: {'a build cannot succeed: ' + ', '.join(blocking) if blocking else 'ready to build'}")
    return 1 if blocking else 0


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["check"]:
        return _check(argv[1:])
    if argv[:1] == ["doctor"]:
        return _doctor(argv[1:])
    if argv[:1] == ["tune"]:
        return _tune(argv[1:])
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s",
                        stream=sys.stderr, force=True)
    if args.jobs < 1:
        print("plugingen: error: -j must be at least 1", file=sys.stderr)
        return 2
    if args.max_variants < 1:
        print("plugingen: error: --max-variants must be at least 1", file=sys.stderr)
        return 2
    workspace = args.workspace.expanduser().absolute()
    # Keep every file Triton writes inside the workspace, and its output reproducible.
    os.environ["TRITON_CACHE_DIR"] = str(workspace / "cache" / "triton")
    os.environ["TRITON_HOME"] = str(workspace / "cache" / "triton-home")
    os.environ["TRITON_DISABLE_LINE_INFO"] = "1"
    sys.dont_write_bytecode = True  # importing the user's kernels must not write __pycache__ beside them

    from .pipeline import Options, run

    options = Options(workspace=workspace, kernel_config=args.kernel_config,
                      archs=tuple(args.arch or aot.DEFAULT_ARCHS), ptx_arch=args.ptx_arch, jobs=args.jobs,
                      trt_include_dir=args.trt_include_dir,
                      cache_dir=args.cache_dir.expanduser().absolute() if args.cache_dir else None,
                      strict=args.strict, env=dict(os.environ),
                      max_variants=None if args.exact_variants else args.max_variants,
                      tuning=args.tuning.expanduser().absolute() if args.tuning else None,
                      status=Progress(sys.stderr.isatty()))
    try:
        with _sigterm_stops():
            result = run(options)
    except PluginGenError as exc:
        if args.verbose:
            traceback.print_exc()
        print(str(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        print("plugingen: interrupted; the previous output/ is unchanged", file=sys.stderr)
        return _stopped_status(exc)
    print(f"plugingen: wrote {result.library} and {result.functional}")
    return 0
