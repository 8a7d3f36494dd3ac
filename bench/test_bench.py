"""Tests of the benchmark's non-GPU logic (nothing here is timed): ``python -m pytest bench -q``."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import build_time  # noqa: E402
import common  # noqa: E402
import kernel_parity as kp  # noqa: E402
import launch_overhead  # noqa: E402
import run as bench_run  # noqa: E402


# ---- stand-ins for torch tensors: what Triton's binder and the plugin's variant choice read --------------------

class _Dtype:
    def __init__(self, name):
        self.name = name
        self.itemsize = {"float16": 2, "bfloat16": 2, "float32": 4, "int32": 4, "int64": 8}[name]
        self.is_floating_point = name.startswith(("float", "bfloat"))

    def __str__(self):
        return "torch." + self.name


class FakeTensor:
    names = {"fp16": "float16", "bf16": "bfloat16", "fp32": "float32", "i32": "int32", "i64": "int64"}
    # one object per dtype, like torch's: Triton caches what it derives from a dtype by the object's identity
    dtypes = {name: _Dtype(torch_name) for name, torch_name in names.items()}

    def __init__(self, dtype, address, shape=()):
        self.dtype = self.dtypes[dtype]
        self.address = address
        self.shape = tuple(shape)

    def data_ptr(self):
        return self.address

    def dim(self):
        return len(self.shape)


def _arguments(case, dims, offset=0):
    spec = kp.load_spec(case)
    specs = case.inputs(dims)
    inputs = [FakeTensor(d, 0x7F0000000000 + (i << 32) + offset, shape) for i, (d, shape, _) in enumerate(specs)]
    signature = kp.signature_of(spec, specs)
    out_shapes = spec.output_dims([shape for _, shape, _ in specs])
    outputs = [FakeTensor(spec.dtype_of(p, signature).abbr, 0x7E0000000000 + (i << 32), shape)
               for i, (p, shape) in enumerate(zip(spec.outputs, out_shapes))]
    dims_values = kp.dim_size_values(spec, [s for _, s, _ in specs])
    fields = kp.case_fields(case, dims)
    args, constexprs = kp.kernel_arguments(spec, inputs, outputs, fields, dims_values)
    return spec, fields, dims_values, args, constexprs


CASE_SHAPES = [(case, label, dims) for case in kp.CASES if not case.published for label, dims in case.shapes]


@pytest.mark.parametrize("case,label,dims", CASE_SHAPES, ids=[f"{c.name}-{l}" for c, l, _ in CASE_SHAPES])
def test_matched_jit_specialises_like_the_plugin_variant(case, label, dims):
    spec, fields, dim_values, args, constexprs = _arguments(case, dims)
    variant = kp.selected_variant(spec, args)
    assert variant is not None
    jit_fn = kp.load_jit_function(spec)
    signature = kp.signature_of(spec, case.inputs(dims))
    matched = kp.matched_jit(jit_fn, spec, variant, signature)
    assert kp.jit_signature(matched, args, constexprs) == kp.expected_signature(spec, variant, signature)
    grid = kp.grid_of(spec, kp.launch_env(spec, fields, dim_values, num_sms=132))
    assert all(g >= 1 for g in grid)


@pytest.mark.parametrize("case,label,dims", CASE_SHAPES, ids=[f"{c.name}-{l}" for c, l, _ in CASE_SHAPES])
def test_the_plugin_runs_the_jits_own_specialisation(case, label, dims):
    """Automatic specialisation: for every parity shape the variant the plugin picks has exactly the facts Triton's
    JIT derives from the same arguments (== 1 compiled in, % 16) for every parameter the kernel reads; the GPU
    bench checks that the JIT's cubin is then in the library. (The JIT's scalar types may differ where the config
    declares them: fill_index's i64 n.)"""
    spec, fields, dim_values, args, constexprs = _arguments(case, dims)
    variant = kp.selected_variant(spec, args)
    jit = kp.jit_signature(kp.load_jit_function(spec), args, constexprs)
    plugin = kp.expected_signature(spec, variant, kp.signature_of(spec, case.inputs(dims)))
    read = {a.name for a in spec.args if a.is_read}

    def facts(signature):
        return [(name, kind == "constexpr", div16) for name, kind, div16 in signature if name in read]

    assert facts(jit) == facts(plugin)


