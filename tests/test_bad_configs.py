"""Every user mistake gets one clear error (STYLE rules 15-17, 21).

Each case runs ``plugingen.cli.main`` in-process and checks: exit status 2, exactly one ``error:`` line with
the exact message, placed at ``file:line`` of the mistake (the line carrying ``# <-- error`` in the config or
in the kernel file it names; no marker: the file alone), no traceback, and a previous good ``output/`` left
byte for byte as it was. The configs live in ``tests/bad_configs/`` (see its README); the good build they
must not disturb is made once per session from ``tests/bad_configs/good_config.py``.

Also here: a config written for TensorRT-LLM's PluginGen loads unchanged, and the DSL behaves as PluginGen's.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import sys
from pathlib import Path

import pytest

from plugingen import dsl
from plugingen.cli import main
from plugingen.config import load_config
from plugingen.dsl import ArgKind, Argument, Constexpr, DimSizeArg, DType, InputArg, KernelMetaData, OutputArg, \
    ParamArg, Type
from plugingen.errors import ConfigError

HERE = Path(__file__).resolve().parent / "bad_configs"
MARK = "# <-- error"
ARCH = "80"

# config (tests/bad_configs/<name>.py) -> the exact message after "error: "; {dir} is tests/bad_configs
CASES = {
    # the config file itself
    "config_syntax_error": "syntax error in kernel config: invalid syntax. Perhaps you forgot a comma?",
    "reserved_argument_name": "ParamArg name 'network' is reserved: it is an argument of the generated Python "
                              "functions (hint: rename the kernel parameter)",
    "reserved_kernel_name": "kernel_name 'register_plugins' is reserved: its Python function 'register_plugins' in "
                            "the generated modules would clash (hint: rename the kernel, or give the plugin another "
                            "name (plugin_name=...))",
    "config_raises": "kernel config raised ValueError: invalid literal for int() with base 10: '256 elements'",
    "missing_kernels": "kernel config defines no KERNELS list (hint: did you mean KERNEL?)",
    "empty_kernels": "KERNELS is empty (hint: add at least one KernelMetaData)",
    "not_a_list_of_kernels": "KERNELS must be a list of KernelMetaData, got KernelMetaData "
                             "(hint: write KERNELS = [KernelMetaData(...), ...])",
    "unknown_field": "KernelMetaData has no field 'grid_dim' (valid: kernel_name, ios, shape_infer_rules, version, "
                     "kernel_file, num_warps, num_stages, grid_dims, namespace, configs, domains, constraints, dtypes, "
                     "signatures, num_ctas, launch_pdl, launch_cooperative_grid, heuristics, plugin_name) (hint: did "
                     "you mean grid_dims?)",
    "duplicate_kernel_name": "duplicate plugin name 'add_kernelPlugin' (first at line 5) "
                             "(hint: a kernel built as several plugins needs a plugin_name=... for each)",
    "duplicate_plugin_name": "duplicate plugin name 'add' (first at line 5) "
                             "(hint: give one of them another plugin_name=...)",
    "plugin_name_not_identifier": "plugin_name 'add-2' is not a valid identifier",
    "kernel_name_not_identifier": "kernel_name 'add-kernel' is not a valid identifier",
    "negative_version": "version of kernel 'add_kernel' must be a non-negative integer, got -1",
    "positional_fields": "version of kernel 'add_kernel' must be a non-negative integer, got -2",
    "num_warps_not_power_of_two": "num_warps of kernel 'add_kernel' must be a power of two from 1 to 32, got 3",
    "namespace_invalid": "namespace 'my plugins' may hold only letters, digits, '_', '.' and ':'",
    # the kernel file
    "kernel_file_empty": "kernel 'add_kernel' has no kernel_file "
                         "(hint: set kernel_file to the .py file that defines the @triton.jit kernel)",
    "kernel_file_missing": "kernel file no_such_kernels.py not found: {dir}/no_such_kernels.py",
    "kernel_syntax_error": "syntax error in kernel file kernels_syntax_error.py: '(' was never closed",
    "kernel_relative_import": "kernel file relative_import_kernels.py raised ImportError: attempted relative import "
                              "with no known parent package (hint: a file with relative imports belongs to a "
                              "package: put an __init__.py beside relative_import_kernels.py (plugingen then imports "
                              "it as a module of that package))",
    "kernel_import_error": "kernel file kernels_import_error.py raised ModuleNotFoundError: "
                           "No module named 'triton_helpers_that_do_not_exist'",
    "kernel_name_absent": "kernel 'add_kernl' is not defined in {dir}/kernels.py "
                          "(its Triton kernels: add_kernel, reserved_kernel, scale_kernel, tuned_kernel)",
    "kernel_not_jit": "'plain_function' in {dir}/kernels.py is not a @triton.jit kernel",
    "kernel_autotuned": "ios of kernel 'tuned_kernel' gives BLOCK, which the autotune configs set (hint: leave out "
                        "of ios what the decorators (or configs) set, as kernel[grid](...) does)",
    # ios against the kernel's signature
    "ios_count_mismatch": "kernel 'add_kernel' takes 5 parameters from ios (x, y, out, n, BLOCK) but ios lists 4 "
                          "entries; missing: n (hint: ios must follow the kernel's parameters one to one, in order)",
    "ios_not_arguments": "ios[1] of kernel 'add_kernel' is 'y', not an InputArg, OutputArg, ParamArg, DimSizeArg "
                         "or Constexpr",
    "arg_name_mismatch": "InputArg 'b' is at the position of kernel parameter 'y' "
                         "(hint: ios must use the kernel's parameter names, in order)",
    "duplicate_arg_name": "duplicate argument name 'x' (first at line 9) at the position of kernel parameter 'y'",
    "arg_unknown_keyword": "InputArg has no argument 'hint' (valid: name, dtype, hints, block_shape)",
    "constexpr_for_plain_param": "Constexpr(1024) is given for kernel parameter 'n', which is not tl.constexpr "
                                 "(hint: annotate 'n: tl.constexpr' or pass it as an argument)",
    "arg_for_constexpr_param": "kernel parameter 'BLOCK' is tl.constexpr but ios gives a ParamArg "
                               "(hint: use Constexpr(<value>) for 'BLOCK')",
    "constexpr_bad_value": "Constexpr value must be an int, float, bool, str or None, got [256]",
    "no_inputs": "kernel 'add_kernel' has no InputArg; a plugin needs at least one input",
    "no_outputs": "kernel 'add_kernel' has no OutputArg; a plugin needs at least one output",
    # types
    "unknown_dtype": "unknown dtype 'fp17' (valid: fp16, bf16, fp32, fp64, i8, i32, i64, u8, i1, fp8e4m3, fp8e5m2)",
    "numpy_dtype_name": "unknown dtype 'float32' (valid: fp16, bf16, fp32, fp64, i8, i32, i64, u8, i1, fp8e4m3, fp8e5m2) "
                        "(hint: plugingen writes float32 as 'fp32')",
    "input_scalar_type": "InputArg 'y' has scalar type fp32; plugin inputs and outputs are tensors (hint: write "
                         "Type('tensor[...]'); use ParamArg for a build-time scalar or DimSizeArg for a shape-derived "
                         "one)",
    "input_uint8": "InputArg 'y' has type tensor[u8]: TensorRT does not support DataType::kUINT8 for plugin inputs "
                   "and outputs (NvInferRuntime.h, PluginTensorDesc::type) (hint: pass it as i8 (or i32) and convert "
                   "in the kernel)",
    "output_bool": "OutputArg 'out' has type tensor[i1]: TensorRT does not support DataType::kBOOL for plugin inputs "
                   "and outputs (NvInferRuntime.h, PluginTensorDesc::type) (hint: pass it as i8 (or i32) and convert "
                   "in the kernel)",
    "param_tensor_type": "ParamArg 'y' has tensor type tensor[fp32]; ParamArgs are scalars stored as plugin fields "
                         "(hint: use InputArg for a tensor)",
    "param_no_field_type": "ParamArg 'y' has type i1, which has no TensorRT plugin field type "
                           "(valid: fp16, bf16, fp32, fp64, i8, i32, i64)",
    "dim_size_float": "DimSizeArg 'n' has type fp32; a dim size is i32 or i64",
    # hints
    "hint_lengths_differ": "hint lists of kernel 'add_kernel' have different lengths (x: 2, y: 1) "
                           "(hint: every hinted argument needs one hint per variant)",
    "hint_invalid": "hint '8' of 'y' is not one of '16', '1', '' "
                    "(hint: '16' = divisible by 16, '1' = equal to 1, '' = no assumption)",
    "hint_not_a_list": "hints must be a list of strings like ['16', ''], got '16'",
    "hint_on_float_param": "hint '16' on floating-point 'alpha' is meaningless "
                           "(hint: hints apply to pointers and integers; use '' or drop hints)",
    "hint_one_on_tensor": "hint '1' on tensor 'y': a pointer cannot equal 1 (hint: use '16' for alignment)",
    # shape and dim-size rules
    "rule_unbalanced_bracket": "shape rule 'x[d -> out[d]': expected ',' or ']' at column 5",
    "rule_unbalanced_paren": "shape rule 'x[d] -> out[(d + 1))]': unmatched ')' at column 20",
    "rule_stray_token": "shape rule 'x[d] -> out[d] out': unexpected 'out' at column 16",
    "rule_empty": "shape rule '': empty text at column 1",
    "rule_unknown_tensor": "rule 'z[d] -> out[d]': left-hand tensor 'z' is not an argument of this kernel; "
                           "rules read InputArgs (InputArgs: x, y)",
    "rule_unknown_dim": "shape rule 'x[d] -> out[e]': 'e' is not a dim name of the patterns left of '->' "
                        "at column 13",
    "rule_output_is_input": "rule 'x[d] -> out[d], y[d]': right-hand tensor 'y' is an InputArg; shape rules "
                            "define OutputArgs (OutputArgs: out)",
    "rule_reads_param": "rule 'n[d] : d -> n': left-hand tensor 'n' is a DimSizeArg; rules read InputArgs "
                        "(InputArgs: x, y)",
    "rule_target_not_dim_size": "rule 'x[d] : d -> y': target 'y' is an InputArg; a ':' rule computes a "
                                "DimSizeArg or a launch value (a name that is not a kernel parameter) (DimSizeArgs: n)",
    # decorators and launch values (tuned_kernels.py)
    "autotune_pre_hook": "@triton.autotune of 'hooked_kernel' has a pre_hook; a plugin cannot run Python at launch "
                         "(hint: remove it (reset_to_zero is supported))",
    "autotune_sets_argument": "the autotune configs of kernel 'sets_argument_kernel' set 'n', which is not "
                              "tl.constexpr (hint: configs and heuristics set meta-parameters; run-time values come "
                              "through ios)",
    "autotune_uneven_configs": "config 1 (BLOCK=256, num_warps=4, num_stages=3) of "
                               "'uneven_configs_kernel' does not set WIDE, which other configs set (hint: every config "
                               "must set the same meta-parameters)",
    "autotune_prune_needs_arguments": "early_config_prune of 'pruned_kernel' reads launch argument 'n', which a "
                                      "plugin build does not have: the configs are compiled before any launch (hint: "
                                      "list the configs to compile with KernelMetaData(configs=[triton.Config(...), "
                                      "...]); write what the prune checks per launch as constraints, e.g. "
                                      "constraints=['BLOCK <= n'])",
    "autotune_key_not_a_parameter": "config 0 (BLOCK_SIZE=128, num_warps=4, num_stages=3) of 'add_kernel' sets "
                                    "'BLOCK_SIZE', which is not a parameter of the kernel (its tl.constexpr "
                                    "parameters: BLOCK_N) (hint: did you mean BLOCK_N?)",
    "configs_key_not_a_parameter": "config 1 (BLOK=256, num_warps=4, num_stages=3) of 'add_kernel' sets 'BLOK', "
                                   "which is not a parameter of the kernel (its tl.constexpr parameters: BLOCK) "
                                   "(hint: did you mean BLOCK?)",
    "heuristic_read_by_next": "heuristic 'HALF' cannot become plugin code: '/' is true division (a float); use '//' "
                              "or cdiv() (hint: heuristics may use +, -, *, //, %, comparisons, and/or/not, if-else, "
                              "min, max, cdiv and next_power_of_2 over scalar arguments and constexprs)",
    "arg_name_not_a_string": "DimSizeArg name must be a string, got None",
    "output_name_not_a_string": "OutputArg name must be a string, got 0",
    "rule_constant_fails": "the rule of 'n' computes 4 // (2 - 2), which fails: integer division or modulo by zero",
    "heuristic_overflows": "heuristic 'BLOCK' fails: 2 ** 63 does not fit in int64",
    "kernel_runs_gpu_work": "kernel file kernels_gpu_at_import.py runs GPU work when imported "
                            "(triton.runtime.driver.active.get_current_stream needs a GPU); plugingen imports it "
                            "without a GPU (hint: put the file's test code under 'if __name__ == \"__main__\":', or "
                            "move the kernel into a module of its own and name that in kernel_file)",
    "autotune_restore_value": "@triton.autotune of 'restoring_kernel' restores out: the kernel updates them in "
                              "place, and a plugin's inputs are read-only (hint: drop restore_value)",
    "autotune_reset_input": "reset_to_zero of 'reset_input_kernel' names 'x', which is not an OutputArg (hint: a "
                            "plugin can zero its outputs before a launch; its inputs are read-only)",
    "autotune_num_warps_given": "num_warps of kernel 'tuned_kernel' is set per config by @triton.autotune "
                                "(hint: remove num_warps from the KernelMetaData)",
    "heuristic_reads_tensor": "heuristic 'EVEN' cannot become plugin code: 'args['x'].numel()' is not one of min, "
                              "max, next_power_of_2, cdiv, int, bool (hint: heuristics may use +, -, *, //, %, "
                              "comparisons, and/or/not, if-else, min, max, cdiv and next_power_of_2 over scalar "
                              "arguments and constexprs)",
    "heuristic_needs_domain": "heuristic 'BLOCK' = next_power_of_2(n) takes a value per launch that plugingen cannot "
                              "list: no constraint bounds n (hint: add constraints=['n <= ...'], or list its values: "
                              "domains={{'BLOCK': [...]}})",
    "heuristic_true_division": "heuristic 'SCALE' cannot become plugin code: '/' is true division (a float); use "
                               "'//' or cdiv() (hint: heuristics may use +, -, *, //, %, comparisons, and/or/not, "
                               "if-else, min, max, cdiv and next_power_of_2 over scalar arguments and constexprs)",
    "domains_unknown_name": "domains names 'WIDTH', which no @triton.heuristics of 'sized_heuristic_kernel' sets "
                            "(heuristics: BLOCK)",
    "launch_value_unused": "launch value 'twice' (a ':' rule's target that is not a kernel parameter) is used by no "
                           "grid expression or constraint (hint: use it in grid_dims or constraints, or remove the "
                           "rule)",
    "numel_in_grid": "grid_dims x 'cdiv(numel(x), 128)': numel() is only available in rules at column 6",
    "kernel_names_collide": "plugins 'copy_kernelPlugin' and '_copy_kernelPlugin' both become the Python function "
                            "'copy_kernel' (a trailing 'Plugin' and leading underscores are dropped) (hint: rename one "
                            "of them (plugin_name=...))",
    "constraint_unknown_name": "constraint 'n <= limit': unknown name 'limit' (usable: BLOCK, n, num_sms)",
    "constraint_not_a_condition": "constraint 'n % 16': is not a condition (compare it, e.g. 'n <= 1024')",
    "constraint_syntax_error": "constraint 'n <= ': invalid syntax",
    "rule_from_variable": "rule 'x[d] : d -> y': target 'y' is an InputArg; a ':' rule computes a DimSizeArg or a "
                          "launch value (a name that is not a kernel parameter) (DimSizeArgs: n)",
    "rule_division_by_zero": "shape rule 'x[d] -> out[d // 0]': division by literal zero at column 15",
    "output_without_rule": "OutputArg 'out' has no shape rule "
                           "(hint: add a rule like '<input>[...] -> out[...]' to shape_infer_rules)",
    "output_two_rules": "output 'out' has two shape rules (first at line 16)",
    "dim_size_without_rule": "DimSizeArg 'n' has no rule "
                             "(hint: add a rule like '<input>[a, b, *] : a * b -> n' to shape_infer_rules)",
    # grid
    "grid_unknown_name": "grid_dims x 'cdiv(size, 256)' uses unknown name 'size' (hint: grid expressions may use "
                         "BLOCK, n, num_sms (DimSizeArgs, launch values, the device's num_sms, integer ParamArgs and "
                         "integer constexprs))",
    "grid_tensor_name": "grid_dims y 'x' uses InputArg 'x' of type *fp32, not an integer scalar (hint: grid "
                        "expressions may use BLOCK, n, num_sms (DimSizeArgs, launch values, the device's num_sms, "
                        "integer ParamArgs and integer constexprs))",
    "grid_float_param": "grid_dims y 'alpha' uses ParamArg 'alpha' of type fp32, not an integer scalar (hint: grid "
                        "expressions may use BLOCK, n, num_sms (DimSizeArgs, launch values, the device's num_sms, "
                        "integer ParamArgs and integer constexprs))",
    "grid_two_entries": "grid_dims of kernel 'add_kernel' must be 3 expressions (x, y, z), "
                        "got ('cdiv(n, 256)', '1')",
    "grid_one_string": "grid_dims of kernel 'add_kernel' must be 3 expressions (x, y, z), got 'cdiv(n, 256), 1, 1'",
    "grid_division_by_zero": "grid_dims x 'cdiv(n, 0)': division by literal zero at column 1",
    "missing_import": "kernel config raised NameError: name 'KernelMetaData' is not defined (hint: add 'from "
                      "plugingen import *' at the top of the config)",
    "rule_target_wrong_case": "rule 'x[d] : d -> N' computes 'N', which is not a kernel parameter (hint: did you "
                              "mean DimSizeArg 'n'? (names are case-sensitive))",
    # dtype signatures, in-place outputs, fp8
    "type_var_undeclared": "unknown dtype 'T' of InputArg 'y' (valid: fp16, bf16, fp32, fp64, i8, i32, i64, u8, i1, fp8e4m3, fp8e5m2) (hint: or declare 'T' as a type "
                           "variable: dtypes={{'T': ['fp16', 'fp32']}})",
    "type_var_unused": "type variable 'U' of kernel 'add_kernel' types no argument (hint: write Type('tensor[U]') "
                       "where the kernel takes it, or remove it from dtypes)",
    "type_var_not_declared": "type variable 'U' of InputArg 'y' is not declared in dtypes (declared: T)",
    "dtypes_unknown_dtype": "unknown dtype 'float99' in dtypes['T'] (valid: fp16, bf16, fp32, fp64, i8, i32, i64, u8, i1, fp8e4m3, fp8e5m2)",
    "dtypes_not_a_dict": "dtypes of kernel 'add_kernel' must be a dict like {{'T': ['fp16', 'fp32']}}, got "
                         "['fp16', 'fp32']",
    "signature_not_listed": "signatures[0] gives T = 'bf16', which dtypes['T'] does not list (fp16, fp32)",
    "signature_missing_var": "signatures[0] of kernel 'add_kernel' is {{}}; each names every type variable (T) once",
    "signatures_without_dtypes": "signatures of kernel 'add_kernel' without dtypes (hint: declare the type variables "
                                 "in dtypes={{'T': [...]}}; signatures only restricts their combinations)",
    "signatures_same_inputs": "signatures (T=fp16, U=fp16) and (T=fp16, U=fp32) of kernel 'add_kernel' give the "
                              "inputs the same types: TensorRT tells signatures apart by their inputs' types (hint: a "
                              "type variable that no input uses can take one dtype per combination of the others; "
                              "list the combinations in signatures=[...])",
    "type_var_no_tensor_type": "InputArg 'x' has type tensor[fp64] (T=fp64), which TensorRT has no tensor type for",
    "param_type_var_mixed": "ParamArg 'alpha' has type T, an integer in some signatures and floating-point in "
                            "others: a plugin field has one type",
    "alias_unknown_input": "OutputArg 'out' has alias='z', which is not an InputArg of kernel 'add_kernel' "
                           "(InputArgs: x, y) (hint: alias names the input the kernel updates in place)",
    "alias_dtype_differs": "OutputArg 'out' (tensor[fp16]) aliases InputArg 'x' (tensor[fp32]): an in-place output "
                           "has its input's dtype",
    "alias_shape_differs": "rule 'y[d] -> out[d]' gives in-place OutputArg 'out' a shape that is not that of "
                           "InputArg 'x' (hint: write 'x[*] -> out[*]', or leave the rule out: an aliased output "
                           "has its input's shape)",
    "alias_twice": "OutputArg 'out' aliases InputArg 'x', which OutputArg 'y' already aliases (hint: an input can "
                   "be updated in place by one output)",
    "alias_reset_to_zero": "reset_to_zero of 'zeroed_kernel' names 'out', which is InputArg 'x' updated in place: "
                           "zeroing it would erase the input",
    "input_fp8e5m2": "InputArg 'y' has type tensor[fp8e5m2], which TensorRT has no tensor type for (hint: pass it "
                     "as i8 and bitcast in the kernel (x.to(tl.float8e5, bitcast=True)))",
    "fp8_needs_sm89": "kernel 'add_kernel' needs sm_89 or newer (fp8), but the build targets only sm_80 (hint: add "
                      "--arch 89 or 90)",
}
# where the marker is when it is not in the config itself
MARKED_IN = {"kernel_syntax_error": "kernels_syntax_error.py", "kernel_import_error": "kernels_import_error.py",
             "alias_reset_to_zero": "inplace_kernels.py", "kernel_runs_gpu_work": "kernels_gpu_at_import.py",
             "autotune_key_not_a_parameter": "kernels_config_keys.py",
             "heuristic_read_by_next": "kernels_heuristic_chain.py",
             "kernel_relative_import": "relative_import_kernels.py"}
# errors in the shared tuned_kernels.py: the text on the line they point at (a file holds one '# <-- error' only)
LINE_IN_TUNED_KERNELS = {
    "autotune_pre_hook": "key=[\"n\"], pre_hook=_zero)", "autotune_uneven_configs": "\"WIDE\": True",
    "autotune_prune_needs_arguments": "_keep_small})", "autotune_restore_value": "restore_value=[\"out\"])",
    "autotune_reset_input": "reset_to_zero=[\"x\"])", "heuristic_reads_tensor": "numel()",
    "heuristic_needs_domain": "triton.next_power_of_2(args[\"n\"])", "heuristic_true_division": "/ 2",
}


# ------------------------------------------------------------------------------------------------ helpers
def run_cli(capsys, *args: str) -> tuple[int, str]:
    """``main(args)`` -> (exit status, stderr); restores what ``main`` changes in the process."""
    environ, bytecode = dict(os.environ), sys.dont_write_bytecode
    try:
        try:
            rc = main(list(args))
        except SystemExit as exc:  # argparse
            rc = exc.code
        return rc, capsys.readouterr().err
    finally:
        os.environ.clear()
        os.environ.update(environ)
        sys.dont_write_bytecode = bytecode


def snapshot(folder: Path) -> dict:
    """Every file under ``folder`` but the lock (which names the last build's process): content hash, mode, mtime."""
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mode,
                                         p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".lock"}


