"""Launch choices per call and images by plan (CPU): config heuristics (any kernel, num_warps/num_stages targets),
value sets derived from constraints and their errors, reachable heuristic combinations and hint variants, the
portable PTX for generic variants only, tuning tables (format, staleness, the per-launch choice in C++ against the
model's), tactics that follow the profile, and the plan as `check` and the build's progress show it."""
import json
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import EXAMPLES, TEST_KERNELS
from plugingen import aot, domains, plan, tuning_table
from plugingen.cli import Progress, main
from plugingen.config import load_config
from plugingen.errors import ConfigError
from plugingen.host import DataType, PluginFieldType, PluginHost, build_host
from plugingen.model import Hint, Tuning

LIGER = TEST_KERNELS / "liger_rows_config.py"
MATMUL = TEST_KERNELS / "tuned_matmul_config.py"
INCLUDE = Path(aot.__file__).resolve().parent / "include"


def write_config(folder: Path, body: str, kernel: str = "row_softmax.py") -> Path:
    """A config in ``folder`` beside a copy of the test kernel file ``kernel``."""
    shutil.copy(TEST_KERNELS / kernel, folder / kernel)
    path = folder / "kernel_config.py"
    path.write_text("import triton\nfrom plugingen import *\n\n" + textwrap.dedent(body))
    return path


# row_softmax.py's kernel as a wrapper would launch it: the tile from the row width, warps from the tile
SOFTMAX = """
KERNELS = [KernelMetaData(
    kernel_name='row_softmax_kernel', kernel_file='row_softmax.py',
    ios=[InputArg('x', Type('tensor[fp16]')), OutputArg('y', Type('tensor[fp16]')),
         OutputArg('rowmax', Type('tensor[fp32]')), DimSizeArg('rows'), DimSizeArg('cols')],
    shape_infer_rules=['x[r, c] -> y[r, c], rowmax[r]', 'x[r, c] : r -> rows', 'x[r, c] : c -> cols'],
    heuristics={heuristics},
    constraints={constraints},
    grid_dims=('rows', '1', '1'),
)]
"""


def softmax_config(tmp_path, block="min(triton.next_power_of_2(args['cols']), 4096)",
                   warps="4 if args['BLOCK'] <= 1024 else 8", constraints="[]", heuristics=None):
    heuristics = heuristics or f"{{'BLOCK': lambda args: {block}, 'num_warps': lambda args: {warps}}}"
    return write_config(tmp_path, SOFTMAX.format(heuristics=heuristics, constraints=constraints))


# ------------------------------------------------------------------------------------------------ config heuristics
def test_config_heuristics_on_a_plain_kernel_with_num_warps_chosen_per_launch():
    spec = load_config(LIGER, (90,)).kernels[0]
    block, warps = spec.heuristics
    assert [h.name for h in spec.heuristics] == ["BLOCK_SIZE", "num_warps"] and warps.option and not block.option
    assert block.domain == tuple(2 ** e for e in range(17))  # n_cols <= 65536 bounds next_power_of_2(n_cols)
    assert warps.domain == (4, 8, 16, 32)
    assert "BLOCK_SIZE" not in [a.name for a in spec.args if a.kind.value != "triton.heuristics"]
    env = spec.launch_env({"eps": 1}, spec.dim_size_env([(3, 5000), (5000,)]))
    assert (env["BLOCK_SIZE"], env["num_warps"]) == (8192, 16)
    point = next(p for p in plan.plan_kernel(spec, (90,)).points if p.choice == (8192, 16))
    assert spec.compile_options(point, 90).num_warps == 16
    job = aot._job_for(spec, point, 90, "3.6.0")
    assert dict(job.options)["num_warps"] == 16 and dict(job.constexprs)["BLOCK_SIZE"] == 8192


def test_correlated_heuristics_compile_only_reachable_combinations(tmp_path):
    spec = load_config(softmax_config(tmp_path), (90,), None).kernels[0]
    block, warps = spec.heuristics
    assert block.domain == tuple(2 ** e for e in range(13)) and warps.domain == (4, 8)  # min() bounds it
    kernel = plan.plan_kernel(spec, (90,))
    combos = sorted({p.choice for p in kernel.points})
    assert len(combos) == 13  # of 13 x 2: the warps follow the tile
    assert all(w == (4 if b <= 1024 else 8) for b, w in combos)
    assert len({(i.point.choice, i.point.variant) for i in kernel.images if i.cubin}) == len(kernel.images) - 13


