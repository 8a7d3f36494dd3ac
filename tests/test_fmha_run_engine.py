"""examples/fmha/run_engine.py on the CPU machine: what runs without a GPU (issue 24).

Its argument handling; loading the library into TensorRT-RTX's registry and reaching deserialization (which needs a
GPU: here it fails with RTX's message, exit 1, and the library is deregistered again); and its I/O binding
(``io_plan``) against the I/O of the FMHA engine TensorRT-RTX builds here from the plugin's ONNX node. Running the
engine, the comparison with torch and the timing need a GPU that runs engines (TensorRT-RTX refuses sm_90): never
run here.
"""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from conftest import EXAMPLES

FMHA = EXAMPLES / "fmha"


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run_engine = _load(FMHA / "run_engine.py", "fmha_run_engine")
onnx_engine = _load(EXAMPLES / "onnx_engine.py", "onnx_engine_for_fmha")


@pytest.fixture(scope="module")
def trt():
    try:
        module, which = onnx_engine._tensorrt()
    except (ImportError, OSError) as exc:
        pytest.skip(f"neither TensorRT nor TensorRT-RTX is importable ({exc}); .ci/install_trt_rtx.sh installs RTX")
    if which == "TensorRT-RTX":  # its ONNX parser dlopens libtensorrt_rtx.so for a plugin node, else terminates
        import tensorrt_rtx_libs

        if not (Path(tensorrt_rtx_libs.__file__).parent / "libtensorrt_rtx.so").exists():
            pytest.skip("no libtensorrt_rtx.so link beside TensorRT-RTX's library (.ci/install_trt_rtx.sh makes it)")
    return module


@pytest.fixture(scope="module")
def fmha_output(build_plugin):
    return build_plugin(FMHA / "kernel_config.py")


@pytest.fixture(scope="module")
def fmha_engine(trt, fmha_output, tmp_path_factory):
    """An FMHA engine built on the CPU from the plugin's ONNX node (Q, K, V: [b, 8, s, 64], b and s dynamic)."""
    engine = tmp_path_factory.mktemp("fmha-engine") / "fmha.engine"
    inputs = {name: ["b", 8, "s", 64] for name in run_engine.INPUTS}
    serialized, errors = onnx_engine.build(trt, fmha_output, "fused_attention_kernel",
                                           {"sm_scale": 0.125, "num_heads": 8}, inputs,
                                           {"b": (1, 2, 4), "s": (1, 128, 1024)})
    assert serialized, errors
    engine.write_bytes(serialized)
    return engine


def network_io(trt, output_dir: Path):
    """The I/O tensors of the network the FMHA engine is built from: the names, dtypes and shapes it declares."""
    onnx_plugins = _load(output_dir / "onnx_plugins.py", "onnx_plugins_for_fmha")
    model = onnx_plugins.make_model("fused_attention_kernel", {"sm_scale": 0.125, "num_heads": 8},
                                    {name: ["b", 8, "s", 64] for name in run_engine.INPUTS})
    logger = trt.Logger(trt.Logger.ERROR)
    registry = trt.get_plugin_registry()
    handle = registry.load_library(str(output_dir / "libtriton_plugins.so"))
    assert handle is not None
    builder = network = parser = tensors = None
    try:
        builder = trt.Builder(logger)  # outlives the network, as TensorRT requires
        network = builder.create_network(0)
        parser = trt.OnnxParser(network, logger)
        assert parser.parse(model.SerializeToString())
        tensors = [(network.get_input(i), True) for i in range(network.num_inputs)]
        tensors += [(network.get_output(i), False) for i in range(network.num_outputs)]
        return [run_engine.TensorIO(t.name, is_input, str(t.dtype).rsplit(".", 1)[-1], tuple(t.shape))
                for t, is_input in tensors]
    finally:
        del tensors, parser, network, builder  # they hold plugin objects: release them before the library goes
        registry.deregister_library(handle)