def marked_line(path: Path) -> int:
    lines = [i for i, text in enumerate(path.read_text().splitlines(), 1) if MARK in text]
    assert len(lines) <= 1, f"{path} has several {MARK!r} markers"
    return lines[0] if lines else 0


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "error:" in line]


def assert_one_error(stderr: str, where: str, message: str) -> None:
    """``where`` is ``file`` or ``file:line``; a column may follow the line."""
    assert "Traceback" not in stderr, stderr
    errors = error_lines(stderr)
    assert len(errors) == 1, stderr
    pattern = re.escape(where) + (r"(:\d+)?" if re.search(r":\d+$", where) else "") + ": error: " + re.escape(message)
    assert re.fullmatch(pattern, errors[0]), f"\n got: {errors[0]}\nwant: {where}: error: {message}"


class Workspace:
    """A workspace with a good build in it, and a check that nothing under it changed since."""

    def __init__(self, path: Path, cache: Path) -> None:
        self.path = path
        self.cache = cache  # the session's shared AOT cache
        self.before = snapshot(path / "output")
        assert {"libtriton_plugins.so", "functional.py", "manifest.json"} <= set(self.before)

    def assert_output_intact(self) -> None:
        assert snapshot(self.path / "output") == self.before
        assert not list(self.path.glob(".output*")), "a staging folder was left behind"