def test_power_and_conditional_heuristics_as_attorch_writes_them(tmp_path):
    """attorch's layer norm: a batch tile only for narrow features; ``2 ** 10`` and an if-else in the heuristic."""
    config = softmax_config(
        tmp_path, block="triton.next_power_of_2(args['cols'])",
        warps="min(max(1, triton.next_power_of_2(args['rows'] // 2 ** 10)), 8) if args['cols'] < 64 else 4",
        constraints="['cols <= 4096', 'rows <= 65536']")
    spec = load_config(config, (90,), None).kernels[0]
    assert spec.heuristics[1].domain == (1, 2, 4, 8)
    combos = {p.choice for p in plan.plan_kernel(spec, (90,)).points}
    assert all(w == 4 for b, w in combos if b > 64) and {w for b, w in combos if b <= 32} == {1, 2, 4, 8}
    assert len(combos) < 13 * 4


@pytest.mark.parametrize("block, constraints, message", [
    ("triton.next_power_of_2(args['cols'])", "[]",
     "heuristic 'BLOCK' = next_power_of_2(cols) takes a value per launch that plugingen cannot list: no constraint "
     "bounds cols"),
    ("args['cols'] // 3 + 1", "['cols <= 3000']",
     "heuristic 'BLOCK' = cols // 3 + 1 takes a value per launch that plugingen cannot list: it takes 1001 values "
     "(more than 64; each is an image per tactic)"),
])
def test_a_value_set_that_cannot_be_derived_is_a_config_error(tmp_path, block, constraints, message):
    with pytest.raises(ConfigError) as failure:
        load_config(softmax_config(tmp_path, block=block, warps="4", constraints=constraints), (90,))
    assert message in str(failure.value) and "domains={'BLOCK': [...]}" in str(failure.value)


def test_num_warps_heuristics_take_valid_values(tmp_path):
    with pytest.raises(ConfigError, match=r"heuristic 'num_warps' takes \[3, 6\]; num_warps is a power of two"):
        load_config(softmax_config(tmp_path, warps="3 if args['BLOCK'] <= 1024 else 6"), (90,))


def test_a_config_heuristic_needs_a_constexpr_or_an_option(tmp_path):
    config = softmax_config(tmp_path)
    config.write_text(config.read_text().replace("'num_warps': lambda", "'cols': lambda"))
    with pytest.raises(ConfigError, match="set 'cols', which is not tl.constexpr"):
        load_config(config, (90,))


# ------------------------------------------------------------------------------------------------ the plan
def test_an_even_k_flag_is_never_paired_with_variants_it_rules_out():
    spec = load_config(MATMUL, (90,)).kernels[0]
    kernel = plan.plan_kernel(spec, (90,))
    k = [a.name for a in spec.args].index("K")
    for image in kernel.images:
        even_k = image.point.choice[0]
        if even_k:  # K % BLOCK_K == 0 with BLOCK_K a multiple of 16: K % 16 == 0, so K == 1 never happens
            assert image.point.variant.hints[k] is not Hint.ONE
    assert sum(i.cubin for i in kernel.images) == 4 * (10 + 5)  # per tactic: 10 variants if not EVEN_K, else 5
    assert len({p for p in kernel.points}) == 4 * 2 * 10  # every variant keeps its slot in the image table


def test_portable_ptx_only_for_generic_variants_and_none_on_request():
    spec = load_config(MATMUL, (90,)).kernels[0]
    kernel = plan.plan_kernel(spec, (90,))
    ptx = [i for i in kernel.images if i.ptx]
    assert len(ptx) == 8 and all(spec.is_generic(i.point.variant) and i.arch == 80 for i in ptx)
    assert not any(i.ptx for i in plan.plan_kernel(spec, (90,), plan.NO_PTX).images)


