"""Running the user's Python files: the kernel config (with TensorRT-LLM's PluginGen module mapped onto our DSL) and
the kernel files, and finding a Triton kernel in one. Used by ``config``, the AOT workers and the benchmarks.

Any failure inside a user file is a ``ConfigError`` at the deepest line of that file.
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import sys
import types
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

from . import dsl
from .errors import ConfigError, Location, PluginGenError


def _shim_modules() -> Dict[str, types.ModuleType]:
    """Module objects that make ``from tensorrt_llm.tools.plugin_gen.core import *`` resolve to our DSL."""
    names = ["tensorrt_llm", "tensorrt_llm.tools", "tensorrt_llm.tools.plugin_gen",
             "tensorrt_llm.tools.plugin_gen.core"]
    modules = {}
    for name in names:
        module = types.ModuleType(name)
        module.__path__ = []  # a package, so submodules resolve
        modules[name] = module
    core = modules[names[-1]]
    for symbol in dsl.__all__:
        setattr(core, symbol, getattr(dsl, symbol))
    core.__all__ = list(dsl.__all__)
    for parent, child in zip(names, names[1:]):
        setattr(modules[parent], child.rsplit(".", 1)[1], modules[child])
    return modules


@contextlib.contextmanager
def plugin_gen_compat() -> Iterator[None]:
    """Make ``from tensorrt_llm.tools.plugin_gen.core import *`` load our DSL while a config runs.

    Where TensorRT-LLM is installed only that module is replaced (a from-import finds it in ``sys.modules``
    without importing its parents), so the rest of TensorRT-LLM stays importable.
    """
    shims = _shim_modules()
    if importlib.util.find_spec("tensorrt_llm") is not None:
        shims = {name: module for name, module in shims.items() if name.endswith(".core")}
    saved = {name: sys.modules.get(name) for name in shims}
    sys.modules.update(shims)
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def _error_in_file(exc: BaseException, path: Path, what: str) -> ConfigError:
    """A ConfigError for an exception raised while executing ``path``, placed at the deepest frame in that file."""
    if isinstance(exc, PluginGenError):
        return exc if isinstance(exc, ConfigError) else ConfigError(exc.message, exc.loc, exc.hint)
    if isinstance(exc, SyntaxError):
        return ConfigError(f"syntax error in {what}: {exc.msg}",
                           Location(exc.filename or str(path), exc.lineno or 0, exc.offset or 0))
    line = 0
    tb = exc.__traceback__
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename).resolve() == path.resolve():
            line = tb.tb_lineno
        tb = tb.tb_next
    return ConfigError(f"{what} raised {type(exc).__name__}: {exc}", Location(str(path), line))


def run_file(path: Path, module_name: str, what: str) -> types.ModuleType:
    """Execute a user Python file as a module (its folder importable while it runs)."""
    try:
        source = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{what} not found: {path}")
    except OSError as exc:
        raise ConfigError(f"cannot read {what}: {exc.strerror}: {path}")
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    sys.modules[module_name] = module  # dataclasses and Triton's source lookup need the module registered
    try:
        code = compile(source, str(path), "exec")
        exec(code, module.__dict__)
    except BaseException as exc:  # noqa: B902 — any failure in user code is a user error
        sys.modules.pop(module_name, None)
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise _error_in_file(exc, path, what) from exc
    finally:
        sys.path.remove(str(path.parent))
    return module


def _module_name(kind: str, path: Path) -> str:
    return f"plugingen_{kind}_{hashlib.sha256(str(path).encode()).hexdigest()[:12]}"


def run_config(path: Path) -> types.ModuleType:
    """Execute a kernel config (PluginGen's TensorRT-LLM import resolving to our DSL)."""
    with plugin_gen_compat():
        return run_file(path, _module_name("config", path), "kernel config")


def _jit_kernel_names(module: types.ModuleType) -> List[str]:
    import triton

    kernels = (triton.runtime.jit.JITFunction, triton.runtime.Autotuner, triton.runtime.Heuristics)
    return sorted(name for name, value in vars(module).items() if isinstance(value, kernels))


def load_kernel(kernel_file: Path, kernel_name: str, loc: Optional[Location] = None) -> Any:
    """The ``triton.JITFunction`` ``kernel_name`` of ``kernel_file`` (the file executed afresh)."""
    import triton  # deferred: importing Triton costs time and is only needed by the stages that compile

    module = run_file(kernel_file, _module_name("kernel", kernel_file), f"kernel file {kernel_file.name}")
    fn = getattr(module, kernel_name, None)
    if fn is None:
        found = ", ".join(_jit_kernel_names(module)) or "none"
        raise ConfigError(f"kernel '{kernel_name}' is not defined in {kernel_file} (its Triton kernels: {found})", loc)
    while not isinstance(fn, triton.runtime.jit.JITFunction):
        if isinstance(fn, triton.runtime.Autotuner):
            raise ConfigError(f"kernel '{kernel_name}' is wrapped by @triton.autotune; a plugin runs one "
                              "configuration", loc, "remove the decorator and set num_warps, num_stages and the "
                              "Constexpr values in the config")
        inner = getattr(fn, "fn", None)
        if inner is None:
            raise ConfigError(f"'{kernel_name}' in {kernel_file} is not a @triton.jit kernel", loc)
        fn = inner
    return fn
