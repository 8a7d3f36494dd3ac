"""GPU: the library-style kernels (tests/test_library_styles.py builds and drives them on the CPU) against torch:
optional inputs (``Constexpr(None)``), one kernel as two plugins, a kernel file inside a package with a ``2 ** 10``
heuristic. Each runs through the plugin's own enqueue (``PluginRunner``), from libraries built on the CPU machine
(tests/gpu/prebuild.py builds these configs with the others).

Skipped without torch + CUDA. Run on the GPU machine (see docs/VERIFICATION.md)."""
import pytest

torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    pytest.skip("no CUDA GPU", allow_module_level=True)

from conftest import TEST_KERNELS  # noqa: E402

from plugingen.testing import PluginError  # noqa: E402

pytestmark = pytest.mark.gpu

RMS_NORM = TEST_KERNELS / "fused_rms_norm_config.py"
SWIGLU = TEST_KERNELS / "swiglu_config.py"
ACT_PKG = TEST_KERNELS / "act_pkg_config.py"
EPS = 1e-6


def _rms_norm(h, w, eps):
    rstd = torch.rsqrt((h * h).mean(-1) + eps)
    return h * rstd[:, None] * w.float(), rstd


@pytest.mark.parametrize("rows,n", [(1, 1), (7, 96), (64, 1000), (33, 1024)])
def test_rms_norm_without_the_optional_inputs(runner, rows, n):
    x = torch.randn(rows, n, device="cuda", dtype=torch.float16)
    w = torch.randn(n, device="cuda", dtype=torch.float16)
    y, rstd = runner(RMS_NORM).run("rms_norm", {"eps": EPS}, [x, w])
    torch.cuda.synchronize()
    want_y, want_rstd = _rms_norm(x.float(), w, EPS)
    torch.testing.assert_close(rstd, want_rstd, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(y, want_y.half(), rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("rows,n", [(1, 1), (7, 96), (64, 1000), (33, 1024)])
def test_add_rms_norm_with_residual_and_bias(runner, rows, n):
    x = torch.randn(rows, n, device="cuda", dtype=torch.float16)
    residual = torch.randn(rows, n, device="cuda", dtype=torch.float16)
    w = torch.randn(n, device="cuda", dtype=torch.float16)
    b = torch.randn(n, device="cuda", dtype=torch.float16)
    y, residual_out, rstd = runner(RMS_NORM).run("add_rms_norm", {"eps": EPS}, [x, w, b, residual])
    torch.cuda.synchronize()
    h = x.float() + residual.float()
    want_y, want_rstd = _rms_norm(h, w, EPS)
    torch.testing.assert_close(residual_out, h, rtol=0, atol=0)
    torch.testing.assert_close(rstd, want_rstd, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(y, (want_y + b.float()).half(), rtol=1e-2, atol=1e-2)


def test_rms_norm_refuses_rows_wider_than_its_tile(runner):
    x = torch.randn(2, 1025, device="cuda", dtype=torch.float16)
    with pytest.raises(PluginError, match=r"constraint 'N <= 1024' does not hold \(N = 1025\)"):
        runner(RMS_NORM).run("rms_norm", {"eps": EPS}, [x, torch.ones(1025, device="cuda", dtype=torch.float16)])


@pytest.mark.parametrize("width", [1000, 4096])
@pytest.mark.parametrize("rows", [1, 5, 300])
def test_swiglu_two_plugins_of_one_kernel(runner, width, rows):
    a = torch.randn(rows, width, device="cuda", dtype=torch.float16)
    b = torch.randn(rows, width, device="cuda", dtype=torch.float16)
    plugins = runner(SWIGLU)
    c, = plugins.run(f"swiglu_{width}", {}, [a, b])
    torch.cuda.synchronize()
    want = torch.nn.functional.silu(a.float()).half() * b
    torch.testing.assert_close(c, want, rtol=1e-3, atol=1e-3)
    launched = plugins.launched()  # the plugin's own images (its n_cols), told apart from the other plugin's
    assert launched.kernel == "_swiglu_forward_kernel" and f"BLOCK_SIZE={1024 if width == 1000 else 4096}" in \
        launched.description


def test_swiglu_plugin_refuses_the_other_width(runner):
    a = torch.randn(3, 4096, device="cuda", dtype=torch.float16)
    with pytest.raises(PluginError, match="dimension 1 of input 'a_ptr' is 4096 but rule"):
        runner(SWIGLU).run("swiglu_1000", {}, [a, a])


@pytest.mark.parametrize("batch,feat,block", [(1, 1, 1), (100, 64, 1), (2048, 33, 2), (5000, 64, 4),
                                              (70000, 17, 4)])
def test_package_kernel_with_its_heuristic(runner, batch, feat, block):
    x = torch.randn(batch, feat, device="cuda", dtype=torch.float32)
    plugins = runner(ACT_PKG)
    out, = plugins.run("act_func_forward_kernelPlugin", {}, [x])
    torch.cuda.synchronize()
    torch.testing.assert_close(out, torch.nn.functional.leaky_relu(x, 0.01), rtol=1e-6, atol=1e-7)
    assert f"BLOCK_SIZE_BATCH={block}" in plugins.launched().description