def test_check_prints_the_plan_and_what_the_cache_holds(tmp_path, capsys):
    workspace = tmp_path / "ws"
    assert main(["--workspace", str(workspace), "--kernel_config", str(EXAMPLES / "vector_add" / "kernel_config.py"),
                 "--arch", "90", "-j", "1"]) == 0
    capsys.readouterr()
    assert main(["check", "--kernel_config", str(MATMUL), "--arch", "80,90", "--ptx-arch", "none"]) == 0
    out = capsys.readouterr().out
    assert "sm_80: 60, sm_90a: 60" in out and "no portable PTX" in out and "120 Triton compiles" in out
    assert "reachable:     8 of 8 (tactic, heuristic values) combinations" in out
    assert main(["check", "--kernel_config", str(EXAMPLES / "vector_add" / "kernel_config.py"), "--arch", "90",
                 "--workspace", str(workspace)]) == 0
    out = capsys.readouterr().out
    assert "5 Triton compiles, all cached" in out, out


def test_progress_is_a_line_every_ten_seconds_without_a_terminal(monkeypatch, caplog):
    clock = iter([0.0, 1.0, 5.0, 11.0, 12.0, 30.0])
    monkeypatch.setattr("plugingen.cli.time.perf_counter", lambda: next(clock))
    progress = Progress(tty=False)
    with caplog.at_level("INFO", logger="plugingen"):
        for done in (1, 2, 3, 4, 5):
            progress(done, 5, 7)
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["aot: 3/5 images compiled (7 cached), ~7 s left", "aot: 5/5 images compiled (7 cached), done"]


# ------------------------------------------------------------------------------------------------ tuning tables
def table_for(spec, rows_by_arch, triton_version=None):
    import triton

    return tuning_table.dump([tuning_table.kernel_entry(spec, triton_version or triton.__version__, rows_by_arch)])


def test_a_tuning_table_compiles_the_winners_and_the_fallback(tmp_path):
    spec = load_config(MATMUL, (80, 90)).kernels[0]
    path = tmp_path / "tuning.json"
    path.write_text(table_for(spec, {90: [{"bucket": [1, 4096, 4096], "tactic": 4},
                                          {"bucket": [4096, 4096, 4096], "tactic": 2}]}))
    import triton

    tuning = tuning_table.load(path, load_config(MATMUL, (80, 90)), triton.__version__)
    kernel = plan.plan_kernel(spec, (80, 90), tuning=tuning[spec.plugin_name])
    assert kernel.tactics == (0, 1, 3)
    assert {i.point.tactic for i in kernel.images if i.arch == 90} == {0, 1, 3}
    assert {i.point.tactic for i in kernel.images if i.arch == 80} == {0}  # no table for sm_80: the fallback
    assert {i.point.tactic for i in kernel.images if i.ptx} == {0}


@pytest.mark.parametrize("change, message", [
    (lambda e: e.update(source="0" * 8), "the kernel's source (or a function it calls) changed since it was tuned"),
    (lambda e: e.update(triton="3.0.0"), "it was tuned with Triton 3.0.0, this build uses"),
    (lambda e: e.update(configs=e["configs"][:3]), "the autotune configs differ from the ones it was tuned with"),
    (lambda e: e.update(plugin="other"), "names plugin 'other', which tuned_matmul_config.py does not define"),
    (lambda e: e["archs"]["sm_90"][0].update(tactic=9), "tactic 9 is not one of the kernel's 1..4"),
    (lambda e: e["archs"]["sm_90"][0].update(bucket=[3, 4096, 4096]), "bucket [3, 4096, 4096] is not 3 powers of two"),
])
def test_a_stale_or_broken_tuning_table_is_a_clear_error(tmp_path, change, message):
    import triton

    config = load_config(MATMUL, (90,))
    data = json.loads(table_for(config.kernels[0], {90: [{"bucket": [1, 4096, 4096], "tactic": 2}]}))
    change(data["kernels"][0])
    path = tmp_path / "tuning.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError) as failure:
        tuning_table.load(path, config, triton.__version__)
    assert message in str(failure.value)


