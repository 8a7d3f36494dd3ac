"""Codegen from hand-made compiled kernels (no Triton compile): ordered checks of the properties that matter, a
committed golden of one plugin, determinism, and escaping."""
import dataclasses
import re
from pathlib import Path

import pytest

from conftest import EXAMPLES, TEST_KERNELS
from plugingen import codegen
from plugingen.config import load_config
from plugingen.model import CompiledConfig, CompiledKernel, Image, LaunchParam
from plugingen.plan import make_plan

GOLDEN = Path(__file__).parent / "golden"


def fake_compiled(config_path, archs=(80, 90), scratch=0, max_variants=None):
    """Compiled kernels with made-up images: parameters as Triton 3.6 lays them out (+2 hidden scratch pointers);
    the config's own hint variants unless ``max_variants`` is given."""
    spec = load_config(config_path, max_variants=max_variants)
    compiled = []
    for kernel in make_plan(spec, archs).kernels:
        images = []
        for index, planned in enumerate(kernel.images):
            point, arch = planned.point, planned.arch
            params = tuple(LaunchParam(a.name, 8 if a.is_tensor else a.dtype.size, False)
                           for a in kernel.spec.launched(point.variant))
            params += (LaunchParam("global_scratch", 8, True), LaunchParam("profile_scratch", 8, True))
            images.append(Image(point, arch, kernel.spec.kernel_name,
                                bytes(range(40)) + bytes([index % 256]) if planned.cubin else b"",
                                f"// ptx {index}\n" if planned.ptx else "", f"sm_{arch}{'a' if arch >= 90 else ''}",
                                1024, 4, params, scratch if arch >= 90 else 0, 128 if scratch else 1))
        compiled.append(CompiledKernel(kernel, tuple(images)))
    return CompiledConfig(spec, tuple(compiled), tuple(archs), "3.6.0")


def plugin_source(config_path, kernel=None):
    compiled = fake_compiled(config_path)
    files = dict(codegen.generate(compiled).files)
    name = kernel or compiled.kernels[0].spec.kernel_name
    return files[f"{name}_plugin.cpp"], files


def check_order(text, *needles):
    """Each needle occurs, in this order (FileCheck's CHECK lines)."""
    position = 0
    for needle in needles:
        found = text.find(needle, position)
        assert found >= 0, f"not found after offset {position}: {needle}"
        position = found + len(needle)