@pytest.fixture(scope="session")
def good_workspace(tmp_path_factory, aot_cache):
    """One good build, shared: the bad configs run against it and must leave its output/ untouched."""
    workspace = tmp_path_factory.mktemp("bad-configs-ws")
    environ, bytecode = dict(os.environ), sys.dont_write_bytecode
    try:
        rc = main(["--workspace", str(workspace), "--kernel_config", str(HERE / "good_config.py"), "--arch", ARCH,
                   "--cache-dir", str(aot_cache)])
    finally:
        os.environ.clear()
        os.environ.update(environ)
        sys.dont_write_bytecode = bytecode
    assert rc == 0
    return Workspace(workspace, aot_cache)


@pytest.fixture
def copied_workspace(good_workspace, tmp_path):
    """A fresh workspace holding a copy of the good output/ (for failures that write src/ or build/)."""
    shutil.copytree(good_workspace.path / "output", tmp_path / "ws" / "output", copy_function=shutil.copy2)
    return Workspace(tmp_path / "ws", good_workspace.cache)


def build(capsys, workspace: Workspace, config: Path, *extra: str) -> tuple[int, str]:
    return run_cli(capsys, "--workspace", str(workspace.path), "--kernel_config", str(config), "--arch", ARCH,
                   "--cache-dir", str(workspace.cache), *extra)


