"""The generated functional.py against a recording stand-in of the TensorRT (and TensorRT-LLM) Python API: it registers
the library next to itself, looks creators up by name/version/namespace, passes fields with the right types, adds the
V3 plugin layer and returns its outputs."""
import importlib.util
import shutil
import sys
import types

import numpy as np
import pytest

from conftest import EXAMPLES, TEST_KERNELS


class FakeTensorRT(types.ModuleType):
    """Just enough of `tensorrt` to see what functional.py does."""

    def __init__(self, known_creators):
        super().__init__("tensorrt")
        self.loaded = []
        self.created = []
        self.known = set(known_creators)
        fake = self

        class Registry:
            def get_creator(self, name, version, namespace):
                if (name, version, namespace) not in fake.known or not fake.loaded:
                    return None
                return Creator(name)

            def load_library(self, path):
                fake.loaded.append(path)
                return object()

        class Creator:
            def __init__(self, name):
                self.name = name

            def create_plugin(self, name, collection, phase):
                fake.created.append((name, [(f.name, f.data, f.type) for f in collection], phase))
                return ("plugin", name)

        self.registry = Registry()
        self.get_plugin_registry = lambda: self.registry
        self.PluginField = lambda name, data, field_type: types.SimpleNamespace(name=name, data=data, type=field_type)
        self.PluginFieldCollection = list
        self.PluginFieldType = types.SimpleNamespace(FLOAT16="FLOAT16", FLOAT32="FLOAT32", FLOAT64="FLOAT64",
                                                     INT8="INT8", INT32="INT32", INT64="INT64")
        self.TensorRTPhase = types.SimpleNamespace(BUILD="BUILD", RUNTIME="RUNTIME")


class FakeNetwork:
    def __init__(self):
        self.layers = []

    def add_plugin_v3(self, inputs, shape_inputs, plugin):
        layer = types.SimpleNamespace(inputs=inputs, shape_inputs=shape_inputs, plugin=plugin,
                                      get_output=lambda i: ("output", i))
        self.layers.append(layer)
        return layer


def load_functional(output, monkeypatch, fake):
    monkeypatch.setitem(sys.modules, "tensorrt", fake)
    spec = importlib.util.spec_from_file_location(f"functional_{id(fake)}", output / "functional.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fmha_function_adds_the_v3_plugin(build_plugin, monkeypatch, tmp_path):
    built = build_plugin(EXAMPLES / "fmha" / "kernel_config.py")
    relocated = tmp_path / "elsewhere"
    shutil.copytree(built, relocated)  # functional.py finds the library next to itself, wherever that is
    fake = FakeTensorRT({("fused_attention_kernelPlugin", "1", "")})
    functional = load_functional(relocated, monkeypatch, fake)
    assert fake.loaded == [str(relocated / "libtriton_plugins.so")]  # registered at import
    network = FakeNetwork()
    outputs = functional.fused_attention_kernel(0.125, 8, "Q", "K", "V", network=network)
    assert outputs == [("output", 0), ("output", 1), ("output", 2)]
    (layer,) = network.layers
    assert layer.inputs == ["Q", "K", "V"] and layer.shape_inputs == []
    name, fields, phase = fake.created[0]
    assert name == "fused_attention_kernelPlugin" and phase == "BUILD"
    assert [(n, t) for n, _, t in fields] == [("sm_scale", "FLOAT32"), ("num_heads", "INT32")]
    assert fields[0][1].dtype == np.float32 and fields[0][1].tolist() == [0.125]
    assert fields[1][1].dtype == np.int32 and fields[1][1].tolist() == [8]
    assert len(fake.loaded) == 1  # already registered: not loaded again


def test_field_types_follow_the_config(build_plugin, monkeypatch):
    fake = FakeTensorRT({("fill_index_kernelPlugin", "1", "")})
    functional = load_functional(build_plugin(TEST_KERNELS / "fill_index_config.py"), monkeypatch, fake)
    functional.fill_index_kernel(2**40 + 3, "x", network=FakeNetwork())
    (_, fields, _), = fake.created
    assert fields[0][0] == "offset" and fields[0][2] == "INT64"
    assert fields[0][1].dtype == np.int64 and fields[0][1].tolist() == [2**40 + 3]


def test_two_kernels_use_their_own_versions(build_plugin, monkeypatch):
    fake = FakeTensorRT({("add_kernelPlugin", "1", ""), ("mul_kernelPlugin", "2", "")})
    functional = load_functional(build_plugin(TEST_KERNELS / "two_kernels_config.py"), monkeypatch, fake)
    assert functional.PLUGINS == {"add_kernel": ("add_kernelPlugin", "1", ""), "mul_kernel": ("mul_kernelPlugin", "2", "")}
    network = FakeNetwork()
    assert functional.mul_kernel("x", "y", network=network) == [("output", 0)]
    assert fake.created[0][0] == "mul_kernelPlugin"


def test_without_network_and_without_tensorrt_llm_is_a_clear_error(build_plugin, monkeypatch):
    fake = FakeTensorRT({("vector_add_kernelPlugin", "1", "")})
    functional = load_functional(build_plugin(EXAMPLES / "vector_add" / "kernel_config.py"), monkeypatch, fake)
    monkeypatch.setitem(sys.modules, "tensorrt_llm", None)
    with pytest.raises(TypeError, match="pass network="):
        functional.vector_add_kernel("x", "y")


def test_tensorrt_llm_tensors_and_default_network(build_plugin, monkeypatch):
    fake = FakeTensorRT({("vector_add_kernelPlugin", "1", "")})
    functional = load_functional(build_plugin(EXAMPLES / "vector_add" / "kernel_config.py"), monkeypatch, fake)
    network = FakeNetwork()
    llm = types.ModuleType("tensorrt_llm")
    llm_functional = types.ModuleType("tensorrt_llm.functional")
    llm_functional.default_trtnet = lambda: network
    llm_functional._create_tensor = lambda trt_tensor, layer: ("llm", trt_tensor)
    llm.functional = llm_functional
    monkeypatch.setitem(sys.modules, "tensorrt_llm", llm)
    monkeypatch.setitem(sys.modules, "tensorrt_llm.functional", llm_functional)
    x = types.SimpleNamespace(trt_tensor="raw-x")
    y = types.SimpleNamespace(trt_tensor="raw-y")
    assert functional.vector_add_kernel(x, y) == [("llm", ("output", 0))]
    assert network.layers[0].inputs == ["raw-x", "raw-y"]


def test_importing_without_tensorrt_is_quiet_and_calls_explain(build_plugin, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorrt", None)
    output = build_plugin(EXAMPLES / "vector_add" / "kernel_config.py")
    spec = importlib.util.spec_from_file_location("functional_no_trt", output / "functional.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(ImportError, match="need TensorRT's Python package"):
        module.vector_add_kernel("x", "y", network=FakeNetwork())


def test_module_docstring_unpacks_the_returned_list(build_plugin):
    """Every function returns a list: the module's usage lines unpack it (``out, = ...`` for one output)."""
    doc = (build_plugin(EXAMPLES / "vector_add" / "kernel_config.py") / "functional.py").read_text()
    assert "    out, = vector_add_kernel(x, y, network=network)" in doc
    fmha = (build_plugin(EXAMPLES / "fmha" / "kernel_config.py") / "functional.py").read_text()
    assert "    Out, L, M = fused_attention_kernel(sm_scale, num_heads, Q, K, V, network=network)" in fmha
