"""GPU: every shipped plugin run through its own enqueue (plugingen.testing.PluginRunner) against a torch reference.

Skipped without torch + CUDA. Run on the GPU machine (see docs/VERIFICATION.md)."""
import math
import shutil

import pytest

torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    pytest.skip("no CUDA GPU", allow_module_level=True)

from conftest import EXAMPLES, TEST_KERNELS  # noqa: E402
import numpy as np  # noqa: E402

from plugingen.host import DataType, HostError, PluginFieldType  # noqa: E402
from plugingen.testing import PluginError, PluginRunner  # noqa: E402

pytestmark = pytest.mark.gpu


def fresh_runner(build_plugin, config, tmp_path):
    """A runner on a private copy of the library: its module cache starts empty, so load messages are predictable."""
    copy = tmp_path / f"{config.stem}_copy.so"
    shutil.copy(build_plugin(config) / "libtriton_plugins.so", copy)
    return PluginRunner(copy)


def run(runner, config, plugin, fields, inputs):
    outputs = runner(config).run(plugin, fields, inputs)
    torch.cuda.synchronize()
    return outputs


VECTOR_ADD = EXAMPLES / "vector_add" / "kernel_config.py"
FMHA = EXAMPLES / "fmha" / "kernel_config.py"


@pytest.mark.parametrize("n", [1, 15, 16, 1000, 1024, 4097, 1 << 20, (1 << 20) + 3])
def test_vector_add(runner, n):
    x = torch.randn(n, device="cuda", dtype=torch.float16)
    y = torch.randn(n, device="cuda", dtype=torch.float16)
    out, = run(runner, VECTOR_ADD, "vector_add_kernelPlugin", {}, [x, y])
    assert out.dtype == torch.float16 and out.shape == (n,)
    torch.testing.assert_close(out, x + y, rtol=0, atol=0)


@pytest.mark.parametrize("n", [1, 7, 1024, 100003])
def test_scale_shift_fp32_params_keep_their_value(runner, n):
    x = torch.randn(n, device="cuda", dtype=torch.float32)
    out, = run(runner, TEST_KERNELS / "scale_shift_config.py", "scale_shift_kernelPlugin",
               {"alpha": 2.5, "beta": -0.75}, [x])
    torch.testing.assert_close(out, x * 2.5 - 0.75)


@pytest.mark.parametrize("rows,cols", [(1, 1), (3, 17), (64, 1024), (5, 1500), (128, 4099)])
def test_row_softmax_two_outputs_of_different_dtype_and_rank(runner, rows, cols):
    x = torch.randn(rows, cols, device="cuda", dtype=torch.float16) * 4
    y, rowmax = run(runner, TEST_KERNELS / "row_softmax_config.py", "row_softmax_kernelPlugin", {}, [x])
    assert y.dtype == torch.float16 and y.shape == (rows, cols)
    assert rowmax.dtype == torch.float32 and rowmax.shape == (rows,)
    torch.testing.assert_close(y, torch.softmax(x.float(), -1).half(), atol=2e-3, rtol=1e-2)
    torch.testing.assert_close(rowmax, x.float().amax(-1), rtol=0, atol=0)


@pytest.mark.parametrize("rows,cols", [(1, 1), (7, 33), (32, 512), (3, 4096)])
def test_gelu_bf16(runner, rows, cols):
    x = torch.randn(rows, cols, device="cuda", dtype=torch.bfloat16)
    y, = run(runner, TEST_KERNELS / "gelu_bf16_config.py", "gelu_bf16_kernelPlugin", {}, [x])
    assert y.dtype == torch.bfloat16
    torch.testing.assert_close(y, torch.nn.functional.gelu(x.float(), approximate="tanh").bfloat16(),
                               atol=1e-2, rtol=1.6e-2)


