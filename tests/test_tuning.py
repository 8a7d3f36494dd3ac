"""Autotune configs as tactics, heuristics, launch values, numel(), '_' names, string constexprs and the build
target user files run against — from the config through the generated plugin, driven like TensorRT (CPU only)."""
import ast
import json
import textwrap

import pytest

from conftest import TEST_KERNELS
from plugingen import expr, loader
from plugingen.config import load_config
from plugingen.errors import ConfigError
from plugingen.host import DataType, HostError, PluginFieldType, PluginHost, build_host
from plugingen.model import ArgKind

MATMUL = TEST_KERNELS / "tuned_matmul_config.py"
ACCUMULATE = TEST_KERNELS / "tuned_accumulate_config.py"
RMS_NORM = TEST_KERNELS / "heuristic_rows_config.py"


# ---------------------------------------------------------------------------------------------- the model
def test_autotune_configs_are_tactics_and_set_parameters_are_left_out_of_ios():
    [spec] = load_config(MATMUL, max_variants=None).kernels
    assert [t.meta for t in spec.tactics] == [
        (("BLOCK_M", 64), ("BLOCK_N", 64), ("BLOCK_K", 32), ("GROUP_M", 8)),
        (("BLOCK_M", 128), ("BLOCK_N", 64), ("BLOCK_K", 32), ("GROUP_M", 8)),
        (("BLOCK_M", 64), ("BLOCK_N", 128), ("BLOCK_K", 64), ("GROUP_M", 8)),
        (("BLOCK_M", 32), ("BLOCK_N", 32), ("BLOCK_K", 32), ("GROUP_M", 8))]
    assert {(a.name, a.kind) for a in spec.args if a.kind in (ArgKind.TUNED, ArgKind.HEURISTIC)} == {
        ("BLOCK_M", ArgKind.TUNED), ("BLOCK_N", ArgKind.TUNED), ("BLOCK_K", ArgKind.TUNED),
        ("GROUP_M", ArgKind.TUNED), ("EVEN_K", ArgKind.HEURISTIC)}
    assert [a.value for a in spec.args if a.kind is ArgKind.CONSTEXPR] == ["leaky_relu"]  # a string constexpr
    assert spec.function_name == "matmul_kernel" and spec.plugin_name == "_matmul_kernelPlugin"
    [even_k] = spec.heuristics
    assert (even_k.name, expr.render(even_k.expr), even_k.domain) == ("EVEN_K", "K % BLOCK_K == 0", (False, True))
    assert len(spec.points()) == 4 * 2  # tactics x EVEN_K
    # the unit strides' rules are constants: compiled in as 1, as Triton's JIT would (a fact, not a variant)
    assert spec.describe_point(spec.points()[1]) == ("tactic 1 (BLOCK_M=64, BLOCK_N=64, BLOCK_K=32, GROUP_M=8, "
                                                     "num_warps=4, num_stages=4), EVEN_K=True, stride_ak == 1, "
                                                     "stride_bn == 1, stride_cn == 1")
    assert len(spec.variants) == 1
    signature = dict((name, value) for name, _, value, _ in spec.triton_signature(spec.points()[7]))
    assert (signature["BLOCK_M"], signature["EVEN_K"], signature["ACTIVATION"]) == (32, True, "leaky_relu")


def test_grid_uses_each_tactics_meta_parameters():
    [spec] = load_config(MATMUL).kernels
    dims = spec.dim_size_env([(1000, 64), (64, 1000)])
    grids = [tuple(expr.evaluate(g, spec.launch_env({}, dims, t)) for g in spec.grid) for t in range(4)]
    assert grids == [(16 * 16, 1, 1), (8 * 16, 1, 1), (16 * 8, 1, 1), (32 * 32, 1, 1)]


def test_tactic_options_follow_the_build_target():
    """The kernel file picks num_stages by the target's arch: each arch keeps its own."""
    [spec] = load_config(MATMUL, archs=(75, 90)).kernels
    assert [(t.options_for(75).num_stages, t.options_for(90).num_stages) for t in spec.tactics] == [(2, 4)] * 4
    assert "sm_75: num_warps=4, num_stages=2; sm_90: num_warps=4, num_stages=4" in spec.tactics[0].describe()


def test_files_that_ask_nothing_are_evaluated_once(monkeypatch):
    runs = []
    real = loader.run_config
    monkeypatch.setattr(loader, "run_config", lambda path: runs.append(path) or real(path))
    load_config(RMS_NORM, archs=(80, 86, 89, 90))
    assert len(runs) == 1
    load_config(MATMUL, archs=(80, 86, 89, 90))
    assert len(runs) == 1 + 4


