"""The model's one dtype table and TensorRT enums agree with everything that spells them elsewhere: the C++ ABI and
runtime headers, numpy, ONNX, and the generated code; and no other module keeps a dtype table of its own."""
import re
from pathlib import Path

import numpy as np
import pytest

from conftest import EXAMPLES, ROOT
from plugingen import codegen, trt
from plugingen.model import DType, Hint, Variant

INCLUDE = ROOT / "plugingen" / "include" / "plugingen"
_SIZES = {"uint16_t": 2, "float": 4, "double": 8, "int8_t": 1, "int32_t": 4, "int64_t": 8, "uint8_t": 1, "bool": 1}


def cpp_enum(header: Path, name: str) -> dict:
    """{enumerator: value} of ``enum class name`` in a header (values written out, or counted from 0)."""
    body = re.search(rf"enum class {name}\b[^{{]*\{{(.*?)\}};", header.read_text(), re.S).group(1)
    values, next_value = {}, 0
    for item in filter(None, (line.split("//")[0].strip().rstrip(",") for line in body.splitlines())):
        key, _, value = (part.strip() for part in item.partition("="))
        next_value = int(value) if value else next_value
        values[key] = next_value
        next_value += 1
    return values


@pytest.mark.parametrize("enum", [trt.DataType, trt.TensorFormat, trt.PluginFieldType, trt.TensorRTPhase])
def test_python_trt_enums_equal_the_abi_header(enum):
    assert cpp_enum(INCLUDE / "trt_abi.h", enum.__name__) == {f"k{m.name}": m.value for m in enum}


def test_runtime_scalar_kinds_are_the_tables():
    kinds = cpp_enum(INCLUDE / "runtime.h", "Scalar")
    assert sorted(d.scalar for d in DType if d.scalar) == sorted(kinds)
    assert all((d.field is None) == (d.scalar is None) for d in DType)


@pytest.mark.parametrize("dtype", list(DType), ids=lambda d: d.abbr)
def test_table_row_is_consistent(dtype):
    onnx = pytest.importorskip("onnx")
    assert _SIZES[dtype.cpp] == dtype.size
    onnx_name = onnx.TensorProto.DataType.Name(dtype.onnx)
    expected_onnx = {"fp16": "FLOAT16", "bf16": "BFLOAT16", "fp32": "FLOAT", "fp64": "DOUBLE", "i8": "INT8",
                     "i32": "INT32", "i64": "INT64", "u8": "UINT8", "i1": "BOOL", "fp8e4m3": "FLOAT8E4M3FN",
                     "fp8e5m2": "FLOAT8E5M2"}[dtype.abbr]
    assert onnx_name == expected_onnx
    if dtype.numpy:
        assert np.dtype(dtype.numpy).itemsize == dtype.size
        assert onnx.helper.tensor_dtype_to_np_dtype(dtype.onnx) == np.dtype(dtype.numpy)
        assert dtype.wire is dtype
    elif dtype.field:
        assert dtype.wire is DType.FP32 and dtype.is_float  # bf16: Python sends fp32, the plugin rounds
    # TensorRT's own names for these types (an oracle written from NVIDIA's headers, not from the table)
    tensor_type = {"fp16": "HALF", "bf16": "BF16", "fp32": "FLOAT", "i8": "INT8", "i32": "INT32", "i64": "INT64",
                   "u8": "UINT8", "i1": "BOOL", "fp8e4m3": "FP8"}.get(dtype.abbr)
    field_type = {"fp16": "FLOAT16", "bf16": "BF16", "fp32": "FLOAT32", "fp64": "FLOAT64", "i8": "INT8",
                  "i32": "INT32", "i64": "INT64"}.get(dtype.abbr)
    assert (None if dtype.trt is None else dtype.trt.name) == tensor_type
    assert (None if dtype.field is None else dtype.field.name) == field_type


def test_torch_names_are_torch_dtypes():
    torch = pytest.importorskip("torch")
    for dtype in DType:
        assert getattr(torch, dtype.torch).itemsize == dtype.size


_DTYPE_SPELLINGS = re.compile(r"kHALF|kBF16|\bnp\.float16\b|torch\.float16|\"fp16\": *10|'fp16': *10|kFP16\b")


def test_no_module_keeps_a_dtype_table_of_its_own():
    """Every dtype mapping is derived from model.DType: no other source spells one (trt_abi.h and runtime.h declare
    the enums the table points at)."""
    allowed = {"plugingen/model.py", "plugingen/trt.py", "plugingen/include/plugingen/trt_abi.h", "plugingen/include/plugingen/runtime.h",
               "plugingen/include/plugingen/runtime.cpp"}
    offenders = []
    for path in sorted((ROOT / "plugingen").rglob("*")):
        rel = path.relative_to(ROOT).as_posix()
        if path.suffix in (".py", ".j2", ".h", ".cpp") and rel not in allowed and _DTYPE_SPELLINGS.search(
                path.read_text()):
            offenders.append(rel)
    assert offenders == []


def test_generated_code_takes_types_from_the_table():
    from test_codegen import fake_compiled

    compiled = fake_compiled(EXAMPLES / "fmha" / "kernel_config.py")
    files = dict(codegen.generate(compiled).files)
    spec = compiled.kernels[0].spec
    source = files[f"{spec.function_name}_plugin.cpp"]
    tensors = ", ".join(a.dtype.trt.cpp for a in spec.inputs + spec.outputs)
    assert f"kSignatures[1][{len(spec.inputs + spec.outputs)}]{{\n        {{{tensors}}},\n    }};" in source
    for a in spec.fields:
        assert f"{a.dtype.field.cpp}, plugingen::Scalar::{a.dtype.scalar}, offsetof(Fields, {a.name})" in source
    onnx_module = dict(codegen.generate(compiled).python)["onnx_plugins.py"]
    assert f"ONNX_ELEM_TYPE = {dict((d.abbr, d.onnx) for d in DType)!r}" in onnx_module


def test_triton_spellings():
    assert DType.named("fp8e4nv") is DType.named("fp8e4m3") is DType.FP8E4M3
    assert DType.FP8E4M3.triton == "fp8e4nv" and DType.FP8E5M2.triton == "fp8e5" and DType.FP16.triton == "fp16"
    assert DType.FP8E4M3.min_arch == 89 and DType.FP16.min_arch == 0


def test_hints_know_their_condition():
    assert [h.condition("x") for h in Hint] == ["true", "x % 16 == 0", "x == 1"]
    assert [h.holds(32) for h in Hint] == [True, True, False] and Hint.ONE.holds(1)
    assert [h.passed for h in Hint] == [True, True, False]
    assert Variant(("16", "", "1")).hints == (Hint.DIV16, Hint.NONE, Hint.ONE) and Variant(("16", "", "1")).rank == 2
