"""GPU: inconsistent shapes never launch — the plugin refuses with a message (run under compute-sanitizer memcheck
to show that nothing is read or written out of bounds; docs/VERIFICATION.md has the command), and consistent shapes
still compute the right result. Random cases come from tests/test_shape_property.py's generator and model."""
import random

import pytest

torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    pytest.skip("no CUDA GPU", allow_module_level=True)

from conftest import EXAMPLES, TEST_KERNELS, all_configs  # noqa: E402
from test_shape_property import fields_for, model_refuses, random_shapes  # noqa: E402

from plugingen.config import load_config  # noqa: E402
from plugingen.testing import PluginError  # noqa: E402

pytestmark = pytest.mark.gpu
VECTOR_ADD = EXAMPLES / "vector_add" / "kernel_config.py"
FMHA = EXAMPLES / "fmha" / "kernel_config.py"
LAYERNORM = TEST_KERNELS / "layernorm_config.py"


def half(*shape):
    return torch.randn(*shape, device="cuda", dtype=torch.float16)


@pytest.mark.parametrize("config,plugin,fields,inputs,message", [
    (VECTOR_ADD, "vector_add_kernelPlugin", {}, lambda: [half(4096), half(64)], "differs between inputs: 4096 vs 64"),
    (VECTOR_ADD, "vector_add_kernelPlugin", {}, lambda: [half(64), half(8, 8)], "input 'y' has rank 2"),
    (FMHA, "fused_attention_kernelPlugin", {"sm_scale": 0.125, "num_heads": 8},
     # PluginRunner configures the plugin for exactly these shapes: configurePlugin already refuses
     lambda: [half(2, 4, 128, 64)] * 3, r"constraint 'num_heads == heads' holds for no shape of this optimization "
                                        r"profile"),
    (FMHA, "fused_attention_kernelPlugin", {"sm_scale": 0.125, "num_heads": 4},
     lambda: [half(2, 4, 128, 32)] * 3, "dimension 3 of input 'Q' is 32 but rule"),
    (FMHA, "fused_attention_kernelPlugin", {"sm_scale": 0.125, "num_heads": 4},
     lambda: [half(2, 4, 128, 64), half(2, 4, 100, 64), half(2, 4, 100, 64)], "differs between inputs: 128 vs 100"),
    (LAYERNORM, "layernorm_kernelPlugin", {"eps": 1e-5, "rows_per_program": 4},
     lambda: [half(2, 8, 256), torch.ones(64, device="cuda"), torch.zeros(256, device="cuda")],
     "differs between inputs: 256 vs 64"),
])
def test_inconsistent_shapes_are_refused(runner, config, plugin, fields, inputs, message):
    with pytest.raises(PluginError, match=message):
        runner(config).run(plugin, fields, inputs())
    torch.cuda.synchronize()


@pytest.mark.parametrize("config", all_configs(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_random_shapes_launch_only_when_consistent(runner, config):
    rng = random.Random(f"gpu-{config.stem}")
    for spec in load_config(config).kernels:
        for _ in range(12):
            shapes = random_shapes(spec, rng)
            fields = fields_for(spec, shapes, rng)
            values = {name: value.reshape(-1)[0].item() for name, (_, value) in fields.items()}
            signature = rng.randrange(len(spec.signatures))
            inputs = [torch.zeros(s, device="cuda", dtype=getattr(torch, spec.dtype_of(a, signature).torch))
                      for a, s in zip(spec.inputs, shapes)]
            why = model_refuses(spec, shapes, fields)
            if why is None:
                runner(config).run(spec.plugin_name, values, inputs, version=spec.version)
            else:
                with pytest.raises(PluginError):
                    runner(config).run(spec.plugin_name, values, inputs, version=spec.version)
            torch.cuda.synchronize()
