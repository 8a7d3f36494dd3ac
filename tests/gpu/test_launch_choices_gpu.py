"""GPU: config heuristics choose the launch a Python wrapper would — the Triton tutorials' fused softmax and layer
norm (their wrappers' BLOCK_SIZE / num_warps / num_stages logic, tests/published/softmax_config.py and
layernorm_config.py) and Liger-Kernel's ``calculate_settings`` (tests/kernels/liger_rows_config.py) — at every row
width: the output matches torch, ``PluginRunner.launched()`` names the block size and warps the wrapper would pick
(computed here by the wrappers' own formulas, in plain Python), and a row wider than the domain is refused with a
PluginError naming the constraint.

The tutorials' kernels come from $PLUGINGEN_PUBLISHED (tests/published/README.md; their tests skip without it) and
are built as test_published.py builds them, with no GPU visible (and ``--exact-variants``: one image per heuristic
value, to keep the build short; test_published.py runs the same configs with automatic variants). The Liger-style
kernel is built (or taken prebuilt, PLUGINGEN_PREBUILT) like every tests/kernels config."""
import os

import pytest

torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    pytest.skip("no CUDA GPU", allow_module_level=True)

import triton  # noqa: E402

from conftest import TEST_KERNELS, build_published  # noqa: E402
from plugingen.testing import PluginError  # noqa: E402

pytestmark = pytest.mark.gpu
PUBLISHED = os.environ.get("PLUGINGEN_PUBLISHED")
published = pytest.mark.skipif(not PUBLISHED, reason="PLUGINGEN_PUBLISHED (a folder with the published kernels) is "
                                                     "not set")
LIGER = TEST_KERNELS / "liger_rows_config.py"
ARCH = "{}{}".format(*torch.cuda.get_device_capability())

WIDTHS = [1, 17, 781, 1000, 4096, 8192, 16384]
ROWS = [3, 1823]
SHAPES = [(rows, n) for n in WIDTHS for rows in ROWS]  # (rows, row width)


# --- the wrappers' launch logic, as their Python code computes it ------------------------------------------------

def softmax_wrapper_settings(n_cols):
    """02-fused-softmax.py's ``softmax(x)``, on a GPU with more than 200 KB of shared memory (H100/H200)."""
    size_smem = 232448  # sm_90's max_shared_mem
    return {"BLOCK_SIZE": triton.next_power_of_2(n_cols), "num_warps": 8,
            "num_stages": 4 if size_smem > 200000 else 2}