def test_ios_that_depend_on_the_arch_are_an_error(tmp_path):
    (tmp_path / "k.py").write_text(textwrap.dedent("""\
        import triton
        import triton.language as tl

        @triton.jit
        def copy_kernel(x, out, n, BLOCK: tl.constexpr):
            offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
            tl.store(out + offs, tl.load(x + offs, mask=offs < n), mask=offs < n)
        """))
    (tmp_path / "c.py").write_text(textwrap.dedent("""\
        import triton
        from plugingen import *
        BLOCK = 256 if triton.runtime.driver.active.get_current_target().arch >= 90 else 128
        KERNELS = [KernelMetaData(kernel_name='copy_kernel', kernel_file='k.py',
            ios=[InputArg('x', Type('tensor[fp32]')), OutputArg('out', Type('tensor[fp32]')), DimSizeArg('n'),
                 Constexpr(BLOCK)],
            shape_infer_rules=['x[d] -> out[d]', 'x[d] : d -> n'], grid_dims=(f'cdiv(n, {BLOCK})', '1', '1'))]
        """))
    with pytest.raises(ConfigError, match=r"kernel 'copy_kernel' differs between sm_80 and sm_90 \(its args\): its "
                                          r"config or kernel file asks the device at import"):
        load_config(tmp_path / "c.py", archs=(80, 90))
    assert load_config(tmp_path / "c.py", archs=(90,)).kernels[0].args[-1].value == 256


def test_build_target_answers_device_questions():
    import triton

    with loader.build_target(90) as target:
        driver = triton.runtime.driver.active
        assert (driver.get_current_target().backend, driver.get_current_target().arch) == ("cuda", 90)
        properties = driver.utils.get_device_properties(driver.get_current_device())
        assert (properties["max_shared_mem"], properties["warpSize"]) == (232448, 32)
        with pytest.raises(AttributeError, match="get_current_stream needs a GPU; plugingen builds without one"):
            driver.get_current_stream()
    assert target.asked


def test_launch_values_and_numel():
    [norm] = load_config(RMS_NORM).kernels
    [rows] = norm.launch_values
    assert (rows.target, rows.is_argument) == ("rows", False)
    assert norm.dim_size_env([(7, 100), (100,)]) == {"stride": 100, "N": 100, "rows": 7}
    [acc] = load_config(ACCUMULATE).kernels
    assert acc.dim_size_env([(3, 5, 7)]) == {"n": 105}
    assert acc.reset_to_zero == ("out",)


def test_heuristics_per_launch_and_their_domains():
    [norm] = load_config(RMS_NORM).kernels
    block, even = norm.heuristics
    assert expr.render(block.expr) == "max(16, next_power_of_2(N))" and block.domain == (16, 32, 64, 128, 256, 512,
                                                                                           1024, 2048)
    assert expr.render(even.expr) == "N == BLOCK_SIZE" and even.domain == (False, True)
    env = norm.launch_env({"eps": 0.5}, norm.dim_size_env([(3, 100), (100,)]))
    assert norm.choice(env) == (128, False)
    assert norm.choice(norm.launch_env({}, norm.dim_size_env([(3, 1), (1,)]))) == (16, False)
    with pytest.raises(ValueError, match=r"heuristic BLOCK_SIZE = 4096 is not among its compiled values"):
        norm.launch_env({}, norm.dim_size_env([(3, 3000), (3000,)]))


def test_build_time_heuristics_compile_one_value():
    """A heuristic of constexprs and meta-parameters alone is evaluated per tactic at build time."""
    [spec] = load_config(MATMUL).kernels
    fixed = spec.heuristics[0].__class__("WIDE", expr.Compare(">=", expr.Name("BLOCK_N"), expr.Num(128)),
                                         (False, True), "", spec.loc)
    wide = spec.__class__(**{**spec.__dict__, "heuristics": spec.heuristics + (fixed,)})
    # per tactic: EVEN_K's two values, WIDE's one (BLOCK_N = 64, 64, 128, 32)
    assert [c[1] for t in range(4) for c in wide.choices(t)] == [False] * 4 + [True] * 2 + [False] * 2


