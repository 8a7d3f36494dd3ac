"""What values a kernel's heuristics take at launch: derived from the config's constraints, jointly.

A heuristic (``BLOCK_SIZE = next_power_of_2(n_cols)``) is compiled once per value it can take, so its value set
must be finite and known at build time. It is the ``domains=`` the config lists, a truth value's two, or derived
here: each argument a heuristic reads ranges over what its type, its shape rule (a dim counts from 1: a launch with
no elements launches nothing) and the config's constraints allow (``'n_cols <= 16384'``, ``'N >= 64 and N <= 4096'``:
comparisons of an argument with a value known at build time), and the heuristics are evaluated over boxes of those
ranges by interval arithmetic (``expr.value_range``), splitting a box (at powers of two first) until each heuristic
has one value in it. The result is the set of value *combinations* some launch produces, per tactic
(``reachable``): two heuristics that never take some pair of values together are never compiled together. A
truth-valued heuristic that splitting does not decide takes both values; a heuristic whose inputs no constraint
bounds, or that takes more than ``MAX_VALUES`` values, is a config error naming what to add.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Dict, List, Mapping, Optional, Sequence, Set, Tuple

from . import expr, specialise
from .errors import ConfigError
from .model import NUM_SMS, ArgKind, Hint, KernelSpec, Variant

MAX_VALUES = 64  # a derived value set larger than this is a config error: each value is one image per tactic
SPLIT_BUDGET = 4096  # boxes evaluated per tactic before undecided truth values and declared domains are enumerated
DIM_MAX = 2**31 - 1  # the dims a bounded derivation assumes at most when a rule scales them (m * n)
_TYPE_RANGE = {4: (-2**31, 2**31 - 1), 8: (-2**63, 2**63 - 1)}


@dataclasses.dataclass(frozen=True)
class Variable:
    """One value a launch supplies to the heuristics: a dim (every argument computed as that dim), or an argument."""

    name: str  # what messages call it: the argument a heuristic reads
    lo: int
    hi: int
    bounded: bool  # whether the config bounds it (a constraint, or a rule over dims that constraints bound)


def _variables(spec: KernelSpec) -> Tuple[Dict[str, str], Dict[str, Variable]]:
    """(argument name -> variable key, variable key -> Variable) for every scalar a heuristic or constraint may read
    that is not known at build time, with the range its type and rule give it (constraints not yet applied)."""
    of: Dict[str, str] = {}
    variables: Dict[str, Variable] = {}
    computed = {v.target: v for v in spec.dim_size_values}
    dims = specialise.dim_of(spec)
    for arg in spec.args:
        if arg.kind is ArgKind.DIM_SIZE:
            rule = computed[arg.name].rule
            lo, hi = _TYPE_RANGE[arg.dtype.size]
            if arg.name in dims:
                key = "dim {}.{}".format(*dims[arg.name])
                of[arg.name] = key
                if key not in variables:
                    variables[key] = Variable(arg.name, 1, min(hi, DIM_MAX), False)
                continue
            dim_bounds = {name: (1, DIM_MAX) for name in expr.dim_bindings(rule.inputs)}
            try:
                rlo, rhi = expr.value_range(rule.expr, dim_bounds, lambda _: (1, 2**63 - 1))
            except (ValueError, ZeroDivisionError):
                rlo, rhi = lo, hi
            variables[arg.name] = Variable(arg.name, max(lo, rlo), min(hi, rhi), not expr.names(rule.expr))
            of[arg.name] = arg.name
        elif arg.kind is ArgKind.PARAM and arg.is_int_scalar:
            lo, hi = _TYPE_RANGE.get(arg.dtype.size, (-2**31, 2**31 - 1))
            variables[arg.name] = Variable(arg.name, lo, hi, False)
            of[arg.name] = arg.name
    if spec.uses_num_sms or any(NUM_SMS in expr.names(h.expr) for h in spec.heuristics):
        variables[NUM_SMS] = Variable(NUM_SMS, 1, 1024, True)
        of[NUM_SMS] = NUM_SMS
    return of, variables


def _known(spec: KernelSpec, tactic: int) -> Dict[str, int]:
    """The values known at build time: integer constexprs and the tactic's integer meta-parameters."""
    known = {a.name: int(a.value) for a in spec.args if a.is_int_constexpr}
    known.update((n, int(v)) for n, v in spec.tactics[tactic].meta if isinstance(v, int))
    return known


