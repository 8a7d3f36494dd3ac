"""GPU: autotuned kernels as tactics, heuristics per launch, reset_to_zero, launch values and numel() — every
tactic against a torch reference, at odd sizes too (plugingen.testing.PluginRunner drives the tactics the way
TensorRT does: getValidTactics after configurePlugin, setTactic before enqueue).

Skipped without torch + CUDA. Run on the GPU machine (see docs/VERIFICATION.md)."""
import pytest

torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    pytest.skip("no CUDA GPU", allow_module_level=True)

from conftest import TEST_KERNELS  # noqa: E402

from plugingen.testing import PluginError  # noqa: E402

pytestmark = pytest.mark.gpu

MATMUL = TEST_KERNELS / "tuned_matmul_config.py"
ACCUMULATE = TEST_KERNELS / "tuned_accumulate_config.py"
RMS_NORM = TEST_KERNELS / "heuristic_rows_config.py"


def leaky_relu_matmul(a, b):
    c = a.float() @ b.float()
    return torch.where(c >= 0, c, 0.01 * c)


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (64, 64, 64), (100, 96, 130), (257, 31, 65), (512, 512, 512),
                                   (1000, 1024, 1000)])
def test_matmul_every_tactic(runner, m, k, n):
    a = torch.randn(m, k, device="cuda", dtype=torch.float16) / 8
    b = torch.randn(k, n, device="cuda", dtype=torch.float16) / 8
    plugins = runner(MATMUL)
    tactics = plugins.tactics("_matmul_kernelPlugin", {}, [a, b])
    assert tactics == [1, 2, 3, 4]  # one per autotune config, values = index + 1
    want = leaky_relu_matmul(a, b)
    for tactic in [0] + tactics:  # 0: TensorRT's default, the first config
        c, = plugins.run("_matmul_kernelPlugin", {}, [a, b], tactic=tactic)
        torch.cuda.synchronize()
        assert c.shape == (m, n) and c.dtype == torch.float16
        torch.testing.assert_close(c.float(), want, atol=2e-2, rtol=2e-2, msg=f"tactic {tactic}")


def test_matmul_unknown_tactic_is_refused(runner):
    a = torch.randn(16, 16, device="cuda", dtype=torch.float16)
    with pytest.raises(PluginError, match="tactic 5 is not one"):
        runner(MATMUL).run("_matmul_kernelPlugin", {}, [a, a], tactic=5)


def test_tune_picks_a_valid_tactic(runner):
    a = torch.randn(512, 512, device="cuda", dtype=torch.float16)
    best = runner(MATMUL).tune("_matmul_kernelPlugin", {}, [a, a])
    assert best in (1, 2, 3, 4)


@pytest.mark.parametrize("shape", [(1,), (127,), (3, 5, 7), (1000, 1001), (1 << 20,)])
def test_accumulate_zeroes_its_output_before_every_launch(runner, shape):
    x = torch.randn(*shape, device="cuda", dtype=torch.float32)
    plugins = runner(ACCUMULATE)
    for tactic in [0, 1, 2, 3]:
        with plugins._prepared("_accumulate_kernelPlugin", {"alpha": 1.5}, [x], None, None) as prepared:
            prepared.outputs[0].fill_(123.0)
            for _ in range(3):  # atomics accumulate: without reset_to_zero the result would be 3x and offset
                prepared.enqueue(tactic)
            torch.cuda.synchronize()
            torch.testing.assert_close(prepared.outputs[0], x * 1.5, msg=f"tactic {tactic}")


@pytest.mark.parametrize("rows,n", [(1, 1), (3, 16), (7, 100), (64, 1024), (5, 1500), (2, 2048)])
def test_rms_norm_heuristics_per_launch(runner, rows, n):
    x = torch.randn(rows, n, device="cuda", dtype=torch.float16)
    w = torch.randn(n, device="cuda", dtype=torch.float16)
    y, = runner(RMS_NORM).run("_rms_norm_kernelPlugin", {"eps": 1e-5}, [x, w])
    torch.cuda.synchronize()
    xf = x.float()
    want = xf * torch.rsqrt((xf * xf).mean(-1, keepdim=True) + 1e-5) * w.float()
    torch.testing.assert_close(y.float(), want, atol=2e-2, rtol=2e-2)


def test_rms_norm_value_outside_the_domain_is_a_plugin_error(runner):
    x = torch.randn(2, 3000, device="cuda", dtype=torch.float16)
    w = torch.randn(3000, device="cuda", dtype=torch.float16)
    with pytest.raises(PluginError, match="heuristic BLOCK_SIZE = 4096 has no compiled image"):
        runner(RMS_NORM).run("_rms_norm_kernelPlugin", {"eps": 1e-5}, [x, w])