@pytest.mark.parametrize("source,rendered", [
    ("lambda args: args['K'] % args['BLOCK_K'] == 0", "K % BLOCK_K == 0"),
    ("lambda a: min(max(a['N'] // 256, 1), 8)", "min(max(N // 256, 1), 8)"),
    ("lambda args: triton.cdiv(args['N'], 64) > 2 and not args['M'] == 1", "cdiv(N, 64) > 2 and not M == 1"),
    ("lambda args: 128 if args['N'] >= 4096 else 64", "128 if N >= 4096 else 64"),
    ("lambda args: 0 < args['N'] <= 1024", "0 < N and N <= 1024"),
    ("lambda args: bool(args['N'] % 2)", "N % 2 != 0"),
])
def test_python_heuristics_translate(source, rendered):
    node = ast.parse(source, mode="eval").body
    args = node.args.args[0].arg

    def resolve(leaf):
        if isinstance(leaf, ast.Subscript) and isinstance(leaf.value, ast.Name) and leaf.value.id == args:
            return expr.Name(leaf.slice.value)
        return None

    def fail(where, why):
        raise AssertionError(why)

    translated = expr.from_python(node.body, resolve, fail)
    assert expr.render(translated) == rendered
    value = eval(compile(ast.Expression(node), "<h>", "eval"), {"triton": __import__("triton")})
    env = {"K": 96, "BLOCK_K": 32, "N": 3000, "M": 5}
    assert expr.evaluate(translated, env) == int(value(env))


# ---------------------------------------------------------------------------------------------- the plugin
@pytest.fixture(scope="module")
def host(build_plugin, tmp_path_factory):
    hosts = {}

    def get(config):
        if config not in hosts:
            hosts[config] = PluginHost(build_plugin(config) / "libtriton_plugins.so",
                                       build_host(tmp_path_factory.mktemp("host")))
        return hosts[config]

    yield get
    for h in hosts.values():
        h.close()


def test_the_plugin_offers_its_tactics_to_the_builder(host):
    plugin = host(MATMUL).create("_matmul_kernelPlugin", {})
    half = [DataType.HALF] * 3
    plugin.configure(half[:2], [(100, 64), (64, 30)], half[:1], [(100, 30)])
    assert plugin.tactics() == [1, 2, 3, 4]
    plugin.set_tactic(4)
    plugin.set_tactic(0)  # TensorRT's default tactic: the first config
    with pytest.raises(HostError, match=r"setTactic\(5\) returned -1: _matmul_kernelPlugin::setTactic: tactic 5 is "
                                        r"not one of this plugin's \(0 = default, 1..4\)"):
        plugin.set_tactic(5)
    assert plugin.clone().tactics() == [1, 2, 3, 4]
    single = host(RMS_NORM).create("_rms_norm_kernelPlugin", {"eps": (PluginFieldType.FLOAT32, 0.5)})
    assert single.tactics() == []  # one configuration: TensorRT's default tactic only


def test_a_heuristic_value_without_an_image_is_a_plugin_error(host):
    plugin = host(RMS_NORM).create("_rms_norm_kernelPlugin", {"eps": (PluginFieldType.FLOAT32, 1e-5)})
    with pytest.raises(HostError, match=r"heuristic BLOCK_SIZE = 4096 has no compiled image \(compiled for 16, 32, "
                                        r"64, 128, 256, 512, 1024, 2048\); add the value to the config's domains"):
        plugin.enqueue([(DataType.HALF, (2, 3000), 0x1000), (DataType.HALF, (3000,), 0x2000)],
                       [(DataType.HALF, (2, 3000), 0x3000)])


def test_manifest_lists_tactics_heuristics_and_launch_values(build_plugin):
    [kernel] = json.loads((build_plugin(MATMUL) / "manifest.json").read_text())["kernels"]
    assert kernel["function"] == "matmul_kernel"
    assert [t["tactic"] for t in kernel["tactics"]] == [1, 2, 3, 4]
    assert kernel["tactics"][1]["meta"] == {"BLOCK_M": 128, "BLOCK_N": 64, "BLOCK_K": 32, "GROUP_M": 8}
    assert kernel["tactics"][1]["options"]["sm_90"] == {"num_warps": 4, "num_stages": 4}
    assert kernel["heuristics"] == [{"name": "EVEN_K", "expr": "K % BLOCK_K == 0",
                                     "source": "lambda args: args[\"K\"] % args[\"BLOCK_K\"] == 0",
                                     "values": [False, True]}]
    assert {(i["tactic"], i["heuristics"][0]) for i in kernel["images"]} == {(t, v) for t in range(1, 5)
                                                                            for v in (False, True)}
    [norm] = json.loads((build_plugin(RMS_NORM) / "manifest.json").read_text())["kernels"]
    assert norm["launch_values"] == [{"name": "rows", "rule": "X[m, n] : m -> rows"}]
    [acc] = json.loads((build_plugin(ACCUMULATE) / "manifest.json").read_text())["kernels"]
    assert acc["reset_to_zero"] == ["out"]