def test_variant_choice_follows_the_hints():
    case = kp.CASES[0]  # vector_add: all '16', n == 1 (automatic), pointers aligned (automatic), generic
    spec, _, _, args, _ = _arguments(case, {"n": 4096})
    assert kp.selected_variant(spec, args) == 0
    spec, _, _, args, _ = _arguments(case, {"n": 4096}, offset=2)  # misaligned inputs
    assert kp.selected_variant(spec, args) == 3
    spec, _, _, args, _ = _arguments(case, {"n": 4099})  # odd n, aligned buffers: what the JIT compiles
    assert kp.selected_variant(spec, args) == 2
    aligned_only = [c for c in kp.CASES if c.kernel == "aligned_copy_kernel"][0]
    spec, _, _, args, _ = _arguments(aligned_only, {"n": 1000})
    assert kp.selected_variant(spec, args) is None


def test_a_1_hint_is_matched_by_the_jit_constant():
    gather = [c for c in kp.CASES if c.name == "strided_gather"][0]
    spec, fields, _, args, _ = _arguments(gather, {"n": 4096})
    assert fields["stride"] == 1 and kp.selected_variant(spec, args) == 0
    assert ("stride", "constexpr", False) in kp.expected_signature(spec, 0)
    spec, fields, _, args, _ = _arguments(gather, {"n": 4096, "stride": 3})
    assert fields["stride"] == 3  # the JIT's facts: aligned pointers and n, stride free (an automatic variant)
    chosen = spec.variants[kp.selected_variant(spec, args)]
    assert chosen.automatic and spec.describe(chosen) == "x % 16 == 0, out % 16 == 0, n % 16 == 0"


def test_dim_sizes_and_grid_follow_the_config():
    fmha = [c for c in kp.CASES if c.name == "fmha"][0]
    spec, fields, dim_values, args, constexprs = _arguments(fmha, {"b": 2, "h": 3, "s": 1000})
    assert dim_values == {"batch_size": 2, "seq_len": 1000, "heads": 3}  # heads: a launch value
    assert kp.grid_of(spec, kp.launch_env(spec, fields, dim_values)) == (8, 6, 1)
    assert fields["num_heads"] == 3
    assert constexprs == {"BLOCK_M": 128, "BLOCK_DMODEL": 64, "BLOCK_N": 128}
    layernorm = [c for c in kp.CASES if c.name == "layernorm"][0]
    spec, fields, dim_values, _, _ = _arguments(layernorm, {"b": 2, "s": 5, "h": 64})
    assert dim_values == {"rows": 10, "hidden": 64}
    assert kp.grid_of(spec, kp.launch_env(spec, fields, dim_values)) == (3, 1, 1)  # cdiv(10, 4)


def test_graph_sizing():
    assert kp.launches_per_graph(kp.estimate_us(4096, None), 8) == kp.MAX_LAUNCHES
    assert kp.launches_per_graph(kp.estimate_us(1 << 30, None), 1) == kp.MIN_LAUNCHES
    n = kp.launches_per_graph(100.0, 3)
    assert n % 3 == 0 and kp.MIN_LAUNCHES <= n <= kp.MAX_LAUNCHES


def test_every_shipped_config_has_a_case():
    configs = {c.config for c in kp.CASES}
    root = common.ROOT
    shipped = {str(p.relative_to(root)) for p in list(root.glob("examples/*/kernel_config.py"))
               + list(root.glob("tests/kernels/*_config.py"))}
    assert shipped - set(kp.TUNED_CONFIGS) - set(kp.UNTIMED_CONFIGS) <= configs
    assert set(kp.TUNED_CONFIGS) | set(kp.UNTIMED_CONFIGS) <= shipped


# ---- build time ----------------------------------------------------------------------------------------------

