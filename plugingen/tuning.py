"""A kernel's ``@triton.autotune`` and ``@triton.heuristics``, read into the model's tactics and heuristics.

Used by ``config`` in two steps: ``read_decorators`` (before ``ios`` is matched, since the parameters the
decorators set are left out of it) and ``tactics`` / ``heuristics`` (once the arguments are known). Each autotune
config becomes one TensorRT tactic; each heuristic's lambda is translated into the expression grammar and
evaluated by the plugin per launch. Nothing is dropped silently: what cannot be honoured is a config error.
"""
from __future__ import annotations

import ast
import dataclasses
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, NoReturn, Optional, Sequence, Tuple, Union

from . import dsl, expr, loader
from .errors import ConfigError, Location
from .model import COMPILE_OPTION_HEURISTICS as COMPILE_OPTIONS
from .model import ArgKind, CompileOptions, Heuristic, KernelArg, Tactic, scalar_names


@dataclasses.dataclass
class Decorators:
    """What a kernel's decorators (or ``KernelMetaData(configs=...)``) ask for, before validation."""

    configs: Optional[List[Any]]  # triton.Config objects; None: the kernel is not tuned
    configs_from: str  # '@triton.autotune' or 'KernelMetaData configs' (for messages)
    reset_to_zero: Tuple[str, ...]
    heuristics: List[Tuple[str, Callable, bool]]  # (name, function, whether autotune's meta-parameters reach it)
    prune: Optional[Callable]  # autotune's early_config_prune
    loc: Location
    parameters: frozenset = frozenset()  # the kernel's parameter names
    key: Tuple[str, ...] = ()  # autotune's key: the arguments a config is tuned per value of
    config_locs: Tuple[Location, ...] = ()  # each config's own line, where the source lists them literally

    def config_loc(self, index: int) -> Location:
        return self.config_locs[index] if index < len(self.config_locs) else self.loc

    def unknown_keys(self) -> Dict[str, int]:
        """Names the configs set that are no parameter of the kernel -> the first config setting each."""
        found: Dict[str, int] = {}
        for index, config in enumerate(self.configs or ()):
            for name in _kwargs(config):
                if name not in self.parameters:
                    found.setdefault(name, index)
        return found

    @property
    def set_names(self) -> Dict[str, ArgKind]:
        """The parameters the decorators set, which ``ios`` leaves out (a heuristic may also set a compile option,
        ``num_warps`` or ``num_stages``, which is a parameter only where the kernel has one of that name)."""
        names = {name: ArgKind.TUNED for config in self.configs or () for name in _kwargs(config)
                 if name in self.parameters}
        names.update({name: ArgKind.HEURISTIC for name, _, _ in self.heuristics if name in self.parameters})
        return names


def _kwargs(config: Any) -> Dict[str, Any]:
    return dict(getattr(config, "kwargs", None) or {})