# ------------------------------------------------------------------------------------------------ arguments
@pytest.mark.parametrize("flag", ["--batch", "--seq-len", "--num-heads", "--iterations"])
def test_sizes_below_one_are_usage_errors(flag, capsys):
    with pytest.raises(SystemExit) as exit:
        run_engine.main([flag, "0"])
    assert exit.value.code == 2
    assert f"{flag} must be at least 1" in capsys.readouterr().err


def test_a_workspace_without_a_library_is_a_usage_error(tmp_path, capsys):
    assert run_engine.main(["--workspace", str(tmp_path), "--engine", str(tmp_path / "e")]) == 2
    assert f"no {tmp_path / 'output' / 'libtriton_plugins.so'}; run plugingen first" in capsys.readouterr().err


def test_a_missing_engine_is_a_usage_error(fmha_output, tmp_path, capsys):
    workspace = fmha_output.parent
    assert run_engine.main(["--workspace", str(workspace), "--engine", str(tmp_path / "none.engine")]) == 2
    assert f"no engine {tmp_path / 'none.engine'}" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------ the engine
def test_the_binding_fits_the_engines_io(trt, fmha_output, fmha_engine):
    io = network_io(trt, fmha_output)
    assert {t.name for t in io} == set(run_engine.INPUTS + run_engine.OUTPUTS)
    shapes = run_engine.io_plan(io, batch=2, heads=8, seq_len=100)
    assert shapes["Q"] == shapes["K"] == shapes["V"] == shapes["Out"] == (2, 8, 100, 64)
    assert shapes["L"] == shapes["M"] == (2, 8, 100)
    with pytest.raises(ValueError, match=r"Q has shape \[-1, 8, -1, 64\] in the engine .* \[2, 4, 100, 64\] does not"):
        run_engine.io_plan(io, batch=2, heads=4, seq_len=100)  # not the engine's num_heads
    renamed = [t._replace(name="X") if t.name == "Q" else t for t in io]
    with pytest.raises(ValueError, match="an FMHA engine has inputs Q, K, V"):
        run_engine.io_plan(renamed, batch=2, heads=8, seq_len=100)


def test_loads_the_library_then_needs_a_gpu_to_deserialize(trt, fmha_output, fmha_engine, capsys):
    """Here (no GPU) deserialization fails with TensorRT-RTX's own reason; the library was loaded first and is
    deregistered again (a second run loads it again)."""
    if Path("/dev/nvidiactl").exists():
        pytest.skip("a GPU is present: running the engine is for the GPU machine")
    argv = ["--workspace", str(fmha_output.parent), "--engine", str(fmha_engine)]
    for _ in range(2):
        assert run_engine.main(argv) == 1
        out, err = capsys.readouterr()
        assert f"loaded {fmha_output / 'libtriton_plugins.so'} into" in out
        assert f"could not deserialize {fmha_engine}" in err and "CUDA" in err, err


# ------------------------------------------------------------------------------------------------ GPU (never run yet)
@pytest.mark.gpu
def test_runs_and_matches_torch_on_a_gpu(trt, fmha_output, fmha_engine, capsys):
    """The whole example on a GPU that runs engines: the outputs match torch and a time is printed. TensorRT-RTX
    does not run engines on sm_90 (H100): there the deserialization failure is a skip with RTX's reason."""
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU")
    status = run_engine.main(["--workspace", str(fmha_output.parent), "--engine", str(fmha_engine),
                              "--batch", "2", "--seq-len", "200", "--num-heads", "8", "--sm-scale", "0.125"])
    out, err = capsys.readouterr()
    if status == 1 and "could not deserialize" in err:
        pytest.skip(f"this GPU does not run the engine: {err.strip()}")
    assert status == 0, out + err
    assert "outputs match the torch reference" in out
    assert re.search(r"max \|error\| Out \S+, L \S+, M \S+; [\d.]+ us per run \(median of 20\)", out), out
