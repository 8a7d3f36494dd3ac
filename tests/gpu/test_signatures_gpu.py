"""GPU: one plugin serving several dtype signatures, in-place (aliased) outputs, and fp8 tensors, each run through the
plugin's own enqueue (PluginRunner) against a torch reference, at odd sizes.

Skipped without torch + CUDA. Run on the GPU machine (see docs/VERIFICATION.md)."""
import pytest

torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    pytest.skip("no CUDA GPU", allow_module_level=True)

from conftest import TEST_KERNELS  # noqa: E402

from plugingen.testing import PluginError  # noqa: E402

pytestmark = pytest.mark.gpu

TYPED = TEST_KERNELS / "typed_ops_config.py"
INPLACE = TEST_KERNELS / "inplace_ops_config.py"
FP8 = TEST_KERNELS / "fp8_cast_config.py"
FLOATS = [torch.float16, torch.bfloat16, torch.float32]
TOLERANCE = {torch.float16: 1e-3, torch.bfloat16: 1e-2, torch.float32: 1e-6}


def run(runner, config, plugin, fields, inputs):
    outputs = runner(config).run(plugin, fields, inputs)
    torch.cuda.synchronize()
    return outputs


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("n, offset", [(1, 0), (1000, 0), (4097, 0), (1 << 20, 0), (999, 1)])
def test_axpby_every_signature(runner, dtype, n, offset):
    """alpha and beta reach the kernel in the tensors' type (fp16/bf16 rounded by the plugin, as the kernel
    computes); offset 1 misaligns the pointers (the generic variant)."""
    x = torch.randn(n + offset, device="cuda", dtype=dtype)[offset:]
    y = torch.randn(n + offset, device="cuda", dtype=dtype)[offset:]
    alpha, beta = 1.7, -0.3
    out, = run(runner, TYPED, "axpby_kernelPlugin", {"alpha": alpha, "beta": beta}, [x, y])
    assert out.dtype == dtype and out.shape == (n,)
    a, b = torch.tensor(alpha, dtype=dtype), torch.tensor(beta, dtype=dtype)  # the kernel's scalars
    expected = (a.cuda() * x + b.cuda() * y)
    torch.testing.assert_close(out.float(), expected.float(), rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("rows, cols", [(1, 1), (3, 777), (65, 5000), (7, 512)])
def test_row_rms_every_signature_with_fp32_side_output(runner, dtype, rows, cols):
    x = torch.randn(rows, cols, device="cuda", dtype=dtype)
    eps = 2.0 ** -10
    y, rms = run(runner, TYPED, "row_rms_kernelPlugin", {"eps": eps}, [x])
    assert (y.dtype, rms.dtype, y.shape, rms.shape) == (dtype, torch.float32, (rows, cols), (rows,))
    expected_rms = torch.sqrt(x.float().pow(2).mean(-1) + eps)
    torch.testing.assert_close(rms, expected_rms, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(y.float(), (x.float() / expected_rms[:, None]).to(dtype).float(),
                               rtol=TOLERANCE[dtype] * 4, atol=TOLERANCE[dtype] * 4)


def test_inputs_of_no_signature_are_refused(runner):
    x = torch.randn(16, device="cuda", dtype=torch.float16)
    y = torch.randn(16, device="cuda", dtype=torch.float32)
    with pytest.raises(PluginError, match=r"no signature of this plugin takes inputs of types \(kHALF, kFLOAT\)"):
        run(runner, TYPED, "axpby_kernelPlugin", {"alpha": 1.0, "beta": 1.0}, [x, y])


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32], ids=str)
@pytest.mark.parametrize("n", [1, 1000, 4097])
def test_accumulate_updates_its_input_in_place(runner, dtype, n):
    acc = torch.randn(n, device="cuda", dtype=dtype)
    before, x = acc.clone(), torch.randn(n, device="cuda", dtype=dtype)
    out, = run(runner, INPLACE, "accumulate_kernelPlugin", {"alpha": 0.5}, [acc, x])
    assert out is acc  # the aliased output is the input itself: no copy, no new buffer
    expected = (before.float() + 0.5 * x.float()).to(dtype)
    torch.testing.assert_close(acc, expected, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])


