"""GPU: published kernels built as they are — the Triton tutorials' matmul (autotuned: every tactic), fused softmax,
layer norm, TMA fused attention and persistent warp-specialised TMA matmul (host tensor descriptors), and
TensorRT-LLM's PluginGen FMHA with its own kernel_config.py — against torch, odd sizes too.

The kernels come from $PLUGINGEN_PUBLISHED (see tests/published/README.md; skipped without it). Each is built in
a subprocess with CUDA_VISIBLE_DEVICES="" — the build sees no GPU, as on a build machine — then run on the GPU."""
import os
import shutil
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    pytest.skip("no CUDA GPU", allow_module_level=True)
PUBLISHED = os.environ.get("PLUGINGEN_PUBLISHED")
if not PUBLISHED:
    pytest.skip("PLUGINGEN_PUBLISHED (a folder with the published kernels) is not set", allow_module_level=True)

from conftest import build_isolated, build_published  # noqa: E402
from plugingen.testing import PluginError, PluginRunner  # noqa: E402

pytestmark = pytest.mark.gpu
ARCH = "{}{}".format(*torch.cuda.get_device_capability())


def tutorial(tmp_path_factory, name: str) -> PluginRunner:
    return build_published(tmp_path_factory, name, ARCH)


@pytest.fixture(scope="module")
def matmul(tmp_path_factory):
    with tutorial(tmp_path_factory, "matmul") as runner:
        yield runner


@pytest.fixture(scope="module")
def softmax(tmp_path_factory):
    with tutorial(tmp_path_factory, "softmax") as runner:
        yield runner


@pytest.fixture(scope="module")
def layernorm(tmp_path_factory):
    with tutorial(tmp_path_factory, "layernorm") as runner:
        yield runner


@pytest.fixture(scope="module")
def fused_attention(tmp_path_factory):
    with tutorial(tmp_path_factory, "fused_attention") as runner:
        yield runner


@pytest.fixture(scope="module")
def persistent_matmul(tmp_path_factory):
    with tutorial(tmp_path_factory, "persistent_matmul") as runner:
        yield runner


@pytest.fixture(scope="module")
def fmha(tmp_path_factory):
    """TensorRT-LLM's examples layout: plugin_autogen/kernel_config.py reads ../manual_plugin/fmha_triton.py."""
    root = tmp_path_factory.mktemp("trtllm")
    (root / "plugin_autogen").mkdir()
    (root / "manual_plugin").mkdir()
    shutil.copy(Path(PUBLISHED) / "trtllm_fmha" / "kernel_config.py", root / "plugin_autogen" / "kernel_config.py")
    shutil.copy(Path(PUBLISHED) / "trtllm_fmha" / "fmha_triton.py", root / "manual_plugin" / "fmha_triton.py")
    with build_isolated(root / "plugin_autogen" / "kernel_config.py", root / "ws", ARCH) as runner:
        yield runner


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (512, 512, 512), (1000, 1024, 1000), (777, 513, 1031), (31, 4096, 7)])
def test_tutorial_matmul_every_tactic(matmul, m, k, n):
    a = torch.randn(m, k, device="cuda", dtype=torch.float16) / 16
    b = torch.randn(k, n, device="cuda", dtype=torch.float16) / 16
    tactics = matmul.tactics("matmul_kernelPlugin", {}, [a, b])
    # the tutorial's 16 CUDA configs, less those whose images need more shared memory than this GPU has
    assert tactics and set(tactics) <= set(range(1, 17)), tactics
    c = a.float() @ b.float()
    want = torch.where(c >= 0, c, 0.01 * c)
    for tactic in tactics:
        out, = matmul.run("matmul_kernelPlugin", {}, [a, b], tactic=tactic)
        torch.cuda.synchronize()
        torch.testing.assert_close(out.float(), want, atol=1e-2, rtol=1e-2, msg=f"tactic {tactic}")


@pytest.mark.parametrize("rows,cols", [(1, 1), (1823, 781), (3173, 64), (5, 1024), (4096, 999)])
def test_tutorial_softmax(softmax, rows, cols):
    x = torch.randn(rows, cols, device="cuda", dtype=torch.float32)
    y, = softmax.run("softmax_kernelPlugin", {}, [x])
    torch.cuda.synchronize()
    torch.testing.assert_close(y, torch.softmax(x, -1))


