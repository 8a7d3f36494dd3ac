"""Property: every shipped plugin launches exactly when a Python model of its rules and constraints says the input
shapes are consistent, and otherwise refuses with a message — on random shapes, consistent and not (CPU: reaching
the launch shows as the missing-driver error; zero-size work succeeds without a launch)."""
import random

import numpy as np
import pytest

from conftest import all_configs
from plugingen import expr
from plugingen.config import load_config
from plugingen.host import HostError, PluginHost, build_host
from plugingen.model import DType
from test_plugin_host import TRT, field_values, input_shapes

CASES_PER_KERNEL = 40
INT_RANGE = {DType.INT32: (-2**31, 2**31 - 1), DType.INT64: (-2**63, 2**63 - 1)}


def _field_ints(spec, fields):
    return {name: int(np.asarray(value).reshape(-1)[0]) for name, (_, value) in fields.items()
            if next(a for a in spec.fields if a.name == name).is_int_scalar}


def model_refuses(spec, shapes, fields):
    """None when the plugin must accept ``shapes`` (in input order), else why it must refuse."""
    why = model_refuses_rules(spec, shapes)
    if why is not None:
        return why
    dims = spec.dim_size_env(shapes)
    for value in spec.dim_size_values:
        low, high = INT_RANGE[value.dtype]
        if value.is_argument and not low <= dims[value.target] <= high:
            return "does not fit"
    try:
        env = spec.launch_env(_field_ints(spec, fields), dims, num_sms=132)  # any SM count: grids use min()
    except ValueError:
        return "heuristic value"
    if spec.violated(env):
        return "constraint"
    grid = [expr.evaluate(g, env) for g in spec.grid]
    if min(grid) < 0 or grid[0] > 2**31 - 1 or max(grid[1:]) > 65535:
        return "grid"
    if 0 in grid:
        return None  # nothing to launch: no variant is needed
    if descriptor_refuses(spec, shapes, spec.output_dims(shapes)):
        return "descriptor"
    values = {**{a.name: 0x1000 for a in spec.inputs}, **{a.name: 0x2000 for a in spec.outputs}, **env}
    if spec.select_variant(values) is None:
        return "no variant"
    return None


def descriptor_refuses(spec, in_shapes, out_shapes):
    """Whether a host tensor descriptor's tensor breaks TMA's rules (runtime.cpp tensorDescriptor): fewer dims than
    the descriptor, a dim (leading dims flattened) outside 1..2^31-1, rows that are not 16-byte multiples."""
    for arg in spec.descriptors:
        shape = (in_shapes if arg.kind.value == "InputArg" else out_shapes)[arg.slot]
        rank = len(spec.block_shape(arg, spec.points()[0]))
        if len(shape) < rank:
            return True
        flat = [1] + list(shape[len(shape) - rank + 1:])
        for d in shape[:len(shape) - rank + 1]:
            flat[0] *= d
        if any(not 1 <= d <= 2**31 - 1 for d in flat):
            return True
        if rank > 1 and flat[-1] * spec.dtype_of(arg, 0).size % 16:
            return True
    return False


def model_refuses_rules(spec, shapes):
    """Why the shapes break a rule (rank, literal dim, tied dims), or None."""
    rules = [(s.rule, s.input_slots) for s in spec.output_shapes] + [(v.rule, v.input_slots)
                                                                     for v in spec.dim_size_values]
    for rule, slots in rules:
        sizes = {}
        for slot, pattern in zip(slots, rule.inputs):
            rank = len(shapes[slot])
            if rank < len(pattern.dims) or (not pattern.rest and rank != len(pattern.dims)):
                return "rank"
            for pos, dim in enumerate(pattern.dims):
                size = shapes[slot][pos]
                if isinstance(dim, int) and size != dim:
                    return "literal dim"
                if sizes.setdefault(dim, size) != size:
                    return "dims differ"
    return None