def read_decorators(kdef: loader.KernelDef, meta: dsl.KernelMetaData, loc: Location, configs_loc: Location,
                    heuristics_loc: Location, error: Callable[[str, Location, str], None],
                    at_config: Callable[[int], Location] = lambda index: None) -> Decorators:
    """The kernel's autotune configs, reset list and heuristics; unsupported decorator features are errors."""
    import triton

    name = meta.kernel_name
    raw = kdef.fn.fn
    if kdef.decorators:  # the first decorator's line: Python puts a decorated function's first line there
        loc = Location(raw.__code__.co_filename, raw.__code__.co_firstlineno)
    autotuners = [d for d in kdef.decorators if isinstance(d, triton.runtime.Autotuner)]
    configs: Optional[List[Any]] = None
    reset: Tuple[str, ...] = ()
    prune = None
    if len(autotuners) > 1:
        error(f"kernel '{name}' has {len(autotuners)} @triton.autotune decorators; a plugin takes one", loc, "")
    if autotuners:
        tuner = autotuners[0]
        configs = list(tuner.configs)
        reset = tuple(getattr(tuner, "reset_to_zero", None) or ())
        if getattr(tuner, "restore_value", None):
            error(f"@triton.autotune of '{name}' restores {', '.join(tuner.restore_value)}: the kernel updates them "
                  "in place, and a plugin's inputs are read-only", loc, "drop restore_value")
        for hook in ("pre_hook", "post_hook"):
            if getattr(tuner, f"user_defined_{hook}", False):
                error(f"@triton.autotune of '{name}' has a {hook}; a plugin cannot run Python at launch", loc,
                      "remove it (reset_to_zero is supported)")
        prune = getattr(tuner, "early_config_prune", None)
    if meta.configs is not None:
        if not isinstance(meta.configs, (list, tuple)) or not meta.configs or \
                not all(isinstance(c, triton.Config) for c in meta.configs):
            error(f"configs of kernel '{name}' must be a non-empty list of triton.Config, got {meta.configs!r}",
                  configs_loc, "")
            configs = None
        else:
            configs = list(meta.configs)
            prune = None  # the config's own list is taken as it is
    heuristics: List[Tuple[str, Callable, bool]] = []
    tuned_outside = False
    for decorator in kdef.decorators:  # outermost first: Triton applies them in this order
        if isinstance(decorator, triton.runtime.Autotuner):
            tuned_outside = True
        else:
            heuristics += [(n, f, tuned_outside) for n, f in decorator.values.items()]
    parameters = frozenset(p.name for p in kdef.fn.params)
    heuristics += _config_heuristics(meta, heuristics, configs, parameters, heuristics_loc, error)
    from_meta = meta.configs is not None
    key = tuple(getattr(autotuners[0], "keys", None) or ()) if autotuners else ()
    if from_meta:
        config_locs = tuple(at_config(index) for index in range(len(configs or ())))
    else:
        config_locs = _autotune_config_lines(raw) if autotuners else ()
    return Decorators(configs, "KernelMetaData configs" if from_meta else "@triton.autotune", reset, heuristics,
                      prune, configs_loc if from_meta else loc, parameters, key, config_locs)


def _autotune_config_lines(fn: Callable) -> Tuple[Location, ...]:
    """The line of each ``triton.Config(...)`` of the kernel's ``@triton.autotune(configs=[...])``, where the
    decorator lists them literally (else none: errors then point at the decorator)."""
    code = fn.__code__
    try:
        node = _find_function(ast.parse(Path(code.co_filename).read_text()), code)
    except (OSError, SyntaxError, ValueError):
        return ()
    for decorator in getattr(node, "decorator_list", ()):
        if isinstance(decorator, ast.Call) and getattr(decorator.func, "attr", getattr(decorator.func, "id", "")) \
                == "autotune":
            given = [k.value for k in decorator.keywords if k.arg == "configs"] + decorator.args[:1]
            if given and isinstance(given[0], (ast.List, ast.Tuple)):
                return tuple(Location(code.co_filename, e.lineno, e.col_offset + 1) for e in given[0].elts)
    return ()


def _config_heuristics(meta: dsl.KernelMetaData, decorated: Sequence[Tuple[str, Callable, bool]],
                       configs: Optional[List[Any]], parameters: frozenset, loc: Location,
                       error: Callable[[str, Location, str], None]) -> List[Tuple[str, Callable, bool]]:
    """``KernelMetaData(heuristics=...)``: what the kernel's caller computes per call, run after the decorators'
    heuristics (so they see the autotune config's meta-parameters and the decorators' values)."""
    given = meta.heuristics
    if given is None:
        return []
    name = meta.kernel_name
    if not isinstance(given, dict) or not given:
        error(f"heuristics of kernel '{name}' must be a dict like {{'BLOCK_SIZE': lambda args: "
              f"triton.next_power_of_2(args['n_cols'])}}, got {given!r}", loc, "")
        return []
    set_elsewhere = {n: "@triton.heuristics" for n, _, _ in decorated}
    set_elsewhere.update({n: "the autotune configs" for config in configs or () for n in _kwargs(config)})
    found = []
    for target, fn in given.items():
        if not isinstance(target, str) or not callable(fn):
            error(f"heuristics['{target}'] of kernel '{name}' must map a parameter name to a function of the "
                  f"arguments (lambda args: ...), got {fn!r}", loc, "")
        elif target in set_elsewhere:
            error(f"heuristics['{target}'] of kernel '{name}': {set_elsewhere[target]} set '{target}' already", loc,
                  "set each meta-parameter in one place")
        elif target not in parameters and target not in COMPILE_OPTIONS:
            error(f"heuristics['{target}'] of kernel '{name}' sets '{target}', which is neither a parameter of the "
                  f"kernel nor a compile option ({', '.join(COMPILE_OPTIONS)})", loc, "")
        else:
            found.append((target, fn, True))
    return found