# ------------------------------------------------------------------------------------------------ config mistakes
def test_every_bad_config_has_a_case():
    helpers = {"good_config", "triton_compile_error", "kernels", "kernels_syntax_error", "kernels_import_error",
               "tuned_kernels", "warning_unchecked_input", "inplace_kernels", "kernels_gpu_at_import",
               "kernels_config_keys", "kernels_heuristic_chain", "kernels_compile_errors",
               "triton_compile_error_domain", "triton_compile_error_static_assert", "relative_import_kernels"}
    files = {p.stem for p in HERE.glob("*.py")} - helpers
    assert files == set(CASES)
    assert len(CASES) >= 30


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_config(name, good_workspace, capsys):
    config = HERE / f"{name}.py"
    marked = HERE / MARKED_IN.get(name, config.name)
    line = marked_line(marked)
    if name in LINE_IN_TUNED_KERNELS:
        marked = HERE / "tuned_kernels.py"
        lines = marked.read_text().splitlines()
        line = next(i for i, text in enumerate(lines, 1) if LINE_IN_TUNED_KERNELS[name] in text)
        # a decorator error points at the first decorator of its kernel
        while name.startswith("autotune") and not lines[line - 1].startswith("@triton.autotune"):
            line -= 1
    where = f"{marked}:{line}" if line else str(marked)
    before = snapshot(good_workspace.path)  # a config error touches nothing in the workspace
    rc, stderr = build(capsys, good_workspace, config)
    assert rc == 2
    assert_one_error(stderr, where, CASES[name].format(dir=HERE))
    assert snapshot(good_workspace.path) == before
    good_workspace.assert_output_intact()


