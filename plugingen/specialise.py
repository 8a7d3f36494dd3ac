"""Automatic specialisation: besides the config's hint variants, compile the ones Triton's JIT would pick for the
shapes users feed, within a budget.

Triton's JIT specialises every integer argument on ``== 1`` (compiled in) and ``% 16 == 0``, and every pointer on
``% 16 == 0``, from the values of each launch. A plugin cannot compile per launch, so plugingen compiles a few points of
that lattice ahead of time and dispatches, per launch, to the most specialised one whose facts hold:

* **Value classes.** Arguments computed from the same dim share one value (``'a[m, k] : k -> K'`` and
  ``'a[m, k] : k -> stride_am'``; dims that rules tie, like ``k`` of ``a[m, k], b[k, n]``, are one), so the lattice is
  over classes, not arguments: the tutorial matmul has the classes ``m``, ``n``, ``k``, not nine integers. Another
  computed value and each integer ParamArg are a class of their own; all pointers are one class (TensorRT's buffers
  are aligned). A DimSizeArg whose rule is a constant is a fact already (``config._with_constant_facts``). A class
  none of whose members the kernel's body names (FMHA's ``batch_size``, which only sizes the grid) is left out: no
  fact about it changes the code.
* **Refinements.** A config variant promises something about some arguments; the classes it leaves free
  (every member's hint ``''``) can be refined. The refinements of one config variant, in this order: pointers aligned
  with every free class ``% 16``; then with one class left free, then two, ... (class order: DimSizeArg classes in
  kernel order, then ParamArgs), up to all of them: the whole ``% 16`` lattice; then every free class ``== 1``. A
  config variant whose hint holds for one member of a class promises it for the whole class (same value). The
  config variants take turns (most specialised first): the first refinement of each, then the second of each, ...
* **Budget.** ``max_variants`` per (tactic, heuristic values): the config's variants always stay; automatic ones are
  added in candidate order until the budget is reached. The default, 16, holds the whole lattice of kernels with up
  to three classes (matmul: 8 + 1). ``None``: PluginGen's exact variant set.
"""
from __future__ import annotations

import dataclasses
import itertools
from typing import Dict, List, Optional, Sequence, Tuple

from . import expr
from .model import ConfigSpec, Hint, KernelSpec, Variant

DEFAULT_MAX_VARIANTS = 16


@dataclasses.dataclass(frozen=True)
class ValueClass:
    """Kernel arguments that always have the same value at a launch."""

    name: str  # the dim (``k``), or the argument's name
    members: Tuple[int, ...]  # positions in KernelSpec.args
    pointer: bool


def dim_of(spec: KernelSpec) -> Dict[str, Tuple[int, int]]:
    """Each DimSizeArg computed as one dim (``'a[m, k] : k -> K'``), by that dim: the (input slot, position) that
    stands for every position the rules tie to it (a name repeated across a rule's tensors is one size, checked
    before every launch). Arguments with the same dim always have the same value."""
    parent: Dict[Tuple[int, int], Tuple[int, int]] = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    rules = [(s.rule, s.input_slots) for s in spec.output_shapes] + [(v.rule, v.input_slots)
                                                                      for v in spec.dim_size_values]
    for rule, slots in rules:  # a name repeated across a rule's tensors is one size (checked before every launch)
        first: Dict[str, Tuple[int, int]] = {}
        for slot, pattern in zip(slots, rule.inputs):
            for position, dim in enumerate(pattern.dims):
                if isinstance(dim, str):
                    here = (slot, position)
                    parent[find(here)] = find(first.setdefault(dim, here))
    dims = {}
    for value in spec.dim_size_values:
        if value.is_argument and isinstance(value.rule.expr, expr.Name):
            pattern, position = expr.dim_bindings(value.rule.inputs)[value.rule.expr.id]
            dims[value.target] = find((value.input_slots[pattern], position))
    return dims