def _prune(decorators: Decorators, params: Sequence[KernelArg], name: str,
           error: Callable[[str, Location, str], None]) -> List[Any]:
    """Autotune's ``early_config_prune``, run at build time with the arguments known then (the constexprs)."""
    configs = decorators.configs
    if decorators.prune is None:
        return configs
    known = {p.name: p.value for p in params if p.kind is ArgKind.CONSTEXPR}
    instead = "list the configs to compile with KernelMetaData(configs=[triton.Config(...), ...])"
    try:  # Triton passes the positional arguments as named_args and the keyword ones as keywords: give both
        kept = list(decorators.prune(configs, dict(known), **known))
    except KeyError as exc:  # noqa: B902 — user code
        argument = exc.args[0] if exc.args else None
        if argument in {p.name for p in params}:
            error(f"early_config_prune of '{name}' reads launch argument '{argument}', which a plugin build does not "
                  "have: the configs are compiled before any launch", decorators.loc,
                  f"{instead}; write what the prune checks per launch as constraints, e.g. "
                  f"constraints=['{next(iter(_kwargs(configs[0])), 'BLOCK')} <= {argument}']")
        else:
            error(f"early_config_prune of '{name}' failed at build time (KeyError: {exc})", decorators.loc, instead)
        return configs
    except Exception as exc:  # noqa: B902 — user code
        error(f"early_config_prune of '{name}' failed at build time ({type(exc).__name__}: {exc})", decorators.loc,
              instead)
        return configs
    if not kept:
        error(f"early_config_prune of '{name}' kept no config", decorators.loc, "")
        return configs
    return kept


# ------------------------------------------------------------------------------------------------ tactics
def tactics(decorators: Decorators, params: Sequence[KernelArg], meta: dsl.KernelMetaData, arch: int,
            at: Callable[[str], Location], error: Callable[[str, Location, str], None]) -> Tuple[Tactic, ...]:
    """One tactic per config (plain kernels: one, from ``num_warps``/``num_stages``)."""
    name = meta.kernel_name
    launch = dict(launch_pdl=meta.launch_pdl, launch_cooperative_grid=meta.launch_cooperative_grid)
    if decorators.configs is None:
        options = CompileOptions(dsl.DEFAULT_NUM_WARPS if meta.num_warps is None else meta.num_warps,
                                 dsl.DEFAULT_NUM_STAGES if meta.num_stages is None else meta.num_stages,
                                 num_ctas=1 if meta.num_ctas is None else meta.num_ctas, **launch)
        _check_options(options, f"kernel '{name}'", at, error)
        return (Tactic((), ((arch, options),)),)
    for field in ("num_warps", "num_stages", "num_ctas"):
        if getattr(meta, field) is not None:
            error(f"{field} of kernel '{name}' is set per config by {decorators.configs_from}", at(field),
                  f"remove {field} from the KernelMetaData")
    tuned = [p.name for p in params if p.kind is ArgKind.TUNED]
    result = []
    kept = _prune(decorators, params, name, error)
    for index, config in enumerate(kept):
        what = f"config {index} ({describe(config)}) of '{name}'"
        loc = decorators.config_loc(_index_of(decorators.configs, config, index))
        kwargs = _kwargs(config)
        missing = [n for n in tuned if n not in kwargs]
        if missing:
            error(f"{what} does not set {', '.join(missing)}, which other configs set", loc,
                  "every config must set the same meta-parameters")
        blocks = _hook_block_shapes(config, what, params, kwargs, loc, error)
        if getattr(config, "ir_override", None) is not None:
            error(f"{what} has an ir_override, which plugingen does not compile", loc, "")
        options = CompileOptions(config.num_warps, config.num_stages, getattr(config, "maxnreg", None),
                                 getattr(config, "num_ctas", 1) or 1, **launch)
        _check_options(options, what, lambda field, _loc=loc: _loc, error)
        meta_values = tuple((n, kwargs[n]) for n in tuned if n in kwargs)
        for key, value in meta_values:
            if not isinstance(value, (int, float, str)):
                error(f"{what} sets {key}={value!r}; a meta-parameter is an int, float, bool or str", loc, "")
        result.append(Tactic(meta_values, ((arch, options),), blocks))
    return tuple(result)