def test_bad_config_in_a_fresh_workspace_writes_no_output(tmp_path, capsys):
    rc, stderr = run_cli(capsys, "--workspace", str(tmp_path / "ws"), "--kernel_config",
                         str(HERE / "rule_unknown_dim.py"), "--arch", ARCH)
    assert rc == 2 and len(error_lines(stderr)) == 1
    assert not (tmp_path / "ws" / "output").exists()


# ------------------------------------------------------------------------------------------------ command line
def test_config_not_found(good_workspace, capsys):
    missing = HERE / "no_such_config.py"
    rc, stderr = build(capsys, good_workspace, missing)
    assert rc == 2
    assert error_lines(stderr) == [f"error: kernel config not found: {missing}"]
    good_workspace.assert_output_intact()


def test_config_not_python(good_workspace, tmp_path, capsys):
    config = tmp_path / "kernel_config.yaml"
    config.write_text("KERNELS: []\n")
    rc, stderr = build(capsys, good_workspace, config)
    assert rc == 2
    assert_one_error(stderr, str(config), "kernel config must be a .py file, got kernel_config.yaml")
    good_workspace.assert_output_intact()


def test_config_is_a_folder(good_workspace, capsys):
    rc, err = run_cli(capsys, "--workspace", str(good_workspace.path), "--kernel_config", str(HERE))
    assert rc == 2 and err.strip() == (f"{HERE}: error: kernel config {HERE} is a folder, not a .py file (hint: pass "
                                       "the config file itself)")
    good_workspace.assert_output_intact()


