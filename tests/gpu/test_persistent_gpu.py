"""GPU: a persistent kernel whose grid reads ``num_sms`` (the device's SM count, asked of the driver at launch):
min(SMs, tiles) programs launched, every element written."""
import pytest

torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    pytest.skip("no CUDA GPU", allow_module_level=True)

from conftest import TEST_KERNELS  # noqa: E402

pytestmark = pytest.mark.gpu
CONFIG = TEST_KERNELS / "persistent_config.py"


@pytest.mark.parametrize("n", [1, 1000, 1024 * 131 + 5, 1024 * 1000 + 7, (1 << 24) + 3])
def test_the_grid_is_the_devices_sm_count(runner, n):
    x = torch.randn(n, device="cuda")
    out, programs = runner(CONFIG).run("persistent_scale_kernelPlugin", {}, [x])
    torch.cuda.synchronize()
    sms = torch.cuda.get_device_properties(torch.cuda.current_device()).multi_processor_count
    assert programs.item() == min(sms, -(-n // 1024))
    assert torch.equal(out, x * 3)