@pytest.mark.parametrize("offset", [0, 2**33 + 5, -(2**40), 2**62])
@pytest.mark.parametrize("n", [1, 999, 4096])
def test_fill_index_i64_param_above_2_32(runner, offset, n):
    x = torch.randint(-1000, 1000, (n,), device="cuda", dtype=torch.int32)
    out, = run(runner, TEST_KERNELS / "fill_index_config.py", "fill_index_kernelPlugin", {"offset": offset}, [x])
    assert out.dtype == torch.int64
    expected = offset + torch.arange(n, device="cuda", dtype=torch.int64) + x.long()
    assert torch.equal(out, expected)


@pytest.mark.parametrize("n", [1, 255, 256, 5000])
def test_two_kernels_in_one_library(runner, n):
    config = TEST_KERNELS / "two_kernels_config.py"
    x = torch.randn(n, device="cuda")
    y = torch.randn(n, device="cuda")
    added, = runner(config).run("add_kernelPlugin", {}, [x, y], version="1")
    multiplied, = runner(config).run("mul_kernelPlugin", {}, [x, y], version="2")
    torch.cuda.synchronize()
    torch.testing.assert_close(added, x + y)
    torch.testing.assert_close(multiplied, x * y)


@pytest.mark.parametrize("shape", [(1, 1, 1), (2, 3, 64), (4, 7, 1000), (1, 2, 3000)])
def test_layernorm(runner, shape):
    x = torch.randn(shape, device="cuda", dtype=torch.float16)
    w = torch.randn(shape[-1], device="cuda")
    b = torch.randn(shape[-1], device="cuda")
    y, = run(runner, TEST_KERNELS / "layernorm_config.py", "layernorm_kernelPlugin",
             {"eps": 1e-5, "rows_per_program": 3}, [x, w, b])
    expected = torch.nn.functional.layer_norm(x.float(), (shape[-1],), w, b, 1e-5).half()
    torch.testing.assert_close(y, expected, atol=1e-2, rtol=1e-2)


def fmha_reference(q, k, v, scale):
    s = scale * (q.float() @ k.float().transpose(-1, -2))
    m = s.amax(-1)
    l = torch.exp(s - m[..., None]).sum(-1)
    return (torch.softmax(s, -1) @ v.float()).half(), l, m


@pytest.mark.parametrize("seq_len", [1, 100, 128, 1000])
@pytest.mark.parametrize("batch,heads", [(1, 1), (2, 3)])
def test_fmha_matches_softmax_qkt_v(runner, seq_len, batch, heads):
    shape = (batch, heads, seq_len, 64)
    q, k, v = (torch.randn(shape, device="cuda", dtype=torch.float16) for _ in range(3))
    scale = 1 / math.sqrt(64)
    out, l, m = run(runner, FMHA, "fused_attention_kernelPlugin", {"sm_scale": scale, "num_heads": heads}, [q, k, v])
    ref_out, ref_l, ref_m = fmha_reference(q, k, v, scale)
    assert out.shape == shape and l.shape == m.shape == shape[:3]
    torch.testing.assert_close(out, ref_out, atol=1e-2, rtol=1e-2)
    torch.testing.assert_close(m, ref_m, atol=1e-3, rtol=1e-3)
    torch.testing.assert_close(l, ref_l, atol=1e-3, rtol=1e-3)


def test_fmha_sdpa_agrees(runner):
    q, k, v = (torch.randn(2, 4, 333, 64, device="cuda", dtype=torch.float16) for _ in range(3))
    out, _, _ = run(runner, FMHA, "fused_attention_kernelPlugin", {"sm_scale": 0.125, "num_heads": 4}, [q, k, v])
    torch.testing.assert_close(out, torch.nn.functional.scaled_dot_product_attention(q, k, v, scale=0.125),
                               atol=1e-2, rtol=1e-2)