def test_kernel_file_unreadable(good_workspace, tmp_path, capsys):
    shutil.copy(HERE / "good_config.py", tmp_path / "kernel_config.py")
    kernels = tmp_path / "kernels.py"
    shutil.copy(HERE / "kernels.py", kernels)
    kernels.chmod(0)
    try:
        if os.access(kernels, os.R_OK):
            pytest.skip("this user (root?) can read a mode-000 file")
        rc, stderr = build(capsys, good_workspace, tmp_path / "kernel_config.py")
    finally:
        kernels.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert rc == 2
    line = next(i for i, text in enumerate((tmp_path / "kernel_config.py").read_text().splitlines(), 1)
                if "kernel_file=" in text)
    assert_one_error(stderr, f"{tmp_path / 'kernel_config.py'}:{line}",
                     f"cannot read kernel file kernels.py: Permission denied: {kernels}")
    good_workspace.assert_output_intact()


def test_kernel_file_is_a_folder(good_workspace, tmp_path, capsys):
    """The same path as an unreadable file, and testable as root."""
    config = tmp_path / "kernel_config.py"
    shutil.copy(HERE / "good_config.py", config)
    (tmp_path / "kernels.py").mkdir()
    rc, stderr = build(capsys, good_workspace, config)
    assert rc == 2
    line = next(i for i, text in enumerate(config.read_text().splitlines(), 1) if "kernel_file=" in text)
    assert_one_error(stderr, f"{config}:{line}",
                     f"cannot read kernel file kernels.py: Is a directory: {tmp_path / 'kernels.py'}")
    good_workspace.assert_output_intact()


def test_workspace_is_a_file(tmp_path, capsys):
    workspace = tmp_path / "ws"
    workspace.write_text("not a folder\n")
    rc, stderr = run_cli(capsys, "--workspace", str(workspace), "--kernel_config", str(HERE / "good_config.py"))
    assert rc == 2
    assert error_lines(stderr) == [f"error: workspace {workspace} exists and is not a folder"]
    assert workspace.read_text() == "not a folder\n"


def test_workspace_not_writable(copied_workspace, capsys):
    workspace = copied_workspace.path
    workspace.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        if os.access(workspace, os.W_OK):
            pytest.skip("this user (root?) can write a read-only folder")
        rc, stderr = run_cli(capsys, "--workspace", str(workspace), "--kernel_config", str(HERE / "good_config.py"))
    finally:
        workspace.chmod(stat.S_IRWXU)
    assert rc == 2
    assert error_lines(stderr) == [f"error: workspace {workspace} is not writable: Permission denied"]
    copied_workspace.assert_output_intact()


def test_cache_dir_is_a_file(copied_workspace, tmp_path, capsys):
    cache = tmp_path / "cache-file"
    cache.write_text("")
    rc, stderr = run_cli(capsys, "--workspace", str(copied_workspace.path), "--kernel_config",
                         str(HERE / "good_config.py"), "--arch", ARCH, "--cache-dir", str(cache))
    assert rc == 2 and len(error_lines(stderr)) == 1 and "Traceback" not in stderr
    copied_workspace.assert_output_intact()


def test_unknown_arch(good_workspace, capsys):
    rc, stderr = build(capsys, good_workspace, HERE / "good_config.py", "--arch", "81")
    assert rc == 2
    assert "argument --arch: unknown arch '81' (supported: 75, 80, 86, 87, 89, 90, 100, 103, 120, 121;" in stderr
    good_workspace.assert_output_intact()


@pytest.mark.parametrize("args, message", [
    (["--arch", "80a"], "argument --arch: '80a': sm_80 has no arch-specific target (those start at sm_90a)"),
    (["--arch", "90", "--ptx-arch", "90a"], "argument --ptx-arch: --ptx-arch 90a: Triton compiles sm_90 and newer "
                                            "arch-specifically, which no other GPU can JIT-compile"),
])
def test_arch_specific_mistakes(good_workspace, capsys, args, message):
    rc, stderr = build(capsys, good_workspace, HERE / "good_config.py", *args)
    assert rc == 2 and message in stderr and len(error_lines(stderr)) == 1
    good_workspace.assert_output_intact()


def test_no_jobs(good_workspace, capsys):
    rc, stderr = build(capsys, good_workspace, HERE / "good_config.py", "-j", "0")
    assert rc == 2
    assert error_lines(stderr) == ["plugingen: error: -j must be at least 1"]
    good_workspace.assert_output_intact()


# ------------------------------------------------------------------------------------------------ toolchain
def test_triton_compile_error(copied_workspace, capsys):
    """Constexpr(1000) sizes a tl.arange: Triton's own message, at the kernel line once aot.py passes it on."""
    rc, stderr = build(capsys, copied_workspace, HERE / "triton_compile_error.py")
    assert rc == 2
    assert "Traceback" not in stderr
    kernels = HERE / "kernels.py"
    line = next(i for i, text in enumerate(kernels.read_text().splitlines(), 1) if "tl.arange(0, BLOCK)" in text)
    [error] = error_lines(stderr)
    assert re.fullmatch(rf"{re.escape(str(kernels))}:{line}:\d+: error: Triton failed to compile 'add_kernel' "
                        r"for sm_80: arange's range must be a power of 2", error), error
    copied_workspace.assert_output_intact()


