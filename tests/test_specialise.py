"""Automatic specialisation (plugingen/specialise.py): value classes from the rules, the candidate order, the budget,
and PluginGen's exact variant set."""
import json


from conftest import EXAMPLES, TEST_KERNELS
from plugingen import specialise
from plugingen.config import load_config
from plugingen.model import Hint

MATMUL = TEST_KERNELS / "tuned_matmul_config.py"
VECTOR_ADD = EXAMPLES / "vector_add" / "kernel_config.py"
FMHA = EXAMPLES / "fmha" / "kernel_config.py"


def kernel(config, max_variants=specialise.DEFAULT_MAX_VARIANTS):
    return load_config(config, (90,), max_variants).kernels[0]


def facts(spec, variant):
    return {a.name: h.value for a, h in zip(spec.args, variant.hints) if h is not Hint.NONE}


def test_arguments_of_one_dim_share_a_class():
    """The matmul's nine integers are three classes (stride_am is K, stride_bk and stride_cm are N); the unit
    strides are facts already, not classes."""
    spec = kernel(MATMUL, None)
    classes = specialise.value_classes(spec)
    named = [(c.name, [spec.args[i].name for i in c.members], c.pointer) for c in classes]
    assert named == [("m", ["M"], False), ("n", ["N", "stride_bk", "stride_cm"], False),
                     ("k", ["K", "stride_am"], False), ("pointers", ["a", "b", "c"], True)]


def test_the_config_variants_take_turns():
    """vector_add's first variant has no free class (its one candidate is itself); the generic one's candidates:
    everything aligned (= the first variant), pointers aligned with n odd, n == 1."""
    spec = kernel(VECTOR_ADD, None)
    aligned = {"x": "16", "y": "16", "out": "16"}
    assert [facts(spec, v) for v in specialise.candidates(spec, specialise.value_classes(spec))] == [
        dict(aligned, n="16"), dict(aligned, n="16"), aligned, dict(aligned, n="1")]
    gather = kernel(TEST_KERNELS / "strided_gather_config.py", None)
    turns = [facts(gather, v) for v in specialise.candidates(gather, specialise.value_classes(gather))][:2]
    assert turns == [{"x": "16", "out": "16", "n": "16", "stride": "1"},  # the '1' variant's first refinement
                     {"x": "16", "out": "16", "n": "16", "stride": "16"}]  # then the generic one's


def test_the_budget_keeps_the_configs_variants_and_adds_the_most_useful():
    exact = kernel(VECTOR_ADD, None)
    assert [v.automatic for v in exact.variants] == [False, False]
    refined = kernel(VECTOR_ADD)
    assert len(refined.variants) == 4 and [v for v in refined.variants if not v.automatic] == list(exact.variants)
    assert [facts(refined, v) for v in refined.variants] == [
        {"x": "16", "y": "16", "out": "16", "n": "16"}, {"x": "16", "y": "16", "out": "16", "n": "1"},
        {"x": "16", "y": "16", "out": "16"}, {}]  # most specialised first
    assert len(kernel(VECTOR_ADD, 3).variants) == 3 and len(kernel(VECTOR_ADD, 1).variants) == 2


def test_odd_shapes_get_the_jits_facts():
    """n = 1000 (not % 16) with aligned buffers: the plugin runs the variant with aligned pointers, as the JIT would,
    not the config's generic one; n = 1 gets n compiled in."""
    spec = kernel(VECTOR_ADD)
    aligned = {"x": 1 << 20, "y": 2 << 20, "out": 3 << 20}
    assert facts(spec, spec.variants[spec.select_variant(dict(aligned, n=1000))]) == {"x": "16", "y": "16",
                                                                                     "out": "16"}
    assert facts(spec, spec.variants[spec.select_variant(dict(aligned, n=1))])["n"] == "1"
    assert spec.select_variant({"x": 3, "y": 5, "out": 7, "n": 1000}) == 3  # misaligned: the generic variant


def test_a_class_the_kernel_never_reads_is_not_refined():
    """FMHA's batch_size and num_heads only size the grid (the body names them in a comment only): no fact about
    them changes the code, so its classes are s (seq_len) and the pointers, and the one automatic variant is
    seq_len == 1 (the config's two variants already are seq_len % 16 and seq_len free, pointers aligned)."""
    spec = kernel(FMHA)
    assert [c.name for c in specialise.value_classes(spec)] == ["s", "pointers"]
    assert [a.name for a in spec.args if not a.is_read] == ["batch_size", "num_heads"]
    automatic = [facts(spec, v) for v in spec.variants if v.automatic]
    assert automatic == [{"Out": "16", "L": "16", "M": "16", "Q": "16", "K": "16", "V": "16", "seq_len": "1"}]


def test_the_default_budget_holds_the_whole_lattice_of_three_classes():
    """The matmul (classes m, n, k): every % 16 point with aligned pointers (8) and all == 1, besides the config's
    generic variant; each shape runs the variant with exactly the facts that hold, as the JIT specialises."""
    spec = kernel(MATMUL)
    assert len(spec.variants) == 10 and sum(v.automatic for v in spec.variants) == 9
    aligned = {"a": 1 << 20, "b": 2 << 20, "c": 3 << 20, "stride_ak": 1, "stride_bn": 1, "stride_cn": 1}
    for m, n, k in [(1000, 1024, 1000), (777, 513, 1031), (512, 512, 512), (1, 1, 1), (31, 4096, 7)]:
        args = dict(aligned, M=m, N=n, K=k, stride_am=k, stride_bk=n, stride_cm=n)
        got = facts(spec, spec.variants[spec.select_variant(args)])
        want = {name: ("1" if value == 1 else "16") for name, value in args.items()
                if value == 1 or value % 16 == 0}
        assert got == want, (m, n, k)


def test_build_log_manifest_and_exact_flag(build_plugin, tmp_path, capsys):
    from plugingen.cli import main

    out = build_plugin(VECTOR_ADD)
    manifest = json.loads((out / "manifest.json").read_text())["kernels"][0]
    assert manifest["variant_origins"] == ["config", "automatic", "automatic", "config"]
    assert len(manifest["images"]) == 4 * 2  # 4 variants, sm_80 and sm_90
    ws = tmp_path / "ws"
    assert main(["--workspace", str(ws), "--kernel_config", str(VECTOR_ADD), "--arch", "90", "--exact-variants"]) == 0
    exact = json.loads((ws / "output" / "manifest.json").read_text())["kernels"][0]
    assert exact["variant_origins"] == ["config", "config"]
    # the portable PTX only for the generic variant: a GPU no cubin fits runs that
    assert [(i["target"], i["cubin"], i["ptx"]) for i in exact["images"]] == [("sm_90a", True, False),
                                                                               ("sm_80", False, True),
                                                                               ("sm_90a", True, False)]
    assert main(["--workspace", str(ws), "--kernel_config", str(VECTOR_ADD), "--max-variants", "0"]) == 2
    assert "--max-variants must be at least 1" in capsys.readouterr().err