CHOOSER = r"""
#include "plugingen/runtime.h"
#include <iostream>
#include <sstream>
#include <vector>

namespace plugingen_gen
{
nvinfer1::IPluginCreatorInterface* const* creators(int32_t& count)
{
    count = 0;
    return nullptr;
}
} // namespace plugingen_gen

// stdin: "cc keys rows k1 k2 ... then rows of (sm config b1 b2 ...)"; stdout: the config tunedTactic picks
int main()
{
    std::string line;
    while (std::getline(std::cin, line))
    {
        std::istringstream in(line);
        int cc = 0, keys = 0, rows = 0;
        in >> cc >> keys >> rows;
        std::vector<int64_t> values(keys), table(rows * (2 + keys));
        for (auto& v : values) in >> v;
        for (auto& v : table) in >> v;
        std::cout << plugingen::tunedTactic(table.data(), rows, keys, values.data(), cc) << "\n";
    }
}
"""


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not on PATH")
def test_the_plugins_choice_per_launch_is_the_models(tmp_path):
    """The generated lookup (runtime.h tunedTactic) picks what Tuning.choose says: the bucket's config, else the
    nearest bucket's, else the first config on an SM without a table, for random tables and key values."""
    import random

    source = tmp_path / "chooser.cpp"
    source.write_text(CHOOSER)
    binary = tmp_path / "chooser"
    subprocess.run(["g++", "-std=c++17", "-O1", f"-I{INCLUDE}", str(source), str(INCLUDE / "plugingen" / "runtime.cpp"),
                    "-ldl", "-pthread", "-o", str(binary)], check=True)
    rng = random.Random(7)
    queries, expected = [], []
    for _ in range(400):
        keys = rng.randint(1, 3)
        tables = {}
        for arch in rng.sample([80, 89, 90, 100], rng.randint(0, 3)):
            buckets = {tuple(2 ** rng.randint(0, 13) for _ in range(keys)) for _ in range(rng.randint(1, 6))}
            tables[arch] = tuple((b, rng.randint(0, 7)) for b in sorted(buckets))
        tuning = Tuning(("k",) * keys, tuple(sorted(tables.items())))
        cc = rng.choice([80, 89, 90, 100, 120])
        values = [rng.randint(-1, 20000) for _ in range(keys)]
        rows = [(arch, tactic, *bucket) for arch, entries in tuning.tables for bucket, tactic in entries]
        queries.append(" ".join(map(str, [cc, keys, len(rows), *values, *[v for r in rows for v in r]])))
        expected.append(tuning.choose(cc, values))
    done = subprocess.run([str(binary)], input="\n".join(queries) + "\n", capture_output=True, text=True, check=True)
    assert [int(x) for x in done.stdout.split()] == expected


@pytest.fixture(scope="module")
def host_lib(tmp_path_factory):
    return build_host(tmp_path_factory.mktemp("host"))


def test_a_tuned_plugin_offers_no_tactic_and_records_its_table(tmp_path, host_lib, aot_cache):
    spec = load_config(TEST_KERNELS / "tuned_accumulate_config.py", (90,)).kernels[0]
    table = tmp_path / "tuning.json"
    table.write_text(table_for(spec, {90: [{"bucket": [1024], "tactic": 1}, {"bucket": [1048576], "tactic": 3}]}))
    workspace = tmp_path / "ws"
    assert main(["--workspace", str(workspace), "--kernel_config", str(TEST_KERNELS / "tuned_accumulate_config.py"),
                 "--arch", "90", "--tuning", str(table), "--cache-dir", str(aot_cache)]) == 0
    manifest = json.loads((workspace / "output" / "manifest.json").read_text())["kernels"][0]
    assert manifest["tuning"] == {"key": ["n"], "archs": {"sm_90": [{"bucket": [1024], "tactic": 1},
                                                                    {"bucket": [1048576], "tactic": 3}]}}
    assert sorted({i["tactic"] for i in manifest["images"]}) == [1, 3]
    source = (workspace / "src" / "accumulate_kernel_plugin.cpp").read_text()
    assert "static constexpr bool kTuned{true};" in source
    assert "tactic = plugingen::tunedTactic(&tuned[0][0], 2, 1, key, plugingen::currentCc());" in source
    with PluginHost(workspace / "output" / "libtriton_plugins.so", host_lib) as host:
        plugin = host.create("_accumulate_kernelPlugin", {"alpha": (PluginFieldType.FLOAT32, 2.0)})
        plugin.configure([DataType.FLOAT], [(4096,)], [DataType.FLOAT], [(4096,)])
        assert plugin.tactics() == []  # TensorRT (and TensorRT-RTX) get one choice: the plugin's, per launch