def layer_norm_wrapper_settings(n, element_size=2):
    """05-layer-norm.py's ``LayerNorm.forward``, for fp16 ``x``."""
    max_fused_size = 65536 // element_size
    block_size = min(max_fused_size, triton.next_power_of_2(n))
    if n > block_size:
        raise RuntimeError("This layer norm doesn't support feature dim >= 64KB.")
    return {"BLOCK_SIZE": block_size, "num_warps": min(max(block_size // 256, 1), 8)}


def calculate_settings(n):
    """Liger-Kernel's ``calculate_settings`` (its CUDA branch), as plain Python: (BLOCK_SIZE, num_warps)."""
    max_fused_size = 65536
    block_size = triton.next_power_of_2(n)
    if block_size > max_fused_size:
        raise RuntimeError(f"Cannot launch Triton kernel since n = {n} exceeds the recommended Triton blocksize = "
                           f"{max_fused_size}.")
    num_warps = 4
    if block_size >= 32768:
        num_warps = 32
    elif block_size >= 8192:
        num_warps = 16
    elif block_size >= 2048:
        num_warps = 8
    return block_size, num_warps


def test_the_references_are_the_wrappers_formulas():
    """Spot values of the formulas above (so a slip in them cannot hide a wrong launch)."""
    assert [calculate_settings(n) for n in (1, 1000, 2048, 5000, 8192, 20000, 32768, 65536)] == [
        (1, 4), (1024, 4), (2048, 8), (8192, 16), (8192, 16), (32768, 32), (32768, 32), (65536, 32)]
    with pytest.raises(RuntimeError):
        calculate_settings(65537)
    assert [layer_norm_wrapper_settings(n) for n in (1, 300, 781, 2048, 32768)] == [
        {"BLOCK_SIZE": 1, "num_warps": 1}, {"BLOCK_SIZE": 512, "num_warps": 2}, {"BLOCK_SIZE": 1024, "num_warps": 4},
        {"BLOCK_SIZE": 2048, "num_warps": 8}, {"BLOCK_SIZE": 32768, "num_warps": 8}]
    with pytest.raises(RuntimeError):
        layer_norm_wrapper_settings(32769)
    assert softmax_wrapper_settings(781) == {"BLOCK_SIZE": 1024, "num_warps": 8, "num_stages": 4}


# --- what ran ------------------------------------------------------------------------------------------------------

def launched_point(runner):
    """The compiled point of the runner's last launch: ``{NAME: value}`` from its description
    ("BLOCK_SIZE=1024, num_warps=8, generic (no hints)"), and the description itself."""
    launch = runner.launched()
    assert isinstance(launch.variant, int), launch.variant
    values = {}
    for part in launch.description.split(", "):
        name, sep, value = part.strip().partition("=")
        if sep and name.isidentifier() and value.lstrip("-").isdigit():
            values[name] = int(value)
    return values, launch.description


def assert_launched(runner, expected):
    values, description = launched_point(runner)
    assert {name: values.get(name) for name in expected} == expected, description


# --- builds ----------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def softmax(tmp_path_factory):
    with build_published(tmp_path_factory, "softmax", ARCH, "--exact-variants") as runner:
        yield runner


@pytest.fixture(scope="module")
def layernorm(tmp_path_factory):
    with build_published(tmp_path_factory, "layernorm", ARCH, "--exact-variants") as runner:
        yield runner


# --- the tutorial's fused softmax ------------------------------------------------------------------------------------

@published
@pytest.mark.parametrize("rows,n_cols", SHAPES)
def test_softmax_launches_as_its_wrapper(softmax, rows, n_cols):
    x = torch.randn(rows, n_cols, device="cuda", dtype=torch.float32)
    y, = softmax.run("softmax_kernelPlugin", {}, [x])
    torch.cuda.synchronize()
    torch.testing.assert_close(y, torch.softmax(x, -1))
    assert_launched(softmax, softmax_wrapper_settings(n_cols))


@published
def test_softmax_refuses_a_row_wider_than_its_domain(softmax):
    x = torch.randn(2, 16384, device="cuda")
    softmax.run("softmax_kernelPlugin", {}, [x])
    torch.cuda.synchronize()
    before = softmax.launched().description
    with pytest.raises(PluginError, match=r"constraint 'n_cols <= 16384' does not hold"):
        softmax.run("softmax_kernelPlugin", {}, [torch.randn(2, 16385, device="cuda")])
    assert softmax.launched().description == before  # nothing was launched


# --- the tutorial's layer norm ---------------------------------------------------------------------------------------

@published
@pytest.mark.parametrize("rows,n", SHAPES + [(3, 32768)])  # and the widest block the wrapper launches
def test_layer_norm_launches_as_its_wrapper(layernorm, rows, n):
    x = -2.3 + 0.5 * torch.randn(rows, n, device="cuda", dtype=torch.float16)
    w = torch.rand(n, device="cuda", dtype=torch.float16)
    b = torch.rand(n, device="cuda", dtype=torch.float16)
    y, mean, rstd = layernorm.run("_layer_norm_fwd_fusedPlugin", {"eps": 1e-5}, [x, w, b])
    torch.cuda.synchronize()
    xf = x.float()
    want = torch.nn.functional.layer_norm(xf, (n,), w.float(), b.float(), 1e-5)
    torch.testing.assert_close(y.float(), want, atol=1e-2, rtol=1e-2)
    torch.testing.assert_close(mean, xf.mean(-1), atol=1e-3, rtol=1e-3)
    torch.testing.assert_close(rstd, torch.rsqrt(xf.var(-1, unbiased=False) + 1e-5), atol=1e-3, rtol=1e-3)
    assert_launched(layernorm, layer_norm_wrapper_settings(n))


@published
def test_layer_norm_refuses_what_its_wrapper_refuses(layernorm):
    with pytest.raises(RuntimeError, match="doesn't support feature dim"):
        layer_norm_wrapper_settings(32769)
    x = torch.randn(2, 32769, device="cuda", dtype=torch.float16)
    w = torch.ones(32769, device="cuda", dtype=torch.float16)
    with pytest.raises(PluginError, match=r"constraint 'N <= (32768|BLOCK_SIZE)' does not hold"):
        layernorm.run("_layer_norm_fwd_fusedPlugin", {"eps": 1e-5}, [x, w, w])


# --- a Liger-Kernel-style row kernel: calculate_settings ------------------------------------------------------------

@pytest.mark.parametrize("rows,n_cols", SHAPES + [(3, 32768), (3, 65536)])  # and 32 warps, the widest block
def test_liger_row_kernel_launches_as_calculate_settings(runner, rows, n_cols):
    x = torch.randn(rows, n_cols, device="cuda", dtype=torch.float16)
    w = torch.rand(n_cols, device="cuda", dtype=torch.float16) + 0.5
    y, rstd = runner(LIGER).run("rms_norm_rows_kernelPlugin", {"eps": 1e-6}, [x, w])
    torch.cuda.synchronize()
    xf = x.float()
    want_rstd = torch.rsqrt((xf * xf).mean(-1) + 1e-6)
    torch.testing.assert_close(rstd, want_rstd, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(y, (xf * want_rstd[:, None] * w.float()).half(), atol=1e-2, rtol=1e-2)
    block_size, num_warps = calculate_settings(n_cols)
    assert_launched(runner(LIGER), {"BLOCK_SIZE": block_size, "num_warps": num_warps})


def test_liger_row_kernel_refuses_what_calculate_settings_refuses(runner):
    with pytest.raises(RuntimeError, match="exceeds the recommended Triton blocksize"):
        calculate_settings(65537)
    x = torch.randn(2, 65537, device="cuda", dtype=torch.float16)
    w = torch.ones(65537, device="cuda", dtype=torch.float16)
    with pytest.raises(PluginError, match=r"constraint 'n_cols <= 65536' does not hold"):
        runner(LIGER).run("rms_norm_rows_kernelPlugin", {"eps": 1e-6}, [x, w])