def _index_of(configs: Sequence[Any], config: Any, default: int) -> int:
    """``config``'s place in the unpruned list (a prune may drop some)."""
    return next((i for i, c in enumerate(configs) if c is config), default)


def describe(config: Any) -> str:
    """``BLOCK=256, num_warps=4, num_stages=3`` (Triton's own ``str(config)`` differs between versions)."""
    parts = [f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}" for k, v in _kwargs(config).items()]
    parts += [f"num_warps={config.num_warps}", f"num_stages={config.num_stages}"]
    parts += [f"{k}={getattr(config, k)}" for k in ("num_ctas", "maxnreg")
              if getattr(config, k, None) not in (None, 1)]
    return ", ".join(parts)


class _BuildTimeArgs(dict):
    """The ``nargs`` a config's pre_hook gets at build time: constexprs, the config's meta-parameters and stand-in
    descriptors; any other argument exists only at launch."""

    def __missing__(self, key: str) -> Any:
        raise _LaunchArgument(key)


class _LaunchArgument(Exception):
    pass


def _hook_block_shapes(config: Any, what: str, params: Sequence[KernelArg], kwargs: Dict[str, Any], loc: Location,
                       error: Callable[[str, Location, str], None]) -> Tuple[Tuple[str, Tuple[int, ...]], ...]:
    """The block shapes a config's pre_hook gives the kernel's host tensor descriptors (Triton's tutorials set
    ``nargs['a_desc'].block_shape`` from the config's meta-parameters there). The hook runs at build time on
    stand-in descriptors; one that reads a launch argument or does anything else is an error, as is a hook on a
    kernel without descriptors: a plugin runs no Python at launch."""
    hook = getattr(config, "pre_hook", None)
    if hook is None:
        return ()
    descriptors = [p for p in params if p.is_descriptor]
    if not descriptors:
        error(f"{what} has a pre_hook; a plugin cannot run Python at launch", loc,
              "a pre_hook is run at build time only to learn the block shapes of tensordesc arguments")
        return ()
    try:
        from triton.tools.tensor_descriptor import TensorDescriptor
    except ImportError:
        error(f"{what} sets tensor descriptors in its pre_hook, which this Triton has no TensorDescriptor for", loc,
              "build with Triton 3.4 or newer")
        return ()
    stand_ins = {}
    for p in descriptors:
        stand_in = object.__new__(TensorDescriptor)  # no __post_init__: it has no tensor
        vars(stand_in).update(base=None, shape=None, strides=None, block_shape=None, padding="zero")
        stand_ins[p.name] = stand_in
    nargs = _BuildTimeArgs({p.name: p.value for p in params if p.kind is ArgKind.CONSTEXPR})
    nargs.update(kwargs)
    nargs.update(stand_ins)
    try:
        hook(nargs)
    except _LaunchArgument as exc:
        error(f"{what}: its pre_hook reads '{exc.args[0]}', which exists only at launch", loc,
              "plugingen runs a pre_hook at build time to learn descriptor block shapes: it may read constexprs and "
              "meta-parameters only")
        return ()
    except Exception as exc:  # the user's code: whatever it raises means it did more than set block shapes
        error(f"{what}: its pre_hook failed at build time ({type(exc).__name__}: {exc})", loc,
              "plugingen runs a pre_hook at build time only to learn descriptor block shapes")
        return ()
    found = []
    for name, stand_in in stand_ins.items():
        state = vars(stand_in)
        if any(state[k] is not None for k in ("base", "shape", "strides")) or state["padding"] != "zero":
            error(f"{what}: its pre_hook changes more of descriptor '{name}' than its block_shape", loc,
                  "a plugin builds descriptors over the whole tensor, padded with zeros")
        block = state["block_shape"]
        if block is None:
            continue
        if not isinstance(block, (list, tuple)) or not all(isinstance(d, int) for d in block):
            error(f"{what}: its pre_hook sets the block_shape of '{name}' to {block!r}, not a list of ints", loc, "")
            continue
        found.append((name, tuple(int(d) for d in block)))
    return tuple(found)