def _bounded(spec: KernelSpec, tactic: int) -> Tuple[Dict[str, str], Dict[str, Variable]]:
    """The variables with the bounds the constraints give them under ``tactic``: each conjunct comparing an argument
    with a value known at build time tightens that argument's variable."""
    of, variables = _variables(spec)
    known = _known(spec, tactic)
    for constraint in spec.constraints:
        for term in _conjuncts(constraint.expr):
            if not isinstance(term, expr.Compare) or term.op == "!=":
                continue
            for name, other, op in ((term.lhs, term.rhs, term.op), (term.rhs, term.lhs, _MIRROR[term.op])):
                if not isinstance(name, expr.Name) or name.id not in of or expr.names(other) - set(known) \
                        or expr.tensors(other):
                    continue
                try:
                    value = expr.evaluate(other, known)
                except (ArithmeticError, ValueError, KeyError):
                    continue
                v = variables[of[name.id]]
                lo, hi = v.lo, v.hi
                if op in ("<=", "<", "=="):
                    hi = min(hi, value - (op == "<"))
                if op in (">=", ">", "=="):
                    lo = max(lo, value + (op == ">"))
                variables[of[name.id]] = Variable(v.name, lo, hi, v.bounded or op in ("<=", "<", "=="))
    return of, variables


_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "=="}


def _conjuncts(e: expr.Expr) -> List[expr.Expr]:
    if isinstance(e, expr.BoolOp) and e.op == "and":
        return [t for a in e.args for t in _conjuncts(a)]
    return [e]


class _Explorer:
    """Evaluates the heuristics over boxes of the variables, splitting boxes until each heuristic is decided."""

    def __init__(self, spec: KernelSpec, tactic: int, of: Dict[str, str], variables: Dict[str, Variable]) -> None:
        self.spec, self.of, self.known = spec, of, _known(spec, tactic)
        self.heuristics = spec.heuristics
        self.budget = SPLIT_BUDGET
        self.combos: Dict[Tuple[object, ...], Dict[str, Tuple[int, int]]] = {}  # combo -> hull of its boxes
        self.reads = {}  # heuristic name -> the variables it depends on (through earlier heuristics too)
        for h in self.heuristics:
            deps: Set[str] = set()
            for name in expr.names(h.expr):
                deps |= self.reads.get(name, {of[name]} if name in of else set())
            self.reads[h.name] = deps
        # per heuristic: whether a later one reads what it reads (then splitting keeps the pairs apart)
        self.shared = [bool(self.reads[h.name] & set().union(*(self.reads[x.name] for x in self.heuristics[i + 1:])))
                       for i, h in enumerate(self.heuristics)]
        self.start = {key: (v.lo, v.hi) for key, v in variables.items()}

    def run(self) -> Dict[Tuple[object, ...], Dict[str, Tuple[int, int]]]:
        if all(lo <= hi for lo, hi in self.start.values()):  # else no launch satisfies the constraints
            self.explore(dict(self.start), 0, {})
        return self.combos

    def explore(self, box: Dict[str, Tuple[int, int]], index: int, values: Dict[str, Tuple[int, int]]) -> None:
        """Decide heuristics ``index`` onwards in ``box`` (the earlier ones have ``values``)."""
        if index == len(self.heuristics):
            combo = tuple(self._typed(h, values[h.name][0]) for h in self.heuristics)
            hull = self.combos.setdefault(combo, dict(box))
            for key, (lo, hi) in box.items():
                hull[key] = (min(hull[key][0], lo), max(hull[key][1], hi))
            return
        h = self.heuristics[index]
        try:
            lo, hi = self._range(h, box, values)
        except (ValueError, ArithmeticError, KeyError):
            lo, hi = None, None
        if lo is not None and lo == hi:
            self.explore(box, index + 1, {**values, h.name: (lo, lo)})
            return
        splittable = [key for key in sorted(self.reads[h.name]) if box[key][0] < box[key][1]]
        enumerable = h.domain is not None
        if expr.is_bool(h.expr) and not self.shared[index]:
            splittable = []  # both truth values, and no later heuristic to keep apart: no need to split
        if splittable and (self.budget > 0 or not enumerable):
            if self.budget <= 0:
                raise _Undecided(h)
            self.budget -= 1
            key = min(splittable, key=lambda k: (self._after_split(h, box, k, values), -_width(box[k]), k))
            for part in _split(*box[key]):
                self.explore({**box, key: part}, index, values)
            return
        if not enumerable:  # one point and still no value: the heuristic fails there (a zero divisor): no launch
            return
        for value in h.domain:
            if lo is None or lo <= int(value) <= hi:
                self.explore(box, index + 1, {**values, h.name: (int(value), int(value))})

    def _range(self, h, box: Dict[str, Tuple[int, int]], values: Dict[str, Tuple[int, int]]) -> Tuple[int, int]:
        ranges = {name: box[key] for name, key in self.of.items()}
        ranges.update((n, (v, v)) for n, v in self.known.items())
        ranges.update(values)
        return expr.value_range(h.expr, ranges)

    def _after_split(self, h, box, key: str, values) -> float:
        """How undecided ``h`` stays when ``box`` is split on ``key``: the halves' value ranges' widths (log2,
        summed), so the split goes where it decides most (a condition on one variable, a step of another)."""
        total = 0.0
        for part in _split(*box[key]):
            try:
                lo, hi = self._range(h, {**box, key: part}, values)
            except (ValueError, ArithmeticError, KeyError):
                return math.inf
            total += _width((lo, hi))
        return total

    @staticmethod
    def _typed(h, value: int) -> object:
        if expr.is_bool(h.expr):
            return bool(value)
        return value