def test_golden_vector_add(request):
    source, _ = plugin_source(EXAMPLES / "vector_add" / "kernel_config.py")
    golden = GOLDEN / "vector_add_kernel_plugin.cpp"
    if request.config.getoption("--update-golden"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(source)
    assert source == golden.read_text(), "generated code changed; review and rerun with --update-golden"


def test_empty_grid_and_empty_outputs_launch_nothing():
    source, files = plugin_source(EXAMPLES / "vector_add" / "kernel_config.py")
    check_order(source, "launch.empty = !plugingen::makeGrid(plugingen::ceildiv(v_n, int64_t{1024})")
    check_order(files["include/plugingen/runtime.h"], "checkedLaunch(inputDesc, outputDesc);",
                "bool const launches = !launch.empty && anyElements(outputDesc, kNbOutputs);", "K::launch(")


def test_scalars_are_packed_at_their_true_width():
    source, _ = plugin_source(TEST_KERNELS / "scale_shift_config.py")
    check_order(source, "float alpha{};", "float beta{};", "float arg_alpha = fields.alpha;",
                "float arg_beta = fields.beta;", "int32_t arg_n = launch.n;",
                "void* params[]{&arg_x, &arg_out, &arg_alpha, &arg_beta, &arg_n, &noScratch, &noScratch};")
    assert "double" not in source.split("static void launch(")[1]
    fill, _ = plugin_source(TEST_KERNELS / "fill_index_config.py")
    check_order(fill, "int64_t offset{};", "int64_t n{};", "launch.n = plugingen::narrow<int64_t>(v_n, \"n\");")


def test_variants_most_specialised_first_and_loud_failure_without_generic():
    source, _ = plugin_source(EXAMPLES / "fmha" / "kernel_config.py")
    check_order(source, "// variant 0: Out % 16 == 0", "seq_len % 16 == 0",
                "kernels.launch(launch.variant + 0,", "// variant 1: Out % 16 == 0",
                "kernels.launch(launch.variant + 1,",
                'plugingen::fail(std::string("no compiled variant of fused_attention_kernel accepts these arguments')
    generic, _ = plugin_source(EXAMPLES / "vector_add" / "kernel_config.py")
    assert "plugingen::fail(std::string(\"no compiled variant" not in generic
    check_order(generic, "// variant 1: generic (no hints)", "if (true)")


def test_output_shapes_from_rules():
    source, _ = plugin_source(EXAMPLES / "fmha" / "kernel_config.py")
    check_order(source, "plugingen::checkRank(inputs[0].nbDims, 4, false, \"Q\"",
                "plugingen::checkDimExpr(*inputs[0].d[3], 64, \"Q\", 3,",  # literal dims: checked when known
                "plugingen::checkRank(inputs[2].nbDims, 4, false, \"V\"", "outputs[0].nbDims = 4;",
                "outputs[0].d[3] = exprBuilder.constant(64);", "outputs[1].nbDims = 3;",
                "outputs[1].d[0] = inputs[0].d[0];", "outputs[1].d[2] = inputs[0].d[2];", "outputs[2].nbDims = 3;")
    check_order(source, "plugingen::checkDim(in[0].dims.d[3], 64, \"Q\", 3,",
                "plugingen::checkSameDim(in[0].dims.d[2], in[1].dims.d[2], \"s\",",
                "// constraint kernel_config.py:",
                "if (static_cast<int64_t>(static_cast<int64_t>(fields.num_heads) == v_heads) == 0)",
                "plugingen::failConstraint(\"num_heads == heads\", {{\"heads\", v_heads}, "
                "{\"num_heads\", static_cast<int64_t>(fields.num_heads)}});",
                "launch.empty = !plugingen::makeGrid(")


def test_images_tu_lists_every_variant_and_arch_and_ptx_for_the_generic_variant():
    _, files = plugin_source(EXAMPLES / "vector_add" / "kernel_config.py")
    images = files["vector_add_kernel_images.cpp"]
    entries = re.findall(r"\{(\d+), (\d+), (true|false), kImage\d+", images)
    assert entries == [("0", "80", "false"), ("0", "90", "false"),
                       ("1", "80", "false"), ("1", "80", "true"), ("1", "90", "false")]


def test_identical_images_are_stored_once():
    compiled = fake_compiled(EXAMPLES / "vector_add" / "kernel_config.py")
    kernel = compiled.kernels[0]
    same = tuple(dataclasses.replace(i, cubin=b"same cubin" if i.cubin else b"") for i in kernel.images)
    compiled = dataclasses.replace(compiled, kernels=(dataclasses.replace(kernel, images=same),))
    images = dict(codegen.generate(compiled).files)["vector_add_kernel_images.cpp"]
    literals = re.findall(r"unsigned char const (kImage\d+)\[\]", images)
    table = re.findall(r"\{\d+, \d+, (?:true|false), (kImage\d+), (\d+),", images)
    assert len(literals) == 2  # the four cubins share one literal; the PTX has its own
    assert len(table) == 5 and {name for name, _ in table} == set(literals)
    assert {size for name, size in table if name == literals[0]} == {str(len(b"same cubin"))}


def test_generation_is_deterministic():
    a = codegen.generate(fake_compiled(TEST_KERNELS / "two_kernels_config.py"))
    b = codegen.generate(fake_compiled(TEST_KERNELS / "two_kernels_config.py"))
    assert a == b
    assert all(text.startswith(("// @generated", "# @generated", "{")) or name.startswith("include/")
               for name, text in a.files)


@pytest.mark.parametrize("text,literal", [("a", '"a"'), ('q"\\', '"q\\"\\\\"'), ("é", '"\\303\\251"')])
def test_cpp_string_escapes(text, literal):
    assert codegen.cpp_string(text) == literal


def test_cpp_keywords_become_safe_identifiers():
    assert codegen.cpp_ident("new") == "new_" and codegen.cpp_ident("alpha") == "alpha"


def test_global_scratch_comes_from_the_workspace():
    compiled = fake_compiled(TEST_KERNELS / "tma_scale_config.py", scratch=256)
    source = dict(codegen.generate(compiled).files)["tma_scale_kernel_plugin.cpp"]
    check_order(source, "static constexpr size_t kScratchBytes{256};", "static constexpr uint64_t kScratchAlign{128};",
                "static size_t workspaceBytes(", "plugingen::Range const r_M = plugingen::dimRange(in[0], 0);",
                "return plugingen::scratchBytes(plugingen::range::ceildiv(r_M, plugingen::Range::exactly(int64_t{64})),",
                "&arg_N, &globalScratch, &noScratch};")
    runtime = dict(codegen.generate(compiled).files)["include/plugingen/runtime.h"]
    check_order(runtime, "size_t getWorkspaceSize(", "if constexpr (K::kScratchBytes == 0)", "return 0;",
                "for (int32_t tactic = 0; tactic < K::kNbTactics; ++tactic)",
                "K::workspaceBytes(mFields, inputs, tactic)",
                "alignUp(reinterpret_cast<uintptr_t>(workspace), K::kScratchAlign)")
    plain, _ = plugin_source(EXAMPLES / "vector_add" / "kernel_config.py")
    assert "kScratchBytes{0};" in plain and "&globalScratch" not in plain
