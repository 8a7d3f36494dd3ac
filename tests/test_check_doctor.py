"""``plugingen check`` (validate a config, compile nothing, print the plugin ABI; every error at once) and
``plugingen doctor`` (what a build would find on this machine), run as a user runs them: a subprocess."""
import os
import subprocess
import sys
import time
from pathlib import Path


from conftest import EXAMPLES, ROOT, TEST_KERNELS

BAD = ROOT / "tests" / "bad_configs"


def plugingen(*args: str, cwd: Path = ROOT, env=None):
    return subprocess.run([sys.executable, "-m", "plugingen", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, timeout=300)


def test_check_prints_the_plugin_abi_and_compiles_nothing(tmp_path):
    config = TEST_KERNELS / "typed_ops_config.py"
    start = time.perf_counter()
    done = plugingen("check", "--kernel_config", str(config), "--arch", "80,90", cwd=tmp_path)
    seconds = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for line in ["axpby_kernel (typed_ops.py) -> plugin 'axpby_kernelPlugin' version 1 namespace ''; "
                 "functional.axpby_kernel(), onnx_plugins.axpby_kernel_node()",
                 "  signatures:    T=fp16 | T=bf16 | T=fp32",
                 "  fields:        alpha: T (stored fp32), beta: T (stored fp32)",
                 "  inputs:        x: tensor[T], y: tensor[T]",
                 "  output:        out: tensor[T] from 'x[d], y[d] -> out[d]'",
                 "  computed:      DimSizeArg n: i32 from 'x[d] : d -> n'",
                 "  grid:          (cdiv(n, BLOCK), 1, 1)",
                 "  variants:      x % 16 == 0, y % 16 == 0, out % 16 == 0, n % 16 == 0",
                 "                 x % 16 == 0, y % 16 == 0, out % 16 == 0, n == 1",  # automatic
                 "                 x % 16 == 0, y % 16 == 0, out % 16 == 0",
                 "                 generic (no hints)",
                 "  images:        sm_80: 12, sm_90a: 12",
                 "                 portable PTX sm_80: 3",  # the generic variant of each signature
                 "                 24 Triton compiles",
                 "  computed:      launch value rows from 'x[r, c] : r -> rows'",
                 "  output:        rms: tensor[fp32] from 'x[r, c] -> y[r, c], rms[r]'"]:
        assert line in out.splitlines(), out
    assert "2 kernel(s), no errors" in out and "nothing compiled" in out
    assert list(tmp_path.iterdir()) == []  # nothing written where it ran
    assert seconds < 30


def test_check_shows_tactics_in_place_outputs_and_fp8_archs():
    tuned = plugingen("check", "--kernel_config", str(TEST_KERNELS / "tuned_matmul_config.py")).stdout
    assert "  tactics:       1: BLOCK_M=64, BLOCK_N=64, BLOCK_K=32, GROUP_M=8, num_warps=4, num_stages=4" in tuned
    assert "                 4: BLOCK_M=32, BLOCK_N=32, BLOCK_K=32, GROUP_M=8, num_warps=2, num_stages=4" in tuned
    assert "  heuristics:    EVEN_K = K % BLOCK_K == 0 in [False, True]" in tuned
    inplace = plugingen("check", "--kernel_config", str(TEST_KERNELS / "inplace_ops_config.py")).stdout
    assert "  output:        x_out: tensor[fp32] from 'x[*] -> x_out[*]', in place: is input 'x'" in inplace
    fp8 = plugingen("check", "--kernel_config", str(TEST_KERNELS / "fp8_cast_config.py"), "--arch", "80,90").stdout
    assert ["  images:        sm_80: 0, sm_90a: 8", "                 portable PTX sm_89: 2",
            "  images:        sm_80: 0, sm_90a: 4", "                 portable PTX sm_89: 1"] == [
        line for i, line in enumerate(fp8.splitlines()) if line.startswith("  images:") or
        fp8.splitlines()[i - 1].startswith("  images:")]


def test_check_reports_every_error_at_once(tmp_path):
    """Independent mistakes in two kernels: all of them, one line each, exit 2; dependent ones suppressed (the
    wrong-case rule target is one error, not also 'no rule' and 'unused launch value')."""
    config = tmp_path / "kernel_config.py"
    config.write_text(f"""from plugingen import *

KERNELS = [
    KernelMetaData(
        kernel_name='add_kernel', kernel_file={str(BAD / 'kernels.py')!r},
        ios=[InputArg('x', Type('tensor[fp32]')), InputArg('y', Type('tensor[fp32]')),
             OutputArg('out', Type('tensor[fp32]')), DimSizeArg('n'), Constexpr(256)],
        shape_infer_rules=['x[d], y[d] -> out[d]', 'x[d] : d -> N'],
        num_warps=3,
        version=-1,
        grid_dims=('cdiv(nn, 256)', '1', '1'),
    ),
    KernelMetaData(
        kernel_name='scale_kernel', kernel_file={str(BAD / 'kernels.py')!r},
        ios=[InputArg('x', Type('tensor[fp32]')), OutputArg('out', Type('tensor[fp32]')),
             ParamArg('alpha', Type('fp32'), hints=['16']), DimSizeArg('n'), Constexpr(256)],
        shape_infer_rules=['x[d] -> out[d]', 'x[d] : d -> n'],
        grid_dims=('cdiv(n, 256)', '1', '1'),
    ),
]
""")
    done = plugingen("check", "--kernel_config", str(config))
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert [line.split(": error: ")[1].split(" (hint")[0] for line in lines] == [
        "version of kernel 'add_kernel' must be a non-negative integer, got -1",
        "num_warps of kernel 'add_kernel' must be a power of two from 1 to 32, got 3",
        "rule 'x[d] : d -> N' computes 'N', which is not a kernel parameter",
        "grid_dims x 'cdiv(nn, 256)' uses unknown name 'nn'",
        "hint '16' on floating-point 'alpha' is meaningless",
    ]
    assert [line.split(": error:")[0].split(":")[1] for line in lines] == ["10", "9", "8", "11", "16"]
    assert "Traceback" not in done.stderr


def test_check_strict_turns_warnings_into_errors():
    config = BAD / "warning_unchecked_input.py"
    relaxed = plugingen("check", "--kernel_config", str(config))
    assert relaxed.returncode == 0 and ": warning: InputArg" in relaxed.stderr
    strict = plugingen("check", "--kernel_config", str(config), "--strict")
    assert strict.returncode == 2 and "(--strict)" in strict.stderr


def test_check_usage_errors_exit_2():
    assert plugingen("check").returncode == 2  # argparse: --kernel_config is required
    missing = plugingen("check", "--kernel_config", "/nonexistent/kernel_config.py")
    assert missing.returncode == 2 and "kernel config not found" in missing.stderr


def test_doctor_says_what_the_build_finds():
    done = plugingen("doctor")
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    for what in ("plugingen:", "Triton:", "C++ compiler:", "CMake:", "TensorRT headers:", "TensorRT (Python):",
                 "TensorRT-RTX:", "onnx:", "torch:", "GPU:"):
        assert any(line[5:].startswith(what) for line in lines), (what, lines)
    assert lines[-1] == "plugingen doctor: ready to build"


def test_doctor_fails_without_a_compiler_or_with_bad_headers(tmp_path):
    done = plugingen("doctor", env={"CXX": str(tmp_path / "no-such-c++")})
    assert done.returncode == 1
    assert any(line.startswith("FAIL C++ compiler:") and "no C++ compiler found" in line and "-> " in line
               for line in done.stdout.splitlines()), done.stdout
    assert done.stdout.splitlines()[-1] == "plugingen doctor: a build cannot succeed: C++ compiler"
    headers = plugingen("doctor", "--trt-include-dir", str(tmp_path))
    assert headers.returncode == 1 and f"--trt-include-dir {tmp_path} has no NvInferRuntime.h" in headers.stdout


def test_fmha_build_engine_names_a_workspace_of_another_config(build_plugin, monkeypatch, capsys):
    """examples/fmha/build_engine.py over a vector_add build: a clear error, not an AttributeError (a stand-in
    tensorrt module lets it get that far on a machine without TensorRT)."""
    import importlib.util
    import types

    registry = types.SimpleNamespace(get_creator=lambda *a: object(), load_library=lambda path: True)
    monkeypatch.setitem(sys.modules, "tensorrt", types.SimpleNamespace(get_plugin_registry=lambda: registry))
    monkeypatch.delitem(sys.modules, "functional", raising=False)
    workspace = build_plugin(EXAMPLES / "vector_add" / "kernel_config.py").parent
    spec = importlib.util.spec_from_file_location("fmha_build_engine", EXAMPLES / "fmha" / "build_engine.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        assert module.main(["--workspace", str(workspace)]) == 1
    finally:
        sys.modules.pop("functional", None)
        sys.path.remove(str((workspace / "output").resolve()))
    err = capsys.readouterr().err
    assert "was built from another config (it has vector_add_kernel)" in err and "plugingen --workspace" in err


def test_a_rule_that_does_not_parse_hides_the_grid_errors_it_causes(tmp_path):
    """One target per ':' rule: the parse error is reported, not also the grid's 'unknown name rows' it causes."""
    config = tmp_path / "kernel_config.py"
    config.write_text(f"""from plugingen import *
KERNELS = [KernelMetaData(kernel_name='add_kernel', kernel_file={str(BAD / 'kernels.py')!r},
    ios=[InputArg('x', Type('tensor[fp32]')), InputArg('y', Type('tensor[fp32]')),
         OutputArg('out', Type('tensor[fp32]')), DimSizeArg('n'), Constexpr(256)],
    shape_infer_rules=['x[d], y[d] -> out[d]', 'x[d] : d, d -> n, rows'], grid_dims=('rows', '1', '1'))]
""")
    done = plugingen("check", "--kernel_config", str(config))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"{config}:5:49: error: shape rule 'x[d] : d, d -> n, rows': expected '->' at column 9"]