def test_stage_and_image_parsing():
    text = ("[1/4] config: 1 kernel(s): k (0.20s)\n[2/4] aot: 4 image(s) for sm_80, sm_90 (6.34s)\n"
            "aot: compiled k00_kernel sm_90 [0d1d] in 1.57s\n[3/4] codegen: 8 file(s), 8 changed (0.28s)\n"
            "[4/4] build: /x/libtriton_plugins.so (5.32s)\n")
    assert build_time.parse_stages(text) == {"config": 0.2, "aot": 6.34, "codegen": 0.28, "build": 5.32}
    assert build_time.parse_aot_images(text) == [{"kernel": "k00_kernel", "arch": 90, "variant": "0d1d", "s": 1.57}]


def test_ninja_log_summary(tmp_path):
    (tmp_path / ".ninja_log").write_text("# ninja log v5\n0\t1000\t0\tCMakeFiles/t.dir/a.cpp.o\tx\n"
                                         "0\t3000\t0\tCMakeFiles/t.dir/b.cpp.o\ty\n3000\t3100\t0\tlibt.so\tz\n")
    s = build_time.ninja_summary(build_time.ninja_log(tmp_path))
    assert s["translation_units"] == 2 and s["compile_sum_s"] == 4.0 and s["link_s"] == 0.1 and s["span_s"] == 3.1
    assert build_time.ninja_log(tmp_path, skip_lines=3)[0]["output"] == "libt.so"


def test_generated_16_kernel_config_loads(tmp_path):
    from plugingen import config

    spec = config.load_config(build_time.write_many_kernels(tmp_path))
    assert len(spec.kernels) == build_time.NUM_KERNELS
    sources = {(tmp_path / f"k{i:02d}.py").read_text().split("tl.store")[1] for i in range(build_time.NUM_KERNELS)}
    assert len(sources) == build_time.NUM_KERNELS  # distinct bodies: distinct cache keys
    assert build_time.kernel_source(3, 1.0) != build_time.kernel_source(3, 2.0)


def test_build_markdown_renders_partial_results():
    run = {"wall_s": 1.0, "wall": common.summary([1.0, 2.0]), "cpu_s": 1.0, "loadavg_1m_max": 0.5,
           "stages_median_s": {"aot": 0.5}, "runs": [{"ninja": {}}]}
    text = build_time.markdown({"archs": "80,90", "reps": 3, "fmha_cold": run, "fmha_warm": run})
    assert "FMHA cold" in text and "meets" in text


# ---- launch overhead -----------------------------------------------------------------------------------------

def test_launch_parameters_and_compile_commands(tmp_path):
    class P:
        def __init__(self, name, size):
            self.name, self.size = name, size

    class V:
        params = [P("x", 8), P("y", 8), P("out", 8), P("n", 4), P("global_scratch", 8), P("profile_scratch", 8)]

    assert launch_overhead.params_argument(V) == "x:8,y:8,out:8,n:4,global_scratch:8,profile_scratch:8"
    commands = launch_overhead.compile_commands(tmp_path / "bin", "/usr/local/cuda/include", "/lib/libcuda.so.1")
    assert len(commands) == 3 and commands[0][-2:] == ["-lcuda", "-ldl"] and "/lib/libcuda.so.1" in commands[2]


@pytest.mark.skipif(shutil.which("g++") is None or launch_overhead.cuda_include_dir() is None,
                    reason="needs g++ and cuda.h")
def test_launch_overhead_cpp_compiles(tmp_path):
    include = launch_overhead.cuda_include_dir()
    command = launch_overhead.compile_commands(tmp_path / "x.o", include, None)[0][:-2]
    command[command.index("-o"):command.index("-o")] = ["-c", "-Werror"]
    subprocess.run(command, check=True)


def test_launch_markdown_renders():
    stats = common.summary([1.0, 2.0, 3.0])
    r = {"n": 1024, "arch": 90, "plugin_vs_raw": 1.1, "cubin_in_plugin": True,
         "cpp": {"host_us_per_call": {"plugin_enqueue": stats, "raw_cuLaunchKernel": stats,
                                      "plugin_onShapeChange_enqueue": stats}},
         "python_host_us_per_call": {"triton_jit": stats}}
    assert "meets" in launch_overhead.markdown(r)


