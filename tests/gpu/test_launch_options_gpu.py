"""GPU: kernels Triton launches with launch attributes, through the plugin (cuLaunchKernelEx): a cluster of two CTAs
per program (the launched grid is the grid times the cluster: every element is written), a cooperative grid (a
hand-made grid barrier that only a co-resident grid passes), and programmatic dependent launch (the kernel waits
for the previous kernel of the stream before it reads)."""
import json

import pytest

torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    pytest.skip("no CUDA GPU", allow_module_level=True)
if torch.cuda.get_device_capability()[0] < 9:
    pytest.skip("clusters, cooperative grids through cuLaunchKernelEx and PDL need sm_90 or newer",
                allow_module_level=True)

from conftest import TEST_KERNELS  # noqa: E402

pytestmark = pytest.mark.gpu
OPTIONS = TEST_KERNELS / "launch_options_config.py"
PDL = TEST_KERNELS / "launch_pdl_config.py"


def images(build_plugin, config, kernel):
    manifest = json.loads((build_plugin(config) / "manifest.json").read_text())
    return next(k for k in manifest["kernels"] if k["kernel"] == kernel)["images"]


@pytest.mark.parametrize("n", [1, 255, 1000, 4096, (1 << 20) + 3])
def test_a_cluster_of_two_ctas_per_program(runner, build_plugin, n):
    assert {tuple(i["cluster"]) for i in images(build_plugin, OPTIONS, "cluster_scale_kernel")} == {(2, 1, 1)}
    x = torch.randn(n, device="cuda")
    out, = runner(OPTIONS).run("cluster_scale_kernelPlugin", {}, [x])
    torch.cuda.synchronize()
    assert torch.equal(out, x * 2)


@pytest.mark.parametrize("n", [1, 1000, 256 * 264])
def test_a_cooperative_grid_passes_a_grid_barrier(runner, build_plugin, n):
    assert all(i["cooperative"] for i in images(build_plugin, OPTIONS, "cooperative_count_kernel"))
    x = torch.randn(n, device="cuda")
    arrived = torch.zeros(1, device="cuda", dtype=torch.int32)
    out, = runner(OPTIONS).run("cooperative_count_kernelPlugin", {}, [x, arrived])
    torch.cuda.synchronize()
    assert torch.equal(out, x * 2)
    assert arrived.item() == -(-n // 256)  # every program arrived before any left the barrier


@pytest.mark.parametrize("n", [1, 1000, (1 << 22) + 7])
def test_programmatic_dependent_launch_waits_for_the_previous_kernel(runner, build_plugin, n):
    assert all(i["pdl"] for i in images(build_plugin, PDL, "pdl_increment_kernel"))
    x = torch.empty(n, device="cuda")
    for value in (3.0, -1.5, 7.0):  # each fill is the kernel just before the plugin's on the stream
        x.fill_(value)
        out, = runner(PDL).run("pdl_increment_kernelPlugin", {}, [x])
        torch.cuda.synchronize()
        assert torch.equal(out, torch.full_like(x, value + 1))