@pytest.mark.parametrize("config, line_text, message", [
    ("triton_compile_error_domain", "offs = tl.program_id(0) * d + tl.arange(0, BLOCK_D)",
     "Triton failed to compile 'rows_kernel' for sm_80 (BLOCK_D=96): arange's range must be a power of 2"),
    ("triton_compile_error_static_assert", "tl.static_assert(BLOCK % 64 == 0)",
     "Triton failed to compile 'asserting_kernel' for sm_80: tl.static_assert(BLOCK % 64 == 0) failed"),
])
def test_triton_compile_error_names_the_image(copied_workspace, capsys, config, line_text, message):
    """A domain value Triton rejects is named (BLOCK_D=96); a static assertion without a message is reported by
    its condition, not by Triton's bare '^'."""
    rc, stderr = build(capsys, copied_workspace, HERE / f"{config}.py")
    assert rc == 2
    assert "Traceback" not in stderr
    kernels = HERE / "kernels_compile_errors.py"
    line = next(i for i, text in enumerate(kernels.read_text().splitlines(), 1) if line_text in text)
    assert_one_error(stderr, f"{kernels}:{line}", message)
    copied_workspace.assert_output_intact()


def test_listing_the_unset_parameter_gives_the_same_error(tmp_path, capsys):
    """The configs set BLOCK_SIZE, the kernel has BLOCK_N: listing BLOCK_N in ios (as an earlier, misleading message
    asked) still gives the one error about the configs' key, never 'ios ... gives , which  set'."""
    config = tmp_path / "kernel_config.py"
    config.write_text((HERE / "autotune_key_not_a_parameter.py").read_text()
                      .replace("'kernels_config_keys.py'", repr(str(HERE / "kernels_config_keys.py")))
                      .replace("            DimSizeArg('n'),\n", "            DimSizeArg('n'),\n            Constexpr(128),\n"))
    assert "Constexpr(128)" in config.read_text()
    rc, stderr = run_cli(capsys, "check", "--kernel_config", str(config), "--arch", ARCH)
    assert rc == 2
    line = marked_line(HERE / "kernels_config_keys.py")
    assert_one_error(stderr, f"{HERE / 'kernels_config_keys.py'}:{line}", CASES["autotune_key_not_a_parameter"])


def test_torch_without_cuda_at_import_is_gpu_work(tmp_path, capsys):
    """What the Triton tutorials raise at import on a machine whose torch has no CUDA: reported at the module-level
    line that starts the GPU work, with what to do."""
    kernels = tmp_path / "tutorial.py"
    kernels.write_text("def rand(size, device):\n"
                       "    raise AssertionError('Torch not compiled with CUDA enabled')\n\n\n"
                       "x = rand(98432, device='cuda')\n")
    config = tmp_path / "kernel_config.py"
    config.write_text((HERE / "good_config.py").read_text().replace("kernels.py", str(kernels)))
    rc, stderr = run_cli(capsys, "check", "--kernel_config", str(config), "--arch", ARCH)
    assert rc == 2
    assert_one_error(stderr, f"{kernels}:5", "kernel file tutorial.py runs GPU work when imported (AssertionError: "
                     "Torch not compiled with CUDA enabled); plugingen imports it without a GPU (hint: put the file's "
                     "test code under 'if __name__ == \"__main__\":', or move the kernel into a module of its own "
                     "and name that in kernel_file)")


def test_bad_trt_include_dir(copied_workspace, tmp_path, capsys):
    rc, stderr = build(capsys, copied_workspace, HERE / "good_config.py", "--trt-include-dir", str(tmp_path))
    assert rc == 2
    assert error_lines(stderr) == [f"error: --trt-include-dir {tmp_path} has no NvInferRuntime.h"]
    copied_workspace.assert_output_intact()


def test_no_cxx_compiler(copied_workspace, monkeypatch, capsys):
    monkeypatch.setenv("CXX", "/nonexistent/c++")
    rc, stderr = build(capsys, copied_workspace, HERE / "good_config.py")
    assert rc == 2
    assert error_lines(stderr) == ["error: no C++ compiler found (looked for $CXX=/nonexistent/c++) "
                                   "(hint: install g++ (e.g. apt-get install g++) or set CXX)"]
    copied_workspace.assert_output_intact()


def fake_cxx(folder: Path, name: str, body: str) -> Path:
    script = folder / name
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(stat.S_IRWXU)
    return script


@pytest.fixture
def broken_cxx(tmp_path, monkeypatch):
    """A C++ compiler that always fails: CMake's compiler check fails at configure time."""
    cxx = fake_cxx(tmp_path, "broken-c++", 'echo "broken-c++: error: this compiler always fails" >&2\nexit 1\n')
    monkeypatch.setenv("CXX", str(cxx))
    return cxx


needs_cxx = pytest.mark.skipif(not (shutil.which("c++") or shutil.which("g++")), reason="no C++ compiler")


def test_cmake_configure_fails(copied_workspace, broken_cxx, capsys):
    rc, stderr = build(capsys, copied_workspace, HERE / "good_config.py")
    assert rc == 2
    assert "Traceback" not in stderr
    [error] = error_lines(stderr)
    assert error.startswith("error: CMake configure failed: ")
    assert error.endswith(f"(hint: full output: run with -v; build folder {copied_workspace.path / 'build'})")
    copied_workspace.assert_output_intact()


def test_cmake_configure_failure_names_the_cause(copied_workspace, broken_cxx, capsys):
    rc, stderr = build(capsys, copied_workspace, HERE / "good_config.py")
    [error] = error_lines(stderr)
    assert "is not able to compile a simple test program" in error or "this compiler always fails" in error


@needs_cxx
def test_cxx_compile_fails(copied_workspace, tmp_path, monkeypatch, capsys):
    """A compiler that works for CMake's checks but rejects the plugin source: the compiler's own line is shown."""
    real = shutil.which("c++") or shutil.which("g++")
    cxx = fake_cxx(tmp_path, "picky-c++", 'for arg in "$@"; do case "$arg" in *_plugin.cpp)\n'
                                          '  echo "$arg:1:1: error: injected failure" >&2; exit 1;; esac; done\n'
                                          f'exec {real} "$@"\n')
    monkeypatch.setenv("CXX", str(cxx))
    rc, stderr = build(capsys, copied_workspace, HERE / "good_config.py")
    assert rc == 2
    assert error_lines(stderr) == [
        f"error: C++ build failed: {copied_workspace.path / 'src' / 'add_kernel_plugin.cpp'}:1:1: error: injected "
        f"failure (hint: full output: run with -v; build folder {copied_workspace.path / 'build'})"]
    copied_workspace.assert_output_intact()