# ---- run.py ----------------------------------------------------------------------------------------------------

def test_run_needs_a_part(capsys):
    assert bench_run.main([]) == 2
    assert "choose at least one" in capsys.readouterr().err


def test_gpu_part_fails_clearly_without_a_gpu(capsys):
    try:
        import torch

        if torch.cuda.is_available():
            pytest.skip("a GPU is present")
    except ImportError:
        pass
    assert bench_run.main(["--gpu", "--out", "/nonexistent-never-written"]) == 2
    assert "GPU" in capsys.readouterr().err


def test_update_doc_embeds_newest_results(tmp_path, monkeypatch):
    doc = tmp_path / "PERFORMANCE.md"
    doc.write_text(f"# Perf\n\n{bench_run.DOC_START}\nOLD-CONTENT\n{bench_run.DOC_END}\n\nafter\n")
    monkeypatch.setattr(bench_run, "DOC", doc)
    monkeypatch.setattr(bench_run, "ROOT", tmp_path)
    results = tmp_path / "results"
    results.mkdir()
    run = {"wall_s": 1.0, "wall": common.summary([1.0]), "cpu_s": 1.0, "loadavg_1m_max": 0.5,
           "stages_median_s": {}, "runs": [{}]}
    data = {"started": "2026-01-01T00:00:00", "machine": {"cpu_model": "X", "cpu_count": 2}, "command": "c",
            "parts": {"build": {"archs": "80,90", "reps": 1, "fmha_cold": run}}, "errors": {}}
    (results / "2026-01-01-cpu-2c.json").write_text(json.dumps(data))
    assert bench_run.update_doc(results) == 0
    text = doc.read_text()
    assert "OLD-CONTENT" not in text and "FMHA cold" in text and "No GPU results" in text and text.endswith("after\n")


def test_common_helpers():
    assert common.quantile([1, 2, 3, 4], 0.5) == 2.5
    assert common.ratio(1.0, 0) is None and common.ratio(2.0, 4.0) == 0.5
    assert common.fmt(None) == "—" and common.fmt(1.23456) == "1.23" and common.fmt(True) == "yes"
    assert common.result_stem({"gpu_name": "NVIDIA H100 80GB HBM3"}).endswith("-nvidia-h100-80gb-hbm3")
    assert common.result_stem({"cpu_usable": 2}).endswith("-cpu-2c")


_UNREAD_KERNEL = '''
import triton
import triton.language as tl


@triton.jit
def k(x, unread, n, B: tl.constexpr):
    o = tl.arange(0, B)
    tl.store(x + o, tl.load(x + o, mask=o < n) + 1, mask=o < n)
'''


def test_instructions_ignore_only_parameter_offsets(tmp_path, monkeypatch):
    """The JIT compiles an unread argument equal to 1 as a constant (dropped from the parameter list): the cubin
    differs, the instructions (parameter offsets aside) do not; a fact about a read argument changes them."""
    import importlib.util

    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    monkeypatch.setenv("TRITON_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "unread_kernel.py").write_text(_UNREAD_KERNEL)
    spec = importlib.util.spec_from_file_location("unread_kernel", tmp_path / "unread_kernel.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    target = GPUTarget("cuda", 90, 32)

    def cubin(signature, constants, attrs=None):
        source = ASTSource(module.k, dict(signature, B="constexpr"), dict(constants, B=128), attrs or {})
        return bytes(triton.compile(source, target=target).asm["cubin"])

    base = cubin({"x": "*fp32", "unread": "i32", "n": "i32"}, {})
    dropped = cubin({"x": "*fp32", "unread": "constexpr", "n": "i32"}, {"unread": 1})
    n_is_one = cubin({"x": "*fp32", "unread": "i32", "n": "constexpr"}, {"n": 1})
    assert base != dropped and kp.instructions(base) == kp.instructions(dropped)
    assert kp.instructions(base) != kp.instructions(n_is_one)