class _Undecided(Exception):
    def __init__(self, heuristic) -> None:
        super().__init__(heuristic.name)
        self.heuristic = heuristic


def _width(bounds: Tuple[int, int]) -> float:
    lo, hi = bounds
    return math.log2(hi - lo + 1)


def _split(lo: int, hi: int) -> Tuple[Tuple[int, int], Tuple[int, int]]:
    """Two halves of [lo, hi] (lo < hi), cut after a power of two where one lies inside (the steps of
    next_power_of_2 and of tile counts), near the middle in log scale; else at the middle."""
    if lo >= 1:
        low, high = max(lo, 1).bit_length() - 1, hi.bit_length() - 1
        powers = [2 ** e for e in range(low, high + 1) if lo <= 2 ** e < hi]
        if powers:
            cut = powers[len(powers) // 2]
            return (lo, cut), (cut + 1, hi)
    elif hi > 0:
        return (lo, 0), (1, hi)
    middle = lo + (hi - lo) // 2
    return (lo, middle), (middle + 1, hi)


def reachable(spec: KernelSpec, tactic: int) -> Dict[Tuple[object, ...], Dict[str, Tuple[int, int]]]:
    """The combinations of heuristic values some launch under ``tactic`` produces, each within the heuristics'
    domains, in the domains' order (heuristic-major), with the range each argument a heuristic reads takes in them
    (argument name -> (lo, hi))."""
    of, variables = _bounded(spec, tactic)
    if not spec.heuristics:
        return {(): {name: (variables[key].lo, variables[key].hi) for name, key in of.items()}}
    try:
        combos = _Explorer(spec, tactic, of, variables).run()
    except _Undecided as exc:
        raise _unbounded(spec, exc.heuristic, of, variables)
    order = [{v: i for i, v in enumerate(h.domain)} for h in spec.heuristics]
    kept = sorted((c for c in combos if all(v in o for v, o in zip(c, order))),
                  key=lambda c: [o[v] for v, o in zip(c, order)])
    return {c: {name: combos[c][key] for name, key in of.items()} for c in kept}


def _unbounded(spec: KernelSpec, h, of: Dict[str, str], variables: Dict[str, Variable]) -> ConfigError:
    reads = sorted({variables[of[n]].name for n in expr.names(h.expr) if n in of and not variables[of[n]].bounded})
    return _cannot_list(h, f"no constraint bounds {', '.join(reads)}" if reads else "it takes too many values", reads)


def _cannot_list(h, why: str, unbounded: Sequence[str]) -> ConfigError:
    bound = f"constraints=['{unbounded[0]} <= ...']" if unbounded else "a tighter constraint"
    return ConfigError(f"heuristic '{h.name}' = {expr.render(h.expr)} takes a value per launch that plugingen cannot "
                       f"list: {why}", h.loc, f"add {bound}, or list its values: domains={{'{h.name}': [...]}}")


def derive(spec: KernelSpec) -> KernelSpec:
    """``spec`` with every heuristic's domain: declared ones as they are, the others the values it takes in some
    reachable combination of some tactic (a config error when they cannot be listed)."""
    if all(h.domain is not None for h in spec.heuristics):
        return spec
    heuristics = list(spec.heuristics)
    for index, h in enumerate(heuristics):
        if h.domain is not None:
            continue
        partial = dataclasses.replace(spec, heuristics=tuple(heuristics[:index + 1]))
        values: List[object] = []
        for tactic in range(len(spec.tactics)):
            of, variables = _bounded(partial, tactic)
            try:
                combos = _Explorer(partial, tactic, of, variables).run()
            except _Undecided as exc:
                raise _unbounded(partial, exc.heuristic, of, variables)
            values += sorted({c[index] for c in combos} - set(values))
        unbounded = _inputs_unbounded(partial, h)
        if unbounded:
            raise _cannot_list(h, f"no constraint bounds {', '.join(unbounded)}", unbounded)
        if len(values) > MAX_VALUES:
            raise _cannot_list(h, f"it takes {len(values)} values (more than {MAX_VALUES}; each is an image per "
                                  "tactic)", [])
        if not values:
            raise ConfigError(f"heuristic '{h.name}' = {expr.render(h.expr)} takes no value on any launch the "
                              "constraints allow", h.loc, "check the constraints")
        heuristics[index] = dataclasses.replace(h, domain=tuple(values))
    return dataclasses.replace(spec, heuristics=tuple(heuristics))


def _inputs_unbounded(spec: KernelSpec, h) -> List[str]:
    """The arguments ``h`` (the last of ``spec``'s heuristics) depends on, through earlier heuristics too, that no
    constraint bounds from above, where its value changes with them: a value set derived over the type's whole range
    would compile absurd images."""
    of, variables = _bounded(spec, 0)
    reads = _Explorer(spec, 0, of, variables).reads[h.name]
    return sorted({variables[key].name for key in reads
                   if not variables[key].bounded and _grows_with(spec, key, of, variables)})


def _grows_with(spec: KernelSpec, key: str, of: Dict[str, str], variables: Dict[str, Variable]) -> bool:
    """Whether the last heuristic's value over the variable ``key``'s range above 2**20 is not one value."""
    v = variables[key]
    if v.hi <= 2**20:
        return False
    narrowed = {**variables, key: dataclasses.replace(v, lo=max(v.lo, 2**20 + 1))}
    try:
        combos = _Explorer(spec, 0, of, narrowed).run()
    except _Undecided:
        return True
    return len({c[-1] for c in combos}) > 1


# ------------------------------------------------------------------------------------------------ variant facts
def facts(spec: KernelSpec, choice: Sequence[object], tactic: int,
          ranges: Mapping[str, Tuple[int, int]] = {}) -> Dict[str, frozenset]:
    """What a combination of heuristic values tells about the arguments' values, as hint facts: an argument that
    must be a multiple of 16 (``'16'``: ``EVEN_K = K % BLOCK_K == 0`` with BLOCK_K a multiple of 16, true) or 1
    (``'1'``), and ``'!16'`` / ``'!1'`` for one that cannot be (the same flag false, with BLOCK_K dividing 16;
    ``n == 1`` false; ``N == BLOCK_SIZE`` true with BLOCK_SIZE 48). Earlier heuristics' values count as known."""
    known = _known(spec, tactic)
    known.update((h.name, int(v)) for h, v in zip(spec.heuristics, choice))
    out: Dict[str, Set[str]] = {}
    for name, (lo, hi) in ranges.items():  # what the ranges of the launches with these values say
        if lo > 1 or hi < 1:
            out.setdefault(name, set()).add("!1")
        if lo == hi:
            out.setdefault(name, set()).add("16" if lo % 16 == 0 else "!16")
    for h, value in zip(spec.heuristics, choice):
        if expr.is_bool(h.expr):
            for name, fact in _facts_of(h.expr, bool(value), known):
                out.setdefault(name, set()).add(fact)
    return {name: frozenset(f) for name, f in out.items()}


def _facts_of(e: expr.Expr, value: bool, known: Mapping[str, int]) -> List[Tuple[str, str]]:
    if isinstance(e, expr.Not):
        return _facts_of(e.operand, not value, known)
    if isinstance(e, expr.BoolOp):
        if (e.op == "and") == value:  # every operand has the value
            return [f for a in e.args for f in _facts_of(a, value, known)]
        return []
    if not isinstance(e, expr.Compare) or e.op not in ("==", "!="):
        return []
    if e.op == "!=":
        value = not value
    for lhs, rhs in ((e.lhs, e.rhs), (e.rhs, e.lhs)):
        constant = _constant(rhs, known)
        if isinstance(lhs, expr.Name) and constant is not None and value:  # x == c
            return [(lhs.id, "1" if constant == 1 else "!1"), (lhs.id, "16" if constant % 16 == 0 else "!16")]
        if isinstance(lhs, expr.Name) and constant == 1:
            return [(lhs.id, "!1")]
        if isinstance(lhs, expr.BinOp) and lhs.op == "%" and isinstance(lhs.lhs, expr.Name) and constant == 0:
            divisor = _constant(lhs.rhs, known)
            if divisor is None or divisor <= 0:
                return []
            if value and divisor % 16 == 0:
                return [(lhs.lhs.id, "16"), (lhs.lhs.id, "!1")]
            if not value and 16 % divisor == 0:
                return [(lhs.lhs.id, "!16")]
            return []
    return []


def _constant(e: expr.Expr, known: Mapping[str, int]) -> Optional[int]:
    if expr.names(e) - set(known) or expr.tensors(e):
        return None
    try:
        return expr.evaluate(e, known)
    except (ArithmeticError, ValueError):
        return None


def variant_reachable(spec: KernelSpec, variant: Variant, found: Mapping[str, frozenset],
                      classes: Sequence[Tuple[int, ...]]) -> bool:
    """Whether some launch with these facts selects ``variant``: none of its hints contradicts a fact, and no
    variant before it (more specialised) always holds where it does given the facts (the dispatch takes the first
    whose hints hold)."""
    index = {a.name: i for i, a in enumerate(spec.args)}
    member_facts: Dict[int, frozenset] = {}
    for name, f in found.items():
        if name not in index:
            continue
        cls = next((c for c in classes if index[name] in c), (index[name],))
        for i in cls:
            member_facts[i] = member_facts.get(i, frozenset()) | f
    refined = list(variant.hints)
    for i, f in member_facts.items():
        hint = variant.hints[i]
        if hint is Hint.DIV16 and ("!16" in f or "1" in f) or hint is Hint.ONE and ("!1" in f or "16" in f):
            return False
        if hint is Hint.NONE and "1" in f:
            refined[i] = Hint.ONE
        elif hint is Hint.NONE and "16" in f:
            refined[i] = Hint.DIV16
    stronger = Variant(tuple(refined))
    position = spec.variants.index(variant)
    return stronger == variant or stronger not in spec.variants[:position]