@pytest.mark.parametrize("rows,cols", [(1, 1), (3, 1), (65, 5000), (1151, 8192), (7, 1023)])
def test_tutorial_layer_norm(layernorm, rows, cols):
    x = torch.randn(rows, cols, device="cuda", dtype=torch.float16)
    w = torch.rand(cols, device="cuda", dtype=torch.float16)
    b = torch.rand(cols, device="cuda", dtype=torch.float16)
    y, mean, rstd = layernorm.run("_layer_norm_fwd_fusedPlugin", {"eps": 1e-5}, [x, w, b])
    torch.cuda.synchronize()
    want = torch.nn.functional.layer_norm(x.float(), (cols,), w.float(), b.float(), 1e-5)
    torch.testing.assert_close(y.float(), want, atol=1e-2, rtol=1e-2)
    torch.testing.assert_close(mean, x.float().mean(-1), atol=1e-3, rtol=1e-3)


@pytest.mark.parametrize("batch,heads,seq", [(1, 1, 128), (2, 4, 256), (3, 2, 384)])
def test_trtllm_fmha_config_unchanged(fmha, batch, heads, seq):
    q, k, v = (torch.randn(batch, heads, seq, 64, device="cuda", dtype=torch.float16) for _ in range(3))
    out, _, _ = fmha.run("fused_attention_kernelPlugin", {"sm_scale": 0.125, "num_heads": heads}, [q, k, v],
                         version="0")
    torch.cuda.synchronize()
    scores = (q.float() @ k.float().transpose(-1, -2)) * 0.125
    causal = torch.ones(seq, seq, device="cuda", dtype=torch.bool).tril()  # TensorRT-LLM's kernel is causal
    p = torch.softmax(scores.masked_fill(~causal, float("-inf")), -1)
    torch.testing.assert_close(out.float(), p @ v.float(), atol=2e-2, rtol=2e-2)


needs_tma = pytest.mark.skipif(torch.cuda.get_device_capability()[0] < 9, reason="TMA tutorials: sm_90 and newer")


@needs_tma
@pytest.mark.parametrize("z,h,n", [(1, 1, 128), (2, 3, 384), (1, 2, 1024)])
def test_tutorial_tma_fused_attention(fused_attention, z, h, n):
    """Host TMA descriptors: the tutorial wrapper's path on Hopper without warp specialisation (with it, Triton 3.6's
    own JIT fails in its NVGPUWarpSpecialization pass for this kernel on sm_90, and so does its AOT)."""
    q, k, v = (torch.randn(z, h, n, 64, device="cuda", dtype=torch.float16) for _ in range(3))
    scores = (q.float() @ k.float().transpose(-1, -2)) * 0.125
    causal = torch.ones(n, n, device="cuda", dtype=torch.bool).tril()
    scores = scores.masked_fill(~causal, float("-inf"))
    for tactic in (1, 2):
        m, o = fused_attention.run("_attn_fwdPlugin", {"sm_scale": 0.125}, [q, k, v], tactic=tactic)
        torch.cuda.synchronize()
        torch.testing.assert_close(o.float(), torch.softmax(scores, -1) @ v.float(), atol=2e-2, rtol=2e-2)
        # M: the row's log-sum-exp in base 2 (the kernel scales by 1/ln 2)
        torch.testing.assert_close(m, torch.logsumexp(scores, -1) * 1.4426950408889634, atol=1e-3, rtol=1e-3)


@needs_tma
def test_tutorial_tma_fused_attention_refuses_a_partial_block(fused_attention):
    q = torch.randn(1, 1, 200, 64, device="cuda", dtype=torch.float16)
    with pytest.raises(PluginError, match=r"constraint 'N_CTX % BLOCK_M == 0' does not hold"):
        fused_attention.run("_attn_fwdPlugin", {"sm_scale": 0.125}, [q, q, q])


@needs_tma
@pytest.mark.parametrize("m,n,k", [(1, 8, 8), (777, 1032, 520), (1000, 4096, 4096), (129, 264, 1000)])
def test_tutorial_persistent_warp_specialised_tma_matmul(persistent_matmul, m, n, k):
    a = torch.randn(m, k, device="cuda", dtype=torch.float16) / 16
    b = torch.randn(n, k, device="cuda", dtype=torch.float16) / 16  # N x K, as the tutorial passes b
    want = a.float() @ b.float().T
    for tactic in (1, 2):
        c, = persistent_matmul.run("matmul_kernel_tma_persistentPlugin", {}, [a, b], tactic=tactic)
        torch.cuda.synchronize()
        torch.testing.assert_close(c.float(), want, atol=1e-2, rtol=1e-2, msg=f"tactic {tactic}")