def test_cache_write_changes_one_row_only(runner):
    cache = torch.randn(3, 9, 300, device="cuda", dtype=torch.float16)
    before, new = cache.clone(), torch.randn(3, 300, device="cuda", dtype=torch.float16)
    out, = run(runner, INPLACE, "cache_write_kernelPlugin", {"pos": 4}, [cache, new])
    assert out is cache
    before[:, 4] = new
    torch.testing.assert_close(cache, before, rtol=0, atol=0)


@pytest.mark.parametrize("shape", [(1,), (1000,), (3, 5, 7), (4099,)])
def test_scale_updates_its_one_pointer_in_place(runner, shape):
    """x_out is not a kernel parameter: the kernel writes through x, which is x_out's buffer."""
    x = torch.randn(shape, device="cuda")
    before = x.clone()
    out, = run(runner, INPLACE, "scale_kernelPlugin", {"alpha": 3.0}, [x])
    assert out is x
    torch.testing.assert_close(x, before * 3.0)


def test_cache_write_refuses_a_position_past_the_cache(runner):
    """The constraint fails for every shape of the (one-shape) profile: configurePlugin refuses, nothing runs."""
    cache = torch.zeros(2, 5, 64, device="cuda", dtype=torch.float16)
    with pytest.raises(PluginError, match=r"constraint 'pos < seq' holds for no shape of this optimization profile"):
        run(runner, INPLACE, "cache_write_kernelPlugin", {"pos": 5}, [cache, torch.zeros(2, 64, device="cuda",
                                                                                          dtype=torch.float16)])
    assert not cache.any()


@pytest.mark.parametrize("plugin, fields, inputs, expected", [
    ("accumulate_kernelPlugin", {"alpha": 2.0}, 2, lambda acc, x: acc + 2.0 * x),
    ("scale_kernelPlugin", {"alpha": 3.0}, 1, lambda x: 3.0 * x),
], ids=["accumulate", "scale"])
def test_an_output_buffer_that_is_not_the_input_starts_as_its_copy(runner, plugin, fields, inputs, expected):
    """A TensorRT that ignores the aliasing (10.0-10.2) hands a separate output buffer: the plugin copies the input
    there and the kernel updates that copy, so the output holds the result and the input is left as it was."""
    from plugingen.host import DataType, PluginFieldType, TensorRTPhase
    r = runner(INPLACE)
    tensors = [torch.randn(1000, device="cuda") for _ in range(inputs)]
    before = [t.clone() for t in tensors]
    separate = torch.full((1000,), float("nan"), device="cuda")
    p = r.host.create(plugin, {k: (PluginFieldType.FLOAT32, v) for k, v in fields.items()},
                      phase=TensorRTPhase.RUNTIME)
    try:
        p.configure([DataType.FLOAT] * inputs, [(1000,)] * inputs, [DataType.FLOAT], [(1000,)])
        p.enqueue([(DataType.FLOAT, (1000,), t.data_ptr()) for t in tensors],
                  [(DataType.FLOAT, (1000,), separate.data_ptr())], stream=torch.cuda.current_stream().cuda_stream)
        torch.cuda.synchronize()
    finally:
        p.close()
    torch.testing.assert_close(separate, expected(*before))
    assert all(torch.equal(t, b) for t, b in zip(tensors, before))


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32], ids=str)
@pytest.mark.parametrize("n", [1, 1000, 4097, (1 << 16) + 5])
def test_fp8_round_trip(runner, dtype, n):
    x = torch.randn(n, device="cuda", dtype=dtype) * 3
    scale = 4.0
    q, = run(runner, FP8, "fp8_quantize_kernelPlugin", {"scale": scale}, [x])
    assert q.dtype == torch.float8_e4m3fn and q.shape == (n,)
    expected = (x.float() * scale).to(torch.float8_e4m3fn)
    assert torch.equal(q.view(torch.uint8), expected.view(torch.uint8))
    if dtype == torch.float16:  # the dequantiser's one signature
        y, = run(runner, FP8, "fp8_dequantize_kernelPlugin", {"scale": scale}, [q.view(1, n)])
        assert y.dtype == torch.float16 and y.shape == (1, n)
        torch.testing.assert_close(y.view(n).float(), (q.float() / scale).half().float(), rtol=0, atol=0)
        torch.testing.assert_close(y.view(n).float(), x.float(), rtol=0.07, atol=0.02)  # e4m3: 3 mantissa bits