def fields_for(spec, shapes, rng):
    """Representative fields; a field an equality constraint ties to a launch value (``num_heads == heads``) takes
    that value most of the time, so both outcomes of the constraint occur."""
    fields = field_values(spec)
    dims = spec.dim_size_env(shapes) if model_refuses_rules(spec, shapes) is None else {}
    names = {a.name: a for a in spec.fields}
    for constraint in spec.constraints:
        e = constraint.expr
        if isinstance(e, expr.Compare) and e.op == "==" and isinstance(e.lhs, expr.Name) and \
                isinstance(e.rhs, expr.Name) and e.lhs.id in names and e.rhs.id in dims and rng.random() < 0.7:
            field_type, value = fields[e.lhs.id]
            fields[e.lhs.id] = (field_type, np.array([dims[e.rhs.id]], dtype=value.dtype))
    return fields


def random_shapes(spec, rng):
    """Consistent shapes, then (half the time) one size changed or one rank off by one."""
    shapes = [list(s) for s in input_shapes(spec, rng.choice([1, 3, 8, 16]))]
    for shape in shapes:
        for pos in range(len(shape)):
            if rng.random() < 0.2:
                shape[pos] = rng.choice([0, 1, 2, 5])
    shapes = [tuple(s) for s in _consistent_again(spec, shapes)]
    if rng.random() < 0.5:
        slot = rng.randrange(len(shapes))
        shape = list(shapes[slot])
        if shape and rng.random() < 0.7:
            shape[rng.randrange(len(shape))] += rng.choice([-1, 1, 3])
            shape = [max(d, 0) for d in shape]
        elif rng.random() < 0.5:
            shape.append(2)
        elif shape:
            shape.pop()
        shapes[slot] = tuple(shape)
    return shapes


def _consistent_again(spec, shapes):
    """Propagate each tied dim's first size to its other positions (after random edits)."""
    for _ in range(3):
        for rule, slots in [(s.rule, s.input_slots) for s in spec.output_shapes] + \
                [(v.rule, v.input_slots) for v in spec.dim_size_values]:
            first = {}
            for slot, pattern in zip(slots, rule.inputs):
                for pos, dim in enumerate(pattern.dims):
                    if isinstance(dim, int):
                        shapes[slot][pos] = dim
                    elif dim in first:
                        shapes[slot][pos] = first[dim]
                    else:
                        first[dim] = shapes[slot][pos]
    return shapes


@pytest.mark.parametrize("config", all_configs(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_launches_exactly_when_the_shapes_are_consistent(build_plugin, tmp_path_factory, config):
    rng = random.Random(f"plugingen-{config.stem}")
    with PluginHost(build_plugin(config) / "libtriton_plugins.so",
                    build_host(tmp_path_factory.mktemp("host"))) as host:
        for spec in load_config(config).kernels:
            outcomes = {"launch": 0, "empty": 0, "refused": 0}
            for _ in range(CASES_PER_KERNEL):
                shapes = random_shapes(spec, rng)
                fields = fields_for(spec, shapes, rng)
                plugin = host.create(spec.plugin_name, fields)
                why = model_refuses(spec, shapes, fields)
                inputs = [(TRT[spec.dtype_of(a, 0)], s, 0x1000) for a, s in zip(spec.inputs, shapes)]
                out_shapes = spec.output_dims(shapes) if why is None else [(1,)] * len(spec.outputs)
                outputs = [(TRT[spec.dtype_of(a, 0)], s, 0x2000) for a, s in zip(spec.outputs, out_shapes)]
                try:
                    plugin.enqueue(inputs, outputs)
                    result = "empty"
                except HostError as exc:
                    result = "launch" if "libcuda.so.1" in exc.message else "refused"
                    assert result == "launch" or why is not None, f"{spec.kernel_name} {shapes}: {exc.message}"
                if why is None:
                    assert result in ("launch", "empty"), f"{spec.kernel_name} {shapes}: refused, model accepts"
                else:
                    assert result == "refused", f"{spec.kernel_name} {shapes}: launched, model says {why}"
                outcomes[result] += 1
            assert outcomes["launch"] + outcomes["empty"], outcomes  # the generator reaches consistent shapes
            refusable = any(not p.rest or p.dims for s in spec.output_shapes for p in s.rule.inputs)
            assert outcomes["refused"] or not refusable, outcomes  # ... and, where rules constrain, inconsistent ones
