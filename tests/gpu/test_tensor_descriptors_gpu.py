"""GPU: kernels that take host tensor descriptors, through the plugin: TMA descriptors the plugin encodes per launch
(sm_90 images), the same kernel's portable PTX taking them decomposed, the block shapes of a config's pre_hook (one
per tactic), odd sizes (TMA clips the edges), and the stride rule refused before any launch."""
import pytest

torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    pytest.skip("no CUDA GPU", allow_module_level=True)

from conftest import TEST_KERNELS  # noqa: E402
from plugingen.testing import PluginError  # noqa: E402

pytestmark = pytest.mark.gpu
TMA = TEST_KERNELS / "tensor_descriptors_config.py"
PORTABLE = TEST_KERNELS / "tensor_descriptors_portable_config.py"
SHAPES = [(1, 1, 8), (3, 37, 24), (2, 130, 200), (1, 64, 64), (7, 3, 1000)]


@pytest.mark.parametrize("config", [TMA, PORTABLE], ids=["tma", "decomposed"])
@pytest.mark.parametrize("shape", SHAPES)
def test_a_descriptor_over_a_tensor_with_flattened_leading_dims(runner, config, shape):
    x = torch.randn(shape, device="cuda", dtype=torch.float16)
    y, = runner(config).run("desc_scale_kernelPlugin", {"alpha": 1.5}, [x])
    torch.cuda.synchronize()
    assert torch.equal(y, (x.float() * 1.5).half())


@pytest.mark.parametrize("m,n", [(1, 4), (77, 36), (300, 1000), (64, 128)])
def test_every_tactic_gets_the_block_shapes_of_its_pre_hook(runner, m, n):
    a = torch.randn(m, n, device="cuda")
    b = torch.randn(m, n, device="cuda")
    tactics = runner(TMA).tactics("desc_add_kernelPlugin", {}, [a, b])
    assert tactics == [1, 2]
    for tactic in tactics:
        c, = runner(TMA).run("desc_add_kernelPlugin", {}, [a, b], tactic=tactic)
        torch.cuda.synchronize()
        assert torch.equal(c, a + b), tactic


def test_rows_that_break_the_stride_rule_are_refused_before_a_launch(runner):
    x = torch.randn(2, 5, 7, device="cuda", dtype=torch.float16)  # rows of 14 bytes
    with pytest.raises(PluginError, match="tensor descriptor 'x_desc': rows of 7 elements of 2 bytes are not a "
                                          "multiple of 16 bytes"):
        runner(TMA).run("desc_scale_kernelPlugin", {"alpha": 2.0}, [x])