def test_aligned_inputs_take_the_specialised_variant_and_misaligned_the_generic(build_plugin, tmp_path):
    with fresh_runner(build_plugin, VECTOR_ADD, tmp_path) as r:
        r.host.clear_log()  # the host's log is process-wide
        x = torch.randn(4096 + 8, device="cuda", dtype=torch.float16)
        y = torch.randn(4096 + 8, device="cuda", dtype=torch.float16)
        out, = r.run("vector_add_kernelPlugin", {}, [x[:4096], y[:4096]])
        torch.cuda.synchronize()
        torch.testing.assert_close(out, x[:4096] + y[:4096], rtol=0, atol=0)
        loads = [m for m in r.log() if "loaded variant" in m]
        assert len(loads) == 1 and "loaded variant 0 (x % 16 == 0" in loads[0]
        misaligned_x, misaligned_y = x[1:4097], y[1:4097]  # 2-byte offset: not 16-byte aligned
        out, = r.run("vector_add_kernelPlugin", {}, [misaligned_x, misaligned_y])
        torch.cuda.synchronize()
        torch.testing.assert_close(out, misaligned_x + misaligned_y, rtol=0, atol=0)
        loads = [m for m in r.log() if "loaded variant" in m]
        # variants: all '16', n == 1 and pointers aligned (both automatic), generic
        assert len(loads) == 2 and "loaded variant 3 (generic (no hints))" in loads[1]


def test_only_specialised_variants_reject_misaligned_input_loudly(runner):
    config = TEST_KERNELS / "aligned_only_config.py"
    buf = torch.randn(1024 + 4, device="cuda")
    out, = runner(config).run("aligned_copy_kernelPlugin", {}, [buf[:1024]])
    torch.cuda.synchronize()
    assert torch.equal(out, buf[:1024])
    with pytest.raises(PluginError, match="no compiled variant of aligned_copy_kernel accepts these arguments"):
        runner(config).run("aligned_copy_kernelPlugin", {}, [buf[1:1025]])
    with pytest.raises(PluginError, match="n = 1000"):
        runner(config).run("aligned_copy_kernelPlugin", {}, [buf[:1000]])


def test_empty_input_launches_nothing(runner):
    x = torch.empty(0, device="cuda", dtype=torch.float16)
    out, = run(runner, VECTOR_ADD, "vector_add_kernelPlugin", {}, [x, x])
    assert out.shape == (0,)


def test_equal_to_one_hint_folds_the_parameter(build_plugin, tmp_path):
    config = TEST_KERNELS / "strided_gather_config.py"
    with fresh_runner(build_plugin, config, tmp_path) as r:
        r.host.clear_log()
        x = torch.randn(3001, device="cuda")
        index = torch.arange(3001, device="cuda")
        # n = 3001 is odd: the JIT's facts are aligned pointers, and stride == 1 compiled in (automatic variants)
        for stride, variant in ((1, "(x % 16 == 0, out % 16 == 0, stride == 1) from"),
                                (7, "(x % 16 == 0, out % 16 == 0) from")):
            out, = r.run("strided_gather_kernelPlugin", {"stride": stride}, [x])
            torch.cuda.synchronize()
            assert torch.equal(out, x[(index * stride) % 3001])
            assert any(variant in m for m in r.log()), r.log()


@pytest.mark.parametrize("m,n", [(1, 16), (100, 4096), (130, 48)])
def test_tma_kernel_gets_global_scratch_from_the_workspace(runner, m, n):
    x = torch.randn(m, n, device="cuda")
    out, = run(runner, TEST_KERNELS / "tma_scale_config.py", "tma_scale_kernelPlugin", {"alpha": 2.5}, [x])
    torch.testing.assert_close(out, x * 2.5)


def test_global_scratch_without_a_workspace_is_a_clear_error(runner):
    plugin = runner(TEST_KERNELS / "tma_scale_config.py").host.create(
        "tma_scale_kernelPlugin", {"alpha": (PluginFieldType.FLOAT32, np.array([2.0], np.float32))})
    x = torch.randn(64, 64, device="cuda")
    out = torch.empty_like(x)
    with pytest.raises(HostError, match="bytes of workspace per program for Triton's global scratch"):
        plugin.enqueue([(DataType.FLOAT, (64, 64), x.data_ptr())], [(DataType.FLOAT, (64, 64), out.data_ptr())],
                       stream=torch.cuda.current_stream().cuda_stream)
    plugin.close()
