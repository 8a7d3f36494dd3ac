"""GPU: plugingen.torch's ops run eagerly through the plugin's own enqueue: bit for bit what PluginRunner gives, for
every shipped config (signatures, in-place and autotuned plugins included), torch references for the examples,
CUDA-graph capture, torch.compile of examples/torch_model.py and of an in-place op (its functional twin), and
plugin errors as exceptions.

Skipped without torch + CUDA. Run on the GPU machine (see docs/VERIFICATION.md)."""
import importlib.util
import random
import re

import pytest

torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    pytest.skip("no CUDA GPU", allow_module_level=True)

import plugingen.torch as pgt  # noqa: E402
from conftest import EXAMPLES, TEST_KERNELS, all_configs, prebuilt_name  # noqa: E402
from plugingen.config import load_config  # noqa: E402
from plugingen.testing import PluginError  # noqa: E402
from test_plugin_host import input_shapes  # noqa: E402
from test_shape_property import fields_for, model_refuses  # noqa: E402

pytestmark = pytest.mark.gpu

VECTOR_ADD = EXAMPLES / "vector_add" / "kernel_config.py"
FMHA = EXAMPLES / "fmha" / "kernel_config.py"
LAYERNORM = TEST_KERNELS / "layernorm_config.py"
INPLACE = TEST_KERNELS / "inplace_ops_config.py"


def ops_of(build_plugin, config):
    """The config's ops, in a namespace of their own (two configs may name a plugin alike)."""
    namespace = "pg_" + re.sub(r"\W", "_", prebuilt_name(config))
    library = pgt.load(build_plugin(config), namespace)
    return library, getattr(torch.ops, namespace)


def random_tensor(shape, dtype):
    if dtype.is_floating_point:
        return torch.randn(shape, device="cuda").to(dtype)
    return torch.randint(-8, 8, shape, device="cuda", dtype=dtype)


def bits(t):
    """``t``'s bits as integers (NaN equals NaN, fp8 compares)."""
    return t.view({1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}[t.element_size()])


def accepted_case(spec, rng):
    """Input shapes and fields the plugin's rules and constraints accept."""
    for _ in range(200):
        shapes = input_shapes(spec, rng.choice([1, 3, 8, 16, 40]))
        fields = fields_for(spec, shapes, rng)
        if model_refuses(spec, shapes, fields) is None:
            return shapes, fields
    pytest.fail(f"{spec.kernel_name}: no accepted case generated")