# ------------------------------------------------------------------------------------------------ PluginGen compat
def test_trtllm_fmha_config_loads_unchanged():
    """PluginGen's FMHA example config, as written for TensorRT-LLM (which is not installed)."""
    spec = load_config(HERE / "trtllm" / "kernel_config.py", max_variants=None)  # PluginGen's exact variants
    [kernel] = spec.kernels
    assert kernel.kernel_file == (HERE.parents[1] / "examples" / "fmha" / "fmha_triton.py").resolve()
    assert (kernel.plugin_name, kernel.version, kernel.num_warps, kernel.num_stages) == \
        ("fused_attention_kernelPlugin", "0", 1, 1)
    assert [(p.name, p.kind, p.dtype and p.dtype.abbr) for p in kernel.args] == [
        ("Out", ArgKind.OUTPUT, "fp16"), ("L", ArgKind.OUTPUT, "fp32"), ("M", ArgKind.OUTPUT, "fp16"),
        ("Q", ArgKind.INPUT, "fp16"), ("K", ArgKind.INPUT, "fp16"), ("V", ArgKind.INPUT, "fp16"),
        ("sm_scale", ArgKind.PARAM, "fp32"), ("batch_size", ArgKind.DIM_SIZE, "i32"),
        ("num_heads", ArgKind.PARAM, "i32"), ("seq_len", ArgKind.DIM_SIZE, "i32"),
        ("BLOCK_M", ArgKind.CONSTEXPR, None), ("BLOCK_DMODEL", ArgKind.CONSTEXPR, None),
        ("BLOCK_N", ArgKind.CONSTEXPR, None)]
    # PluginGen's two signatures: seq_len hinted '16' (more specialised, first), then not
    assert [v.hints[-4] for v in kernel.variants] == ["16", ""]
    assert "tensorrt_llm" not in sys.modules and "tensorrt_llm.tools.plugin_gen.core" not in sys.modules


def test_plugingen_types_behave_as_plugingen():
    assert {"FP16", "FP32", "FP64", "INT8", "INT32", "INT64"} <= \
        {d.name for d in DType}
    fp16 = Type("tensor[fp16]")
    assert (fp16.is_tensor, fp16.is_scalar, fp16.dtype, str(fp16), fp16.to_triton_sig()) == \
        (True, False, DType.FP16, "tensor[fp16]", "*fp16")
    assert (Type("fp32").is_tensor, Type("fp32").to_triton_sig(), str(Type("i64"))) == (False, "fp32", "i64")
    assert Type.tensor_ty(DType.FP16) == fp16 == Type.from_str("tensor[fp16]")
    assert [Type.float16(), Type.float32(), Type.float64(), Type.int8(), Type.int32(), Type.int64()] == \
        [Type(t) for t in ("fp16", "fp32", "fp64", "i8", "i32", "i64")]
    with pytest.raises(ConfigError, match=r"unknown dtype 'fp8'"):  # PluginGen: a bare KeyError
        Type("tensor[fp8]")


def test_plugingen_arguments_behave_as_plugingen():
    hints = ["16", ""]
    q = InputArg("Q", Type("tensor[fp16]"), hints=hints)
    out = OutputArg("Out", Type("tensor[fp16]"), hints=["16", "16"])
    k = InputArg("K", Type("tensor[fp16]"))
    scale, n = ParamArg("sm_scale", Type("fp32")), DimSizeArg("seq_len", hints=["", "16"])
    meta = KernelMetaData(kernel_name="k", ios=[out, q, k, scale, n, Constexpr(128)])
    assert (q.name, q.hints, q.is_tensor, q.arg_type) == ("Q", ["16", ""], True, Argument.ArgType.INPUT)
    assert q.hints is not hints  # PluginGen padded the user's own list in place; plugingen copies it
    assert [a.arg_type for a in (out, scale, n)] == [Argument.ArgType.OUTPUT, Argument.ArgType.PARAM,
                                                      Argument.ArgType.DIM_SIZE]
    assert (q.is_input, out.is_output, scale.is_param, n.is_dim_size) == (True, True, True, True)
    assert n.dtype == Type("i32") and not n.is_tensor  # PluginGen fixed DimSizeArg to i32
    assert (q.offset, k.offset, out.offset) == (0, 1, 0)  # position among inputs / among outputs
    assert Constexpr(128).value == 128
    # num_warps/num_stages unset: 1 and 1 (PluginGen's defaults) for a kernel without autotune configs
    assert (meta.version, meta.num_warps, meta.num_stages, tuple(meta.grid_dims)) == (1, None, None, ("1", "1", "1"))
    assert dsl.FIELDS[:8] == ("kernel_name", "ios", "shape_infer_rules", "version", "kernel_file", "num_warps",
                              "num_stages", "grid_dims")  # PluginGen's positional order


def test_an_unchecked_input_is_a_warning_and_an_error_with_strict(copied_workspace, capsys):
    config = HERE / "warning_unchecked_input.py"
    line = next(i for i, text in enumerate(config.read_text().splitlines(), 1) if "# <-- warning" in text)
    message = ("InputArg 'y' of kernel 'add_kernel' is named in no shape rule: its shape is never checked (hint: name "
               "it in a rule, e.g. '<input>[d], y[d] -> <output>[d]')")
    rc, stderr = build(capsys, copied_workspace, config)
    assert rc == 0 and f"{config}:{line}: warning: {message}" in stderr.splitlines(), stderr
    before = snapshot(copied_workspace.path / "output")
    rc, stderr = build(capsys, copied_workspace, config, "--strict")
    assert rc == 2
    assert_one_error(stderr, f"{config}:{line}", message.replace(" (hint:", " (--strict) (hint:"))
    assert snapshot(copied_workspace.path / "output") == before