def value_classes(spec: KernelSpec) -> Tuple[ValueClass, ...]:
    """The classes a kernel's free arguments fall into: DimSizeArg classes (kernel order of their first member), then
    integer ParamArgs, then the pointers; a class none of whose members the kernel's body reads is left out."""
    dims = dim_of(spec)
    index = {a.name: i for i, a in enumerate(spec.args)}
    groups: Dict[object, List[int]] = {}
    names: Dict[object, str] = {}
    for value in spec.dim_size_values:
        e = value.rule.expr
        if not value.is_argument or (not expr.names(e) and not expr.tensors(e)):
            continue  # a launch value (not passed), or a constant (a compiled-in fact)
        if isinstance(e, expr.Name):
            key: object = dims[value.target]
            names.setdefault(key, e.id)
        else:
            key = ("value", value.target)
            names[key] = value.target
        groups.setdefault(key, []).append(index[value.target])
    classes = [ValueClass(names[key], tuple(sorted(members)), False)
               for key, members in sorted(groups.items(), key=lambda item: min(item[1]))]
    classes += [ValueClass(a.name, (index[a.name],), False) for a in spec.fields if a.is_int_scalar]
    pointers = tuple(i for i, a in enumerate(spec.args) if a.is_tensor and a.is_parameter and not a.is_descriptor)
    if pointers:
        classes.append(ValueClass("pointers", pointers, True))
    return tuple(c for c in classes if any(spec.args[i].is_read for i in c.members))


def _promised(variant: Variant, cls: ValueClass) -> Hint:
    """What ``variant`` already promises for the class (its members share a value, so one member's hint holds for
    all): the strongest hint of a member, or NONE."""
    hints = {variant.hints[i] for i in cls.members}
    return Hint.ONE if Hint.ONE in hints else Hint.DIV16 if Hint.DIV16 in hints else Hint.NONE


def _with(variant: Variant, facts: Dict[int, Hint]) -> Variant:
    """``variant`` with the fact of each class member set (members already stronger keep their hint)."""
    hints = list(variant.hints)
    for position, hint in facts.items():
        if hints[position] is Hint.NONE or (hint is Hint.ONE and hints[position] is Hint.DIV16):
            hints[position] = hint
    return Variant(tuple(hints), automatic=True)


def _refinements(variant: Variant, classes: Sequence[ValueClass]) -> List[Variant]:
    """The refinements of one config variant, most useful first (see the module docstring)."""
    promised = {cls: _promised(variant, cls) for cls in classes}
    free = [cls for cls in classes if promised[cls] is Hint.NONE]
    integers = [cls for cls in free if not cls.pointer]
    pointer_facts = {i: Hint.DIV16 for cls in free if cls.pointer for i in cls.members}
    # a fact the variant promises for one member holds for the whole class
    implied = {i: promised[cls] for cls in classes if promised[cls] is not Hint.NONE and not cls.pointer
               for i in cls.members}
    out = []
    for left_free in range(len(integers) + 1):
        for unaligned in itertools.combinations(integers, left_free):
            aligned = {i: Hint.DIV16 for cls in integers if cls not in unaligned for i in cls.members}
            out.append(_with(variant, {**implied, **pointer_facts, **aligned}))
    if integers:
        ones = {i: Hint.ONE for cls in integers for i in cls.members}
        out.append(_with(variant, {**implied, **pointer_facts, **ones}))
    return out


def candidates(spec: KernelSpec, classes: Sequence[ValueClass]) -> List[Variant]:
    """Automatic refinements of the config's variants, taken in turn (the config's order, most specialised first):
    the first refinement of each, then the second of each, and so on."""
    per_variant = [_refinements(v, classes) for v in spec.variants]
    return [r for group in itertools.zip_longest(*per_variant) for r in group if r is not None]


def refine(spec: KernelSpec, max_variants: Optional[int]) -> KernelSpec:
    """``spec`` with automatic variants added up to ``max_variants`` (None: the config's variants alone)."""
    if max_variants is None:
        return spec
    variants = list(spec.variants)
    for candidate in candidates(spec, value_classes(spec)):
        if len(variants) >= max_variants:
            break
        if candidate not in variants:
            variants.append(candidate)
    # most specialised first; ties keep the config's variants before automatic ones (sorted() is stable)
    return dataclasses.replace(spec, variants=tuple(sorted(variants, key=lambda v: -v.rank)))


def refine_config(config: ConfigSpec, max_variants: Optional[int]) -> ConfigSpec:
    """Every kernel of ``config`` refined (``refine``)."""
    return dataclasses.replace(config, kernels=tuple(refine(k, max_variants) for k in config.kernels))
