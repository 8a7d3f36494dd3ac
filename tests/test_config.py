"""Stage 1 on good input: every shipped config loads, and its ``KernelSpec`` says what the config says.

The bad-input side (one test per mistake, exact messages and lines) is ``tests/test_bad_configs.py``.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES, TEST_KERNELS, all_configs

from plugingen import expr
from plugingen.config import VALID_HINTS, load_config
from plugingen.loader import load_kernel
from plugingen.model import NUM_SMS, Variant
from plugingen.dsl import ArgKind, DType
from plugingen.expr import BinOp, Name, Num, OutputPattern, TensorPattern


def config_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def line_of(path: Path, text: str) -> int:
    """The one line of ``path`` that contains ``text``."""
    [line] = [i for i, source in enumerate(path.read_text().splitlines(), 1) if text in source]
    return line


@pytest.fixture(scope="module")
def fmha():
    [kernel] = load_config(EXAMPLES / "fmha" / "kernel_config.py", max_variants=None).kernels  # the config's own
    return kernel


# ------------------------------------------------------------------------------------------------ every config
@pytest.mark.parametrize("config", all_configs(), ids=config_id)
def test_shipped_config_is_consistent(config):
    spec = load_config(config)
    assert spec.config_file == config.resolve()
    assert not spec.warnings, [str(w) for w in spec.warnings]  # every input of every shipped kernel is checked
    assert spec.kernels
    assert len({k.plugin_name for k in spec.kernels}) == len({k.function_name for k in spec.kernels}) == \
        len(spec.kernels)
    for kernel in spec.kernels:
        fn = load_kernel(kernel.kernel_file, kernel.kernel_name, kernel.loc)
        # params: exactly the kernel's parameters, in order; constexprs exactly where the kernel has them
        assert [p.name for p in kernel.parameters] == [p.name for p in fn.params]
        # (Constexpr(None), an absent optional input, may stand at any parameter, as Triton's JIT takes None)
        assert all(p.kind.is_constexpr == q.is_constexpr or (p.kind is ArgKind.CONSTEXPR and p.value is None)
                   for p, q in zip(kernel.parameters, fn.params))
        for kind in ArgKind:  # slots count 0, 1, ... within each kind, in kernel order
            assert [p.slot for p in kernel.of_kind(kind)] == list(range(len(kernel.of_kind(kind))))
        assert kernel.inputs and kernel.outputs
        assert all(p.is_tensor for p in kernel.inputs + kernel.outputs)
        assert all(not p.is_tensor and p.dtype in (DType.INT32, DType.INT64) for p in kernel.dim_sizes)
        assert all(p.loc.file and p.loc.line for p in kernel.args)
        assert kernel.plugin_name == kernel.kernel_name + "Plugin" or "plugin_name=" in config.read_text()
        assert re.fullmatch(r"\d+", kernel.version)
        # variants: distinct, one hint per param, valid hints, most specialised first
        assert kernel.variants and len(set(kernel.variants)) == len(kernel.variants)
        for variant in kernel.variants:
            assert len(variant.hints) == len(kernel.args)
            assert set(variant.hints) <= set(VALID_HINTS)
            assert all(h == "" for p, h in zip(kernel.args, variant.hints) if p.kind is ArgKind.CONSTEXPR)
        ranks = [v.rank for v in kernel.variants]
        assert ranks == sorted(ranks, reverse=True)
        # one shape per output and one value per dim size, in slot order, reading inputs only
        assert [s.output for s in kernel.output_shapes] == [p.slot for p in kernel.outputs]
        assert [s.pattern.name for s in kernel.output_shapes] == [p.name for p in kernel.outputs]
        arguments = [d for d in kernel.dim_size_values if d.is_argument]
        assert [d.target for d in arguments] == [p.name for p in kernel.dim_sizes]
        assert [d.rule.target for d in kernel.dim_size_values] == [d.target for d in kernel.dim_size_values]
        for rule in kernel.output_shapes + kernel.dim_size_values:
            assert [kernel.inputs[slot].name for slot in rule.input_slots] == [t.name for t in rule.rule.inputs]
        # grid: three expressions over integer scalars only
        assert len(kernel.grid) == 3
        usable = {p.name for p in kernel.args if p.is_int_scalar or
                  (p.kind is ArgKind.CONSTEXPR and isinstance(p.value, int))
                  or p.kind in (ArgKind.TUNED, ArgKind.HEURISTIC)} | {v.target for v in kernel.launch_values}
        usable |= {NUM_SMS} if kernel.uses_num_sms else set()
        assert set().union(*(expr.names(g) for g in kernel.grid)) <= usable


def test_loading_leaves_no_plugingen_shims():
    load_config(EXAMPLES / "fmha" / "kernel_config.py")
    assert not any(name.startswith("tensorrt_llm") for name in sys.modules)


# ------------------------------------------------------------------------------------------------ FMHA in detail
def test_fmha_params(fmha):
    config = EXAMPLES / "fmha" / "kernel_config.py"
    assert fmha.kernel_file == (EXAMPLES / "fmha" / "fmha_triton.py").resolve()
    assert (fmha.kernel_name, fmha.plugin_name, fmha.version, fmha.namespace, fmha.num_warps, fmha.num_stages) == \
        ("fused_attention_kernel", "fused_attention_kernelPlugin", "1", "", 4, 2)
    summary = [(p.name, p.kind, p.dtype and p.dtype.abbr, p.is_tensor, p.slot, p.value) for p in fmha.args]
    out, inp, param, dim, const = ArgKind.OUTPUT, ArgKind.INPUT, ArgKind.PARAM, ArgKind.DIM_SIZE, ArgKind.CONSTEXPR
    assert summary == [
        ("Out", out, "fp16", True, 0, None), ("L", out, "fp32", True, 1, None), ("M", out, "fp32", True, 2, None),
        ("Q", inp, "fp16", True, 0, None), ("K", inp, "fp16", True, 1, None), ("V", inp, "fp16", True, 2, None),
        ("sm_scale", param, "fp32", False, 0, None), ("batch_size", dim, "i32", False, 0, None),
        ("num_heads", param, "i32", False, 1, None), ("seq_len", dim, "i32", False, 1, None),
        ("BLOCK_M", const, None, False, 0, 128), ("BLOCK_DMODEL", const, None, False, 1, 64),
        ("BLOCK_N", const, None, False, 2, 128)]
    # each param remembers the config line that declared it
    assert fmha.args[3].loc.line == line_of(config, "InputArg('Q'")
    assert fmha.args[9].loc.line == line_of(config, "DimSizeArg('seq_len'")
    assert fmha.loc.line == line_of(config, "KernelMetaData(")


def test_fmha_variants(fmha):
    tensors = ("16",) * 6
    assert fmha.variants == (
        Variant(tensors + ("", "", "", "16", "", "", "")),  # seq_len % 16 == 0: the more specialised, first
        Variant(tensors + ("", "", "", "", "", "", "")))
    assert [v.rank for v in fmha.variants] == [7, 6]
    assert [[(i, h) for i, h in enumerate(v.hints) if h] for v in fmha.variants] == [
        [(0, "16"), (1, "16"), (2, "16"), (3, "16"), (4, "16"), (5, "16"), (9, "16")],
        [(0, "16"), (1, "16"), (2, "16"), (3, "16"), (4, "16"), (5, "16")]]


def test_fmha_output_shapes(fmha):
    qkv = tuple(TensorPattern(t, ("b", "h", "s", 64), rest=False) for t in "QKV")  # 64: a literal dim, checked
    out, l_shape, m_shape = fmha.output_shapes
    assert out.rule is l_shape.rule is m_shape.rule  # one rule ties Q, K and V and defines all three outputs
    assert (out.input_slots, out.rule.inputs) == ((0, 1, 2), qkv)
    assert out.pattern == OutputPattern("Out", (Name("b"), Name("h"), Name("s"), Num(64)), rest=False, whole=False)
    for shape, slot, name in ((l_shape, 1, "L"), (m_shape, 2, "M")):
        assert shape.output == slot
        assert shape.pattern == OutputPattern(name, (Name("b"), Name("h"), Name("s")), rest=False, whole=False)


def test_fmha_dim_sizes_launch_value_and_constraint(fmha):
    batch, seq, heads = fmha.dim_size_values
    assert (batch.target, batch.is_argument, batch.input_slots, batch.rule.expr) == ("batch_size", True, (0,), Name("b"))
    assert (seq.target, seq.is_argument, seq.input_slots, seq.rule.expr) == ("seq_len", True, (0,), Name("s"))
    assert (heads.target, heads.is_argument) == ("heads", False)  # a launch value: not a kernel parameter
    assert fmha.dim_size_env([(2, 8, 300, 64)] * 3) == {"batch_size": 2, "seq_len": 300, "heads": 8}
    [constraint] = fmha.constraints
    assert constraint.text == "num_heads == heads"
    env = fmha.launch_env({"num_heads": 8}, fmha.dim_size_env([(2, 8, 300, 64)] * 3))
    assert fmha.violated(env) == ()
    assert fmha.violated(fmha.launch_env({"num_heads": 4}, fmha.dim_size_env([(2, 8, 300, 64)] * 3))) == (constraint,)


def test_fmha_grid(fmha):
    assert fmha.grid == (BinOp("//", BinOp("+", Name("seq_len"), Num(127)), Num(128)),
                         BinOp("*", Name("batch_size"), Name("num_heads")),
                         Num(1))
    env = {"seq_len": 300, "batch_size": 2, "num_heads": 8}
    assert [expr.evaluate(g, env) for g in fmha.grid] == [3, 16, 1]
    assert [expr.evaluate(g, dict(env, seq_len=256)) for g in fmha.grid] == [2, 16, 1]


# ------------------------------------------------------------------------------------------------ other configs
def test_vector_add():
    [kernel] = load_config(EXAMPLES / "vector_add" / "kernel_config.py", max_variants=None).kernels
    assert [(p.name, p.kind) for p in kernel.args] == [
        ("x", ArgKind.INPUT), ("y", ArgKind.INPUT), ("out", ArgKind.OUTPUT), ("n", ArgKind.DIM_SIZE),
        ("BLOCK", ArgKind.CONSTEXPR)]
    assert kernel.args[-1].value == 1024
    assert kernel.variants == (Variant(("16", "16", "16", "16", "")), Variant(("", "", "", "", "")))
    assert kernel.output_shapes[0].pattern == OutputPattern("out", (Name("d"),), rest=False, whole=False)
    assert [expr.evaluate(g, {"n": 1025}) for g in kernel.grid] == [2, 1, 1]


def test_two_kernels_in_one_config():
    add, mul = load_config(TEST_KERNELS / "two_kernels_config.py").kernels
    assert (add.kernel_name, add.version, add.args[-1].value) == ("add_kernel", "1", 1024)
    assert (mul.kernel_name, mul.version, mul.args[-1].value) == ("mul_kernel", "2", 256)
    assert add.kernel_file == mul.kernel_file == (TEST_KERNELS / "binary_ops.py").resolve()
    assert [expr.evaluate(g, {"n": 1000}) for g in add.grid + mul.grid] == [1, 1, 1, 4, 1, 1]


def test_one_rule_for_two_outputs():
    [kernel] = load_config(TEST_KERNELS / "row_softmax_config.py").kernels
    y, rowmax = kernel.output_shapes
    assert y.rule is rowmax.rule  # 'x[r, c] -> y[r, c], rowmax[r]'
    assert (y.pattern.dims, rowmax.pattern.dims) == ((Name("r"), Name("c")), (Name("r"),))
    assert [p.dtype for p in kernel.outputs] == [DType.FP16, DType.FP32]


def test_dim_size_from_two_dims_and_param_in_grid():
    [kernel] = load_config(TEST_KERNELS / "layernorm_config.py").kernels
    rows, hidden = kernel.dim_size_values
    assert rows.rule.expr == BinOp("*", Name("b"), Name("s"))
    assert expr.evaluate(rows.rule.expr, {"b": 3, "s": 5, "h": 64}) == 15
    assert [p.name for p in kernel.fields] == ["eps", "rows_per_program"]
    assert expr.evaluate(kernel.grid[0], {"rows": 15, "rows_per_program": 4}) == 4


def test_int64_param_and_dim_size():
    [kernel] = load_config(TEST_KERNELS / "fill_index_config.py").kernels
    assert [(p.name, p.dtype) for p in kernel.fields + kernel.dim_sizes] == [("offset", DType.INT64),
                                                                             ("n", DType.INT64)]


def test_single_hinted_variant():
    [kernel] = load_config(TEST_KERNELS / "aligned_only_config.py").kernels
    assert kernel.variants == (Variant(("16", "16", "16", "")),)


def test_grid_may_use_constexpr_name():
    [kernel] = load_config(TEST_KERNELS / "scale_shift_config.py").kernels
    assert expr.names(kernel.grid[0]) == {"n", "BLOCK"}
    assert [p.dtype for p in kernel.fields] == [DType.FP32, DType.FP32]


def test_a_factorys_mistake_is_reported_once(tmp_path):
    """Plugins made by one factory function share its mistakes: each error and warning line is printed once."""
    import shutil

    from plugingen.config import ConfigErrors

    shutil.copy(TEST_KERNELS / "swiglu.py", tmp_path / "swiglu.py")
    (tmp_path / "cfg.py").write_text(
        "from plugingen import *\n\n\n"
        "def swiglu(n_cols):\n"
        "    return KernelMetaData(\n"
        "        kernel_name='_swiglu_forward_kernel', plugin_name=f'swiglu_{n_cols}', kernel_file='swiglu.py',\n"
        "        ios=[InputArg('a_ptr', Type('tensor[fp16]')), InputArg('b_ptr', Type('tensor[fp16]')),\n"
        "             OutputArg('c_ptr', Type('tensor[fp16]')), DimSizeArg('row_stride'), Constexpr(n_cols),\n"
        "             Constexpr(1024)],\n"
        "        shape_infer_rules=[f'a_ptr[r, {n_cols}], b_ptr[r, {n_cols}] -> c_ptr[r, {n_cols}]',\n"
        "                           f'a_ptr[r, {n_cols}] : {n_cols} -> row_stride'],\n"
        "        grid_dims=('cdiv(row_stride, BLOCK_SIZZE)', '1', '1'))\n\n\n"
        "KERNELS = [swiglu(1000), swiglu(4096)]\n")
    with pytest.raises(ConfigErrors) as failed:
        load_config(tmp_path / "cfg.py", [90])
    lines = str(failed.value).splitlines()
    assert len(lines) == 1 and "unknown name 'BLOCK_SIZZE'" in lines[0], lines