def test_tactics_follow_the_profile(tmp_path, host_lib, aot_cache):
    """A config whose constraint holds for no shape of the profile is not offered; the others are."""
    config = write_config(tmp_path, """
        KERNELS = [KernelMetaData(
            kernel_name='_accumulate_kernel', kernel_file='tuned_accumulate.py',
            ios=[InputArg('x', Type('tensor[fp32]')), OutputArg('out', Type('tensor[fp32]')),
                 ParamArg('alpha', Type('fp32')), DimSizeArg('n', dtype='i64')],
            shape_infer_rules=['x[*] -> out[*]', 'x[*] : numel(x) -> n'],
            constraints=['n <= BLOCK * 1024'],
            grid_dims=('cdiv(n, BLOCK)', '1', '1'),
        )]
    """, kernel="tuned_accumulate.py")
    workspace = tmp_path / "ws"
    assert main(["--workspace", str(workspace), "--kernel_config", str(config), "--arch", "90",
                 "--cache-dir", str(aot_cache)]) == 0
    with PluginHost(workspace / "output" / "libtriton_plugins.so", host_lib) as host:
        plugin = host.create("_accumulate_kernelPlugin", {"alpha": (PluginFieldType.FLOAT32, 2.0)})
        plugin.configure([DataType.FLOAT], [(4096,)], [DataType.FLOAT], [(4096,)])
        assert plugin.tactics() == [1, 2, 3]
        # n = 200000: BLOCK 128 runs n <= 131072 only
        plugin.configure([DataType.FLOAT], [(200000,)], [DataType.FLOAT], [(200000,)])
        assert plugin.tactics() == [2, 3]


@pytest.mark.parametrize("heuristics, message", [
    ("[64]", "heuristics of kernel 'row_softmax_kernel' must be a dict like {'BLOCK_SIZE': lambda args: "
             "triton.next_power_of_2(args['n_cols'])}, got [64]"),
    ("{'BLOCK': 64}", "heuristics['BLOCK'] of kernel 'row_softmax_kernel' must map a parameter name to a function of "
                      "the arguments (lambda args: ...), got 64"),
    ("{'BLOCK': lambda args: 64, 'WIDTH': lambda args: 2}",
     "heuristics['WIDTH'] of kernel 'row_softmax_kernel' sets 'WIDTH', which is neither a parameter of the kernel nor "
     "a compile option (num_warps, num_stages)"),
])
def test_config_heuristics_errors(tmp_path, heuristics, message):
    with pytest.raises(ConfigError) as failure:
        load_config(softmax_config(tmp_path, heuristics=heuristics), (90,))
    assert message in str(failure.value), str(failure.value)


# heuristic_rows.py's decorated kernel (its @triton.heuristics set BLOCK_SIZE and EVEN_N), with config additions
RMS_NORM = """
KERNELS = [KernelMetaData(
    kernel_name='_rms_norm_kernel', kernel_file='heuristic_rows.py',
    ios=[InputArg('X', Type('tensor[fp16]')), OutputArg('Y', Type('tensor[fp16]')), InputArg('W', Type('tensor[fp16]')),
         DimSizeArg('stride'), DimSizeArg('N'), ParamArg('eps', Type('fp32'))],
    shape_infer_rules=['X[m, n], W[n] -> Y[m, n]', 'X[m, n] : n -> stride', 'X[m, n] : n -> N', 'X[m, n] : m -> rows'],
    grid_dims=('rows', '1', '1'),
    {fields}
)]
"""