@pytest.mark.parametrize("config", all_configs(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_eager_equals_plugin_runner(build_plugin, runner, config):
    """Every kernel, every signature: the op's outputs are PluginRunner's bit for bit (the same enqueue, tactic 0 or
    the tuning table's choice), an in-place output is the input tensor itself, and a refusal is the same message."""
    library, ops = ops_of(build_plugin, config)
    rng = random.Random(f"torch-gpu-{config.stem}")
    for spec in load_config(config).kernels:
        op = getattr(ops, spec.function_name)
        for signature in range(len(spec.signatures)):
            shapes, fields = accepted_case(spec, rng)
            values = {name: value.item() for name, (_, value) in fields.items()}
            inputs = [random_tensor(s, getattr(torch, spec.dtype_of(a, signature).torch))
                      for a, s in zip(spec.inputs, shapes)]
            copies = [t.clone() for t in inputs]
            try:
                expected = runner(config).run(spec.plugin_name, values, copies)
            except PluginError:
                with pytest.raises(PluginError):  # refused alike (the messages differ only in their prefix)
                    op(*inputs, **values)
                continue
            got = op(*inputs, **values)
            got = list(got) if isinstance(got, tuple) else [got]
            torch.cuda.synchronize()
            for (output_slot, input_slot) in spec.aliases:
                assert got[output_slot] is inputs[input_slot]
            for a, b in zip(got, expected):
                assert a.shape == b.shape and a.dtype == b.dtype
                assert torch.equal(bits(a), bits(b)), f"{spec.kernel_name} signature {signature}"


def test_vector_add_and_layernorm_match_torch(build_plugin):
    pgt.load(build_plugin(VECTOR_ADD))
    pgt.load(build_plugin(LAYERNORM))
    x, y = (torch.randn(4097, device="cuda", dtype=torch.float16) for _ in range(2))
    torch.testing.assert_close(torch.ops.plugingen.vector_add_kernel(x, y), x + y, rtol=0, atol=0)
    x = torch.randn(2, 5, 300, device="cuda", dtype=torch.float16)
    w, b = torch.randn(300, device="cuda"), torch.randn(300, device="cuda")
    out = torch.ops.plugingen.layernorm_kernel(x, w, b, eps=1e-5, rows_per_program=3)
    torch.testing.assert_close(out, torch.nn.functional.layer_norm(x.float(), (300,), w, b, 1e-5).half(),
                               atol=1e-2, rtol=1e-2)


def test_fmha_matches_torch(build_plugin):
    pgt.load(build_plugin(FMHA))
    q, k, v = (torch.randn(2, 4, 200, 64, device="cuda", dtype=torch.float16) for _ in range(3))
    out, l, m = torch.ops.plugingen.fused_attention_kernel(q, k, v, sm_scale=0.125, num_heads=4)
    s = 0.125 * (q.float() @ k.float().transpose(-1, -2))
    torch.testing.assert_close(out, (torch.softmax(s, -1) @ v.float()).half(), atol=1e-2, rtol=1e-2)
    torch.testing.assert_close(m, s.amax(-1), atol=1e-3, rtol=1e-3)
    with pytest.raises(PluginError, match="constraint 'num_heads == heads'"):
        torch.ops.plugingen.fused_attention_kernel(q, k, v, sm_scale=0.125, num_heads=8)


def test_in_place_ops_update_and_return_their_input(build_plugin):
    pgt.load(build_plugin(INPLACE))
    acc, x = torch.randn(1000, device="cuda"), torch.randn(1000, device="cuda")
    expected = acc + 0.5 * x
    assert torch.ops.plugingen.accumulate_kernel(acc, x, alpha=0.5) is acc
    torch.testing.assert_close(acc, expected)
    cache, new = torch.zeros(2, 16, 64, device="cuda", dtype=torch.float16), torch.randn(2, 64, device="cuda").half()
    torch.ops.plugingen.cache_write_kernel(cache, new, pos=3)
    assert torch.equal(cache[:, 3], new) and not cache[:, 4].any()
    with pytest.raises(PluginError, match="pos < seq"):
        torch.ops.plugingen.cache_write_kernel(cache, new, pos=16)


def test_in_place_ops_compile_through_their_functional_twin(build_plugin):
    """torch.compile (fullgraph) of a function updating its input: the twin runs on a copy, the input is updated
    all the same (as eagerly), and the twin alone leaves its inputs as they were."""
    pgt.load(build_plugin(INPLACE))

    def step(acc, x):
        torch.ops.plugingen.accumulate_kernel(acc, x, alpha=0.5)
        return acc * 2

    acc, x = torch.randn(1000, device="cuda"), torch.randn(1000, device="cuda")
    before = acc.clone()
    fresh = torch.ops.plugingen.accumulate_kernel_functional(acc, x, alpha=0.5)
    assert torch.equal(acc, before) and fresh.data_ptr() != acc.data_ptr()
    out = torch.compile(step, fullgraph=True)(acc, x)
    torch.cuda.synchronize()
    assert torch.equal(acc, fresh) and torch.equal(out, fresh * 2)


def test_cuda_graph_capture_replays_the_op(build_plugin):
    """Prepared once outside the capture (as any op's first call warms up), then captured and replayed: the launch
    runs on the capture stream, with outputs from the graph's memory pool."""
    pgt.load(build_plugin(VECTOR_ADD))
    x, y = (torch.randn(1 << 16, device="cuda", dtype=torch.float16) for _ in range(2))
    torch.ops.plugingen.vector_add_kernel(x, y)
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        out = torch.ops.plugingen.vector_add_kernel(x, y)
    x.copy_(torch.randn_like(x))
    graph.replay()
    torch.cuda.synchronize()
    assert torch.equal(out, x + y)


def test_the_example_runs_eager_and_compiled(build_plugin):
    spec = importlib.util.spec_from_file_location("torch_model", EXAMPLES / "torch_model.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    pgt.load(build_plugin(FMHA))
    pgt.load(build_plugin(LAYERNORM))
    torch.manual_seed(0)
    example.check_on_gpu(example.Block().eval().cuda())  # eager vs reference, compiled (fullgraph) vs eager