def _check_options(options: CompileOptions, what: str, at: Callable[[str], Location],
                   error: Callable[[str, Location, str], None]) -> None:
    for field, need, ok in (
            ("num_warps", "a power of two from 1 to 32", lambda v: v >= 1 and not v & (v - 1) and v <= 32),
            ("num_stages", "a non-negative integer", lambda v: v >= 0)):
        value = getattr(options, field)
        if isinstance(value, bool) or not isinstance(value, int) or not ok(value):
            error(f"{field} of {what} must be {need}, got {value!r}", at(field), "")
    if options.maxnreg is not None and (not isinstance(options.maxnreg, int) or options.maxnreg <= 0):
        error(f"maxnreg of {what} must be a positive integer, got {options.maxnreg!r}", at("configs"), "")
    ctas = options.num_ctas
    if isinstance(ctas, bool) or not isinstance(ctas, int) or not 1 <= ctas <= 16 or ctas & (ctas - 1):
        error(f"num_ctas of {what} must be a power of two from 1 to 16 (a cluster's CTAs), got {ctas!r}",
              at("num_ctas"), "")
    for flag in ("launch_pdl", "launch_cooperative_grid"):
        if not isinstance(getattr(options, flag), bool):
            error(f"{flag} of {what} must be True or False, got {getattr(options, flag)!r}", at(flag), "")


# ------------------------------------------------------------------------------------------------ heuristics
def heuristics(decorators: Decorators, params: Sequence[KernelArg], found: Sequence[Tactic],
               meta: dsl.KernelMetaData, domains_loc: Location,
               error: Callable[[str, Location, str], None]) -> Tuple[Heuristic, ...]:
    """Each heuristic translated, with the values it is compiled for."""
    domains = meta.domains if meta.domains is not None else {}
    if not isinstance(domains, dict):
        error(f"domains of kernel '{meta.kernel_name}' must be a dict like {{'BLOCK_SIZE': [64, 128]}}, got "
              f"{domains!r}", domains_loc, "")
        domains = {}
    names = [n for n, _, _ in decorators.heuristics]
    for key in domains:
        if key not in names:
            error(f"domains names '{key}', which no @triton.heuristics of '{meta.kernel_name}' sets "
                  f"(heuristics: {', '.join(names) or 'none'})", domains_loc, "")
    kinds = {p.name: p for p in params}
    constexprs = {p.name: p.value for p in params if p.kind is ArgKind.CONSTEXPR}
    tuned = {p.name for p in params if p.kind is ArgKind.TUNED}
    result: List[Heuristic] = []
    failed = set()  # heuristics already reported: one that reads them is not reported again
    for name, fn, sees_tuned in decorators.heuristics:
        failed.add(name)
        try:
            loc, source, body, resolve = _heuristic_source(fn, name)
        except ConfigError as exc:
            error(exc.message, exc.loc, exc.hint)
            continue
        if any(isinstance(key, str) and key in failed - {name} for key in map(resolve, ast.walk(body))):
            continue
        done = {r.name for r in result}
        readable = (set(scalar_names(params)) - {h for h in names if h not in done}) | done
        if not sees_tuned:
            readable -= tuned

        def fail(node: ast.AST, why: str, _name=name, _loc=loc) -> NoReturn:
            where = Location(_loc.file, getattr(node, "lineno", _loc.line), getattr(node, "col_offset", -1) + 1)
            raise ConfigError(f"heuristic '{_name}' cannot become plugin code: {why}", where)

        def leaf(node: ast.expr, _readable=readable, _fail=fail) -> Optional[expr.Expr]:
            key = resolve(node)
            if not isinstance(key, str):
                return key
            if key not in _readable:
                p = kinds.get(key)
                why = (f"args['{key}'] is a tensor; heuristics read scalar arguments and constexprs" if p and
                       p.is_tensor else f"args['{key}'] is {'not available here' if p else 'not a kernel argument'}"
                       f" (readable: {', '.join(sorted(_readable)) or 'none'})")
                _fail(node, why)
            return expr.Name(key)

        try:
            translated = expr.from_python(body, leaf, fail)
        except ConfigError as exc:
            error(exc.message, exc.loc, "heuristics may use +, -, *, //, %, comparisons, and/or/not, if-else, min, "
                  "max, cdiv and next_power_of_2 over scalar arguments and constexprs")
            continue
        domain = _domain(name, translated, domains.get(name), found, constexprs, result, loc, error)
        if domain is not False:
            result.append(Heuristic(name, translated, domain, source, loc))
            failed.discard(name)
    return tuple(result)