def test_a_config_heuristic_may_not_reset_what_the_decorators_set(tmp_path):
    config = write_config(tmp_path, RMS_NORM.format(fields="heuristics={'BLOCK_SIZE': lambda args: 1024},"),
                          kernel="heuristic_rows.py")
    with pytest.raises(ConfigError, match=r"heuristics\['BLOCK_SIZE'\] of kernel '_rms_norm_kernel': "
                                          r"@triton.heuristics set 'BLOCK_SIZE' already"):
        load_config(config, (90,))


def test_constraints_that_exclude_every_launch_leave_a_heuristic_no_value(tmp_path):
    with pytest.raises(ConfigError, match="takes no value on any launch the constraints allow"):
        load_config(softmax_config(tmp_path, block="triton.next_power_of_2(args['cols'])", warps="4",
                                   constraints="['cols <= 8', 'cols >= 16']"), (90,))


def test_config_heuristics_run_after_the_decorators_and_read_their_values(tmp_path):
    config = write_config(tmp_path, RMS_NORM.format(
        fields="constraints=['N <= 2048'], heuristics={'num_warps': lambda args: 8 if args['BLOCK_SIZE'] >= 1024 "
               "else 4},"), kernel="heuristic_rows.py")
    spec = load_config(config, (90,)).kernels[0]
    assert [h.name for h in spec.heuristics] == ["BLOCK_SIZE", "EVEN_N", "num_warps"]
    assert spec.heuristics[0].domain == (16, 32, 64, 128, 256, 512, 1024, 2048)  # derived: no domains= needed
    combos = {p.choice for p in plan.plan_kernel(spec, (90,)).points}
    assert {(b, w) for b, _, w in combos} == {(b, 8 if b >= 1024 else 4) for b in spec.heuristics[0].domain}


def test_the_last_launch_entry_point_answers_before_any_launch(build_plugin, host_lib):
    with PluginHost(build_plugin(EXAMPLES / "vector_add" / "kernel_config.py") / "libtriton_plugins.so",
                    host_lib) as host:
        assert host.last_launch() is None  # none yet in this thread (a launch needs a GPU: tests/gpu)


ROW_SCALE = '''
import triton
import triton.language as tl


@triton.jit
def row_scale_kernel(x, y, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    tl.store(y + row * n_cols + cols, tl.load(x + row * n_cols + cols, mask=mask) * 2, mask=mask)
'''


def test_a_launch_that_writes_nothing_needs_no_image(tmp_path, host_lib, aot_cache):
    """Rows of width 0: BLOCK = next_power_of_2(0) = 0, which no image is compiled for, over a grid of 3 rows; the
    output has no element, so enqueue launches nothing and succeeds (the JIT would not compile BLOCK = 0)."""
    (tmp_path / "row_scale.py").write_text(ROW_SCALE)
    config = tmp_path / "kernel_config.py"
    config.write_text(textwrap.dedent("""
        import triton
        from plugingen import *

        KERNELS = [KernelMetaData(
            kernel_name='row_scale_kernel', kernel_file='row_scale.py',
            ios=[InputArg('x', Type('tensor[fp32]')), OutputArg('y', Type('tensor[fp32]')), DimSizeArg('n_cols')],
            shape_infer_rules=['x[r, c] -> y[r, c]', 'x[r, c] : c -> n_cols', 'x[r, c] : r -> rows'],
            heuristics={'BLOCK': lambda args: triton.next_power_of_2(args['n_cols'])},
            constraints=['n_cols <= 64'],
            grid_dims=('rows', '1', '1'),
        )]
    """))
    workspace = tmp_path / "ws"
    assert main(["--workspace", str(workspace), "--kernel_config", str(config), "--arch", "90", "--exact-variants",
                 "--cache-dir", str(aot_cache)]) == 0
    with PluginHost(workspace / "output" / "libtriton_plugins.so", host_lib) as host:
        plugin = host.create("row_scale_kernelPlugin", {})
        plugin.enqueue([(DataType.FLOAT, (3, 0), 0x1000)], [(DataType.FLOAT, (3, 0), 0x2000)])  # nothing to write
        with pytest.raises(Exception, match="libcuda.so.1"):  # a real launch: it reaches the (absent) driver
            plugin.enqueue([(DataType.FLOAT, (3, 5), 0x1000)], [(DataType.FLOAT, (3, 5), 0x2000)])
