"""plugingen/triton_compat.py: the one place where Triton versions differ, and the errors for what it does not know."""
import pytest

from conftest import EXAMPLES
from plugingen import aot, triton_compat
from plugingen.config import load_config
from plugingen.errors import BuildError


@pytest.mark.parametrize("version, hidden", [("3.3.0", ("global_scratch",)), ("3.4.0", ("global_scratch",)),
                                             ("3.5.1", ("global_scratch", "profile_scratch")),
                                             ("3.9.0", ("global_scratch", "profile_scratch")),
                                             ("3.12.0+git1234", ("global_scratch", "profile_scratch"))])
def test_hidden_parameters_per_version(version, hidden):
    assert triton_compat.abi(version).hidden == hidden


def test_too_old_a_triton_is_refused_with_the_range():
    with pytest.raises(BuildError, match=r"Triton 3.2 is older than plugingen supports \(3.3 to 3.9\)"):
        triton_compat.require_supported("3.2.0")
    assert triton_compat.require_supported("3.10.0") == (3, 10)  # newer: used as the newest row says


def _ptx(params):
    decls = ",\n".join(f".param .{kind} vector_add_kernel_param_{i}" for i, kind in enumerate(params))
    return f".version 8.7\n.target sm_80\n.address_size 64\n.visible .entry vector_add_kernel(\n{decls}\n)\n{{ ret; }}\n"


def test_a_hidden_parameter_no_row_knows_is_an_error_not_a_guess():
    spec = load_config(EXAMPLES / "vector_add" / "kernel_config.py", max_variants=None).kernels[0]
    point = spec.points()[-1]  # generic: x, y, out, n
    passed = ["u64", "u64", "u64", "u32"]
    entry, params, _ = aot._launch_params(spec, point, _ptx(passed + ["u64"]), "3.3.0")
    assert [p.name for p in params if p.hidden] == ["global_scratch"]
    entry, params, _ = aot._launch_params(spec, point, _ptx(passed + ["u64", "u64"]), "3.9.0")
    assert [p.name for p in params if p.hidden] == ["global_scratch", "profile_scratch"]
    with pytest.raises(BuildError, match=r"Triton 3.11.0 compiled 'vector_add_kernel' with 3 parameter\(s\) after "
                                         r"the config's \(8, 8, 8 bytes\); plugingen knows this Triton to add 2"):
        aot._launch_params(spec, point, _ptx(passed + ["u64", "u64", "u64"]), "3.11.0")


def test_the_active_driver_is_swapped_in_either_layout(monkeypatch):
    """Triton 3.3/3.4 keep the active driver in an attribute, 3.5 and later behind a property (reading it would
    create the GPU driver): both are replaced and restored."""
    import triton.runtime

    class Attribute:  # 3.3
        def __init__(self):
            self.active = "default"

        def set_active(self, driver):
            self.active = driver

    class Property:  # 3.5+
        def __init__(self):
            self._active = None

        @property
        def active(self):
            raise AssertionError("reading .active would create the real driver")

        def set_active(self, driver):
            self._active = driver

    for layout, slot, before in ((Attribute(), "active", "default"), (Property(), "_active", None)):
        monkeypatch.setattr(triton.runtime, "driver", layout)
        with triton_compat.active_driver("target"):
            assert vars(layout)[slot] == "target"
        assert vars(layout)[slot] == before


@pytest.mark.parametrize("env, fused", [({}, True), ({"TRITON_DEFAULT_FP_FUSION": "0"}, False),
                                        ({"TRITON_DEFAULT_FP_FUSION": "1", "TRITON_FORCE_DISABLE_FP_FUSION": "1"},
                                         False)])
def test_fp_fusion_follows_tritons_environment(monkeypatch, env, fused):
    for name in ("TRITON_DEFAULT_FP_FUSION", "TRITON_FORCE_DISABLE_FP_FUSION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert triton_compat.fp_fusion() is fused
    spec = load_config(EXAMPLES / "vector_add" / "kernel_config.py", max_variants=None).kernels[0]
    job = aot._job_for(spec, spec.points()[0], 90, "3.6.0")
    assert ("enable_fp_fusion", fused) in job.options  # and so in the AOT cache key


def test_the_version_is_read_from_release_and_dev_strings():
    assert triton_compat.version("3.9.0") == (3, 9)
    assert triton_compat.version("3.10.0+gitabcdef") == (3, 10)