def test_python_modules_drop_leading_underscores(build_plugin):
    out = build_plugin(MATMUL)
    assert "def matmul_kernel(a, b, network=None):" in (out / "functional.py").read_text()
    assert "def matmul_kernel_node(inputs, outputs, name=None):" in (out / "onnx_plugins.py").read_text()


def _write(tmp_path, name, text):
    (tmp_path / name).write_text(textwrap.dedent(text))
    return tmp_path / name


_COPY = """\
    import triton
    import triton.language as tl

    def small_blocks(configs, named_args, **kwargs):
        return [c for c in configs if c.kwargs["BLOCK"] <= named_args["LIMIT"]]

    @triton.autotune(configs=[triton.Config({"BLOCK": b}) for b in (64, 128, 256, 512)], key=["n"],
                     prune_configs_by={"early_config_prune": small_blocks})
    @triton.jit
    def pruned_copy(x, out, n, LIMIT: tl.constexpr, BLOCK: tl.constexpr):
        offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        tl.store(out + offs, tl.load(x + offs, mask=offs < n), mask=offs < n)

    @triton.jit
    def plain_copy(x, out, n, BLOCK: tl.constexpr):
        offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        tl.store(out + offs, tl.load(x + offs, mask=offs < n), mask=offs < n)
    """


def test_early_config_prune_runs_at_build_time_with_the_constexprs(tmp_path):
    _write(tmp_path, "k.py", _COPY)
    config = _write(tmp_path, "c.py", """\
        from plugingen import *
        KERNELS = [KernelMetaData(kernel_name='pruned_copy', kernel_file='k.py',
            ios=[InputArg('x', Type('tensor[fp32]')), OutputArg('out', Type('tensor[fp32]')), DimSizeArg('n'),
                 Constexpr(128)],
            shape_infer_rules=['x[d] -> out[d]', 'x[d] : d -> n'], grid_dims=('cdiv(n, BLOCK)', '1', '1'))]
        """)
    [spec] = load_config(config).kernels
    assert [t.meta for t in spec.tactics] == [(("BLOCK", 64),), (("BLOCK", 128),)]


def test_configs_give_a_plain_kernel_tactics(tmp_path):
    _write(tmp_path, "k.py", _COPY)
    config = _write(tmp_path, "c.py", """\
        import triton
        from plugingen import *
        KERNELS = [KernelMetaData(kernel_name='plain_copy', kernel_file='k.py',
            ios=[InputArg('x', Type('tensor[fp32]')), OutputArg('out', Type('tensor[fp32]')), DimSizeArg('n')],
            shape_infer_rules=['x[d] -> out[d]', 'x[d] : d -> n'], grid_dims=('cdiv(n, BLOCK)', '1', '1'),
            configs=[triton.Config({'BLOCK': 256}, num_warps=2), triton.Config({'BLOCK': 1024}, num_warps=8,
                                                                              num_stages=2)])]
        """)
    [spec] = load_config(config).kernels
    assert [t.describe() for t in spec.tactics] == ["BLOCK=256, num_warps=2, num_stages=3",
                                                    "BLOCK=1024, num_warps=8, num_stages=2"]
    assert [a.kind for a in spec.args][-1] is ArgKind.TUNED


def test_constant_dim_sizes_are_compiled_in_like_the_jit_does(tmp_path):
    _write(tmp_path, "k.py", _COPY)
    base = """\
        from plugingen import *
        KERNELS = [KernelMetaData(kernel_name='plain_copy', kernel_file='k.py',
            ios=[InputArg('x', Type('tensor[fp32]')), OutputArg('out', Type('tensor[fp32]')), DimSizeArg('n'{hint}),
                 Constexpr(128)],
            shape_infer_rules=['x[d] -> out[d]', 'x[d] : {value} -> n'], grid_dims=('1', '1', '1'))]
        """
    for value, hint, described in (("1", "", "n == 1"), ("32", "", "n % 16 == 0"), ("7", "", "generic (no hints)"),
                                   ("1", ", hints=['1', '']", "n == 1")):
        config = _write(tmp_path, "c.py", base.format(value=value, hint=hint))
        [spec] = load_config(config, max_variants=None).kernels
        assert [spec.describe(v) for v in spec.variants] == [described], value  # one variant: a fact, not a promise
    config = _write(tmp_path, "c.py", base.format(value="3", hint=", hints=['16']"))
    with pytest.raises(ConfigError, match="hint '16' on DimSizeArg 'n' never holds: its rule makes it always 3"):
        load_config(config)
