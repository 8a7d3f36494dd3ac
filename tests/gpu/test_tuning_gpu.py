"""GPU: the tuning-table flow end to end on the autotuned test matmul — build with every config, ``plugingen tune``
on this GPU, rebuild with ``--tuning``; then every launch runs the config the table gives its bucket (nearest bucket
outside it), checked through ``PluginRunner.launched()`` against the model's choice, with outputs against torch."""
import json

import pytest

torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    pytest.skip("no CUDA GPU", allow_module_level=True)

from conftest import TEST_KERNELS  # noqa: E402
from plugingen import tuning_table  # noqa: E402
from plugingen.cli import main  # noqa: E402
from plugingen.config import load_config  # noqa: E402
from plugingen.expr import next_power_of_2  # noqa: E402
from plugingen.testing import PluginRunner  # noqa: E402

pytestmark = pytest.mark.gpu
MATMUL = TEST_KERNELS / "tuned_matmul_config.py"
ARCH = "{}{}".format(*torch.cuda.get_device_capability())


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    """(untuned workspace, tuned workspace, table path)."""
    import triton

    root = tmp_path_factory.mktemp("tuning")
    cache = str(root / "cache")
    assert main(["--workspace", str(root / "all"), "--kernel_config", str(MATMUL), "--arch", ARCH,
                 "--cache-dir", cache]) == 0
    table = root / "tuning.json"
    assert main(["tune", "--workspace", str(root / "all"), "--kernel_config", str(MATMUL),
                 "--dims", "m=1:512,k=64:128,n=256", "--out", str(table)]) == 0
    data = json.loads(table.read_text())
    [entry] = data["kernels"]
    assert entry["kernel"] == "_matmul_kernel" and entry["triton"] == triton.__version__
    assert set(entry["archs"]) == {f"sm_{ARCH}"}
    assert main(["--workspace", str(root / "tuned"), "--kernel_config", str(MATMUL), "--arch", ARCH,
                 "--tuning", str(table), "--cache-dir", cache]) == 0
    return root / "all", root / "tuned", table


def test_tune_covers_every_bucket_and_picks_the_fastest(tuned):
    _, _, table = tuned
    rows = json.loads(table.read_text())["kernels"][0]["archs"][f"sm_{ARCH}"]
    # m at 1, 2, 4, ..., 512, k at 64 and 128, n at 256: one row per bucket of (M, N, K)
    assert sorted(tuple(r["bucket"]) for r in rows) == sorted((m, 256, k) for m in [2 ** e for e in range(10)]
                                                              for k in (64, 128))
    for row in rows:
        times = row["us"]
        assert len(times) == 4 and row["tactic"] == 1 + min(range(4), key=lambda i: times[i] or float("inf"))


@pytest.mark.parametrize("m,k,n", [(1, 64, 256), (3, 100, 256), (129, 128, 256), (512, 64, 256), (1000, 96, 300),
                                   (4096, 200, 7)])
def test_each_launch_runs_its_buckets_config(tuned, m, k, n):
    import triton

    _, workspace, table = tuned
    spec = load_config(MATMUL, (int(ARCH),)).kernels[0]
    tuning = tuning_table.load(table, load_config(MATMUL, (int(ARCH),)), triton.__version__)[spec.kernel_name]
    a = torch.randn(m, k, device="cuda", dtype=torch.float16) / 8
    b = torch.randn(k, n, device="cuda", dtype=torch.float16) / 8
    with PluginRunner(workspace / "output" / "libtriton_plugins.so") as runner:
        assert runner.tactics("_matmul_kernelPlugin", {}, [a, b]) == []  # TensorRT gets no choice to make
        c, = runner.run("_matmul_kernelPlugin", {}, [a, b])
        torch.cuda.synchronize()
        launched = runner.launched()
    want = tuning.choose(int(ARCH), [m, n, k])
    assert launched.kernel == "_matmul_kernel" and launched.tactic == want + 1 and \
        launched.description.startswith(f"tactic {want + 1} ("), \
        (launched, want, [next_power_of_2(v) for v in (m, n, k)])
    ref = a.float() @ b.float()
    ref = torch.where(ref >= 0, ref, 0.01 * ref)
    torch.testing.assert_close(c.float(), ref, atol=2e-2, rtol=2e-2)
