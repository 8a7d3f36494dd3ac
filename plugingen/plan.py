"""Stage 2a: the plan — which images some launch can select, computed before anything compiles.

A plugin is a set of images plus a rule that picks one per launch. The plan is that set, per kernel:

* **points**: signature x tactic x heuristic values x hint variant, in the plugin's image-table order. Tactics are
  every autotune config, or with a tuning table the configs that win some bucket plus the first (the fallback);
  heuristic values are the combinations some launch produces (``domains.reachable``); every hint variant keeps its
  slot, but a variant that no launch with those heuristic values selects (``domains.variant_reachable``: an
  ``EVEN_K``-style flag that implies ``K % 16 == 0`` is never paired with a variant where ``K % 16 != 0``) gets no
  image.
* **images**: for each point that can be selected, a cubin for every ``--arch`` that runs its signature (with a
  tuning table: the archs whose table it wins on, and every arch for the fallback), and the portable PTX
  (``--ptx-arch``; ``None``: none) for the generic variant of each point only — the plugin falls back to the generic
  variant on a GPU no specialised cubin fits — or for every variant of a kernel without a generic one.

AOT compiles exactly ``images``; codegen emits ``points`` as the image table; ``check`` prints it.
"""
from __future__ import annotations

import dataclasses
from typing import Dict, List, Optional, Sequence, Tuple

from . import domains, specialise
from .errors import BuildError
from .model import ConfigSpec, KernelSpec, Point, Tuning

FIRST_ARCH_SPECIFIC = 90  # Triton compiles sm_90 and newer as sm_90a, sm_100a, ...: code only that SM can run
DEFAULT_PTX_ARCH = 80  # the portable PTX's arch when every --arch is arch-specific
NO_PTX = 0  # --ptx-arch none


def is_arch_specific(arch: int) -> bool:
    return arch >= FIRST_ARCH_SPECIFIC


def ptx_arch(spec: KernelSpec, signature: int, archs: Sequence[int], requested: Optional[int] = None) -> Optional[int]:
    """The arch whose PTX a library embeds for GPUs none of its cubins fit: ``requested`` (``--ptx-arch``; NO_PTX:
    none), else the lowest of ``archs`` when that is portable, else ``DEFAULT_PTX_ARCH``; never below what the
    signature needs (fp8: sm_89)."""
    if requested == NO_PTX:
        return None
    lowest = min(archs)
    chosen = requested if requested is not None else DEFAULT_PTX_ARCH if is_arch_specific(lowest) else lowest
    return max(chosen, spec.min_arch(signature))


@dataclasses.dataclass(frozen=True)
class PlannedImage:
    """One image to compile: a point for an arch, keeping its cubin (an ``--arch``) and/or its PTX (portable)."""

    point: Point
    arch: int
    cubin: bool
    ptx: bool


@dataclasses.dataclass(frozen=True)
class KernelPlan:
    spec: KernelSpec
    points: Tuple[Point, ...]  # the image table's order (signature-major); a point without images is never selected
    images: Tuple[PlannedImage, ...]  # point order, then arch ascending
    tuning: Optional[Tuning] = None  # per-arch config choice by the bucket of the autotune key

    def images_of(self, point: Point) -> Tuple[PlannedImage, ...]:
        return tuple(i for i in self.images if i.point == point)

    @property
    def tactics(self) -> Tuple[int, ...]:
        """The tactics (config indices) compiled, ascending."""
        return tuple(sorted({p.tactic for p in self.points}))

    @property
    def points_per_signature(self) -> int:
        return len(self.points) // len(self.spec.signatures)


@dataclasses.dataclass(frozen=True)
class Plan:
    config: ConfigSpec
    kernels: Tuple[KernelPlan, ...]
    archs: Tuple[int, ...]  # ascending


def _tactics_per_arch(spec: KernelSpec, archs: Sequence[int], tuning: Optional[Tuning]) -> Dict[int, Tuple[int, ...]]:
    """The tactics compiled for each arch: all of them; with a tuning table, the configs that win a bucket of that
    arch's table plus the first (the fallback, and all an arch without a table runs)."""
    if tuning is None:
        return {arch: tuple(range(len(spec.tactics))) for arch in archs}
    return {arch: tuple(sorted({0, *tuning.winners(arch)})) for arch in archs}


def plan_kernel(spec: KernelSpec, archs: Sequence[int], requested_ptx: Optional[int] = None,
                tuning: Optional[Tuning] = None) -> KernelPlan:
    archs = tuple(sorted(set(archs)))
    per_arch = _tactics_per_arch(spec, archs, tuning)
    tactics = sorted({t for ts in per_arch.values() for t in ts})
    classes = [c.members for c in specialise.value_classes(spec) if not c.pointer]
    clusters = any(o.num_ctas > 1 for t in spec.tactics for _, o in t.options)
    reachable = {t: domains.reachable(spec, t) for t in tactics}
    points: List[Point] = []
    images: List[PlannedImage] = []
    for signature in range(len(spec.signatures)):
        runs_on = spec.archs_of(signature, archs)
        portable = None if clusters else ptx_arch(spec, signature, archs, requested_ptx)
        for tactic in tactics:
            for choice, ranges in reachable[tactic].items():
                facts = domains.facts(spec, choice, tactic, ranges)
                for variant in spec.variants:
                    point = Point(tactic, choice, variant, signature)
                    points.append(point)
                    if not domains.variant_reachable(spec, variant, facts, classes):
                        continue
                    cubins = {a for a in runs_on if tactic in per_arch[a]}
                    wants_ptx = portable is not None and (spec.is_generic(variant) or not spec.has_generic) and \
                        (tuning is None or tactic == 0)
                    for arch in sorted(cubins | ({portable} if wants_ptx else set())):
                        images.append(PlannedImage(point, arch, arch in cubins, wants_ptx and arch == portable))
    return KernelPlan(spec, tuple(points), tuple(images), tuning)


def make_plan(config: ConfigSpec, archs: Sequence[int], requested_ptx: Optional[int] = None,
              tuning: Optional[Dict[str, Tuning]] = None) -> Plan:
    """The plan of every kernel of ``config`` (``tuning``: the tuning table's entry per kernel name)."""
    archs = tuple(sorted(set(archs)))
    kernels = []
    for spec in config.kernels:
        for signature in range(len(spec.signatures)):
            if not spec.archs_of(signature, archs):
                what = f"signature {spec.signatures[signature].describe()} of " if len(spec.signatures) > 1 else ""
                raise BuildError(f"{what}kernel '{spec.kernel_name}' needs sm_{spec.min_arch(signature)} or newer "
                                 f"(fp8), but the build targets only sm_{', sm_'.join(map(str, archs))}", spec.loc,
                                 "add --arch 89 or 90")
        kernels.append(plan_kernel(spec, archs, requested_ptx, (tuning or {}).get(spec.plugin_name)))
    return Plan(config, tuple(kernels), archs)