def _domain(name: str, translated: expr.Expr, given: Any, found: Sequence[Tactic], constexprs: Mapping[str, Any],
            earlier: Sequence[Heuristic], loc: Location,
            error: Callable[[str, Location, str], None]) -> Union[Tuple[object, ...], None, bool]:
    """The values heuristic ``name`` is compiled for: the declared domain; else a truth value's two; else, when
    computable at build time, its value under each tactic; else None: derived from the constraints once they are
    known (``domains.derive``). False after an error."""
    if given is not None:
        if not isinstance(given, (list, tuple)) or not given or not all(isinstance(v, int) for v in given):
            error(f"domains['{name}'] must be a non-empty list of integers, got {given!r}", loc, "")
            return False
        return tuple(dict.fromkeys(given))
    if expr.is_bool(translated):
        return (False, True)
    values = []
    for tactic in found:
        env = {k: v for k, v in constexprs.items() if isinstance(v, int)}
        env.update((k, v) for k, v in tactic.meta if isinstance(v, int))
        env.update((h.name, h.domain[0]) for h in earlier if h.domain is not None and len(h.domain) == 1)
        if not expr.names(translated) <= set(env):
            return None
        try:
            values.append(expr.evaluate(translated, env))
        except (ArithmeticError, ValueError) as exc:  # 2 ** 63, 2 ** -1, a division by a zero constexpr
            given = ", ".join(f"{k}={v}" for k, v in env.items())
            error(f"heuristic '{name}' fails{f' for {given}' if given else ''}: {exc}", loc, "")
            return False
    return tuple(dict.fromkeys(values))


def _heuristic_source(fn: Callable, name: str):
    """(location, source text, body expression, leaf resolver) of a heuristic function or lambda."""
    code = getattr(fn, "__code__", None)
    if code is None:
        raise ConfigError(f"heuristic '{name}' is {fn!r}, not a function or lambda")
    path = Path(code.co_filename)
    try:
        text = path.read_text()
        tree = ast.parse(text)
    except (OSError, SyntaxError, ValueError):
        raise ConfigError(f"heuristic '{name}': cannot read its source in {path}", Location(str(path),
                                                                                           code.co_firstlineno))
    node = _find_function(tree, code)
    loc = Location(str(path), code.co_firstlineno)
    if node is None:
        raise ConfigError(f"heuristic '{name}': cannot find its source", loc)
    loc = Location(str(path), node.lineno, node.col_offset + 1)
    params = [a.arg for a in node.args.args]
    if isinstance(node, ast.Lambda):
        body = node.body
    else:
        statements = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        if len(statements) != 1 or not isinstance(statements[0], ast.Return) or statements[0].value is None:
            raise ConfigError(f"heuristic '{name}' must be one 'return <expression>' to become plugin code", loc)
        body = statements[0].value
    if len(params) != 1:
        raise ConfigError(f"heuristic '{name}' must take one argument (the kernel's arguments), takes "
                          f"{len(params)}", loc)
    args_name = params[0]
    scope = dict(fn.__globals__)
    if fn.__closure__:
        scope.update(zip(code.co_freevars, (c.cell_contents for c in fn.__closure__)))

    def resolve(node: ast.expr):
        """args['K'] -> 'K' (a str); a module constant -> its value as an Expr; anything else None."""
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == args_name \
                and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            return node.slice.value
        if isinstance(node, ast.Name) and node.id != args_name and node.id in scope:
            value = scope[node.id]
            if isinstance(value, bool):
                return expr.Bool(value)
            if isinstance(value, int) and value >= 0:
                return expr.Num(value)
        return None

    return loc, ast.get_source_segment(text, node) or "", body, resolve


def _find_function(tree: ast.AST, code: Any) -> Optional[ast.AST]:
    """The lambda or def whose compiled code is ``code`` (by line, then by the code's column positions)."""
    line = code.co_firstlineno
    if code.co_name != "<lambda>":
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == code.co_name and \
                    line in (node.lineno, *(d.lineno for d in node.decorator_list)):
                return node
        return None
    candidates = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda) and n.lineno == line]
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    # the code's own positions, less the (line, line, 0, 0) Python gives its entry and exit instructions
    positions = [p for p in getattr(code, "co_positions", lambda: ())()
                 if p[0] is not None and p[2] is not None and (p[2], p[3]) != (0, 0)]
    for node in candidates:
        start, end = (node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset)
        if positions and all(start <= (p[0], p[2]) and (p[1], p[3]) <= end for p in positions):
            return node
    return None
