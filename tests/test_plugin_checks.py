"""What a plugin checks before it launches (issue 23), driven through the C++ test host on the CPU with the stand-in
CUDA driver (plugingen/host/stand_in_cuda.cpp), which records what would be launched: the launched grid times the
cluster within CUDA's limits, enqueue refusing tensors it did not agree to (negative dims, other dtypes, outputs of
other shapes, volumes beyond int64), configurePlugin deciding every rule and constraint where the profile fixes the
shapes, field values that do not fit their parameter, and no growth of loaded modules or kept heap blocks over plugin
and library lifecycles. Each case runs in a child process: the stand-in driver, once loaded, is every later plugin
library's libcuda.so.1."""
import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from conftest import EXAMPLES, ROOT, TEST_KERNELS, have_cxx
from plugingen.host import build_host, build_stand_in_driver

pytestmark = pytest.mark.skipif(not have_cxx(), reason="no C++ compiler")

PRELUDE = """
import json, sys
import numpy as np
from plugingen.host import DataType as D, HostError, PluginFieldType as T, PluginHost, StandInDriver, TensorRTPhase
args = json.loads(sys.argv[1])
driver = StandInDriver(args["driver"])

def refused(call, reason):
    launches = driver.counts().launches
    try:
        call()
    except HostError as error:
        assert reason in str(error), str(error)
    else:
        raise AssertionError("accepted; expected a refusal naming " + repr(reason))
    assert driver.counts().launches == launches, "a refused call launched"
"""

# a cluster of 4 CTAs per program and a grid of n programs: n = 2^30 + 256 launches 2^32 + 1024 CTAs, which a
# 32-bit product wraps to 1024 (the reproducer)
CLUSTER_CONFIG = """
from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='cluster_scale_kernel',
        kernel_file='launch_options.py',
        ios=[InputArg('x', Type('tensor[fp32]')), OutputArg('out', Type('tensor[fp32]')), DimSizeArg('n'),
             Constexpr(256)],
        shape_infer_rules=['x[d] -> out[d]', 'x[d] : d -> n'],
        grid_dims=('n', '1', '1'),
        num_warps=4,
        num_ctas=4,
        constraints=['n % 256 == 0'],
    ),
]
"""


@pytest.fixture(scope="module")
def tools(tmp_path_factory):
    folder = tmp_path_factory.mktemp("checks-tools")
    return {"driver": str(build_stand_in_driver(folder)), "host": str(build_host(folder)),
            "counting": str(build_host(folder, count_new=True))}


@pytest.fixture(scope="module")
def cluster_library(tmp_path_factory, aot_cache):
    folder = tmp_path_factory.mktemp("cluster4")
    shutil.copy(TEST_KERNELS / "launch_options.py", folder)
    (folder / "cluster4_config.py").write_text(CLUSTER_CONFIG)
    result = subprocess.run([sys.executable, "-m", "plugingen", "--workspace", str(folder / "ws"), "--kernel_config",
                             str(folder / "cluster4_config.py"), "--arch", "90", "--ptx-arch", "none", "--cache-dir",
                             str(aot_cache)], capture_output=True, text=True, env=_env())
    assert result.returncode == 0, result.stderr
    return str(folder / "ws" / "output" / "libtriton_plugins.so")


def _env(**extra):
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]), **extra)


def run_child(tools, body, preload=False, **paths):
    """Runs PRELUDE + body in a child process with the stand-in driver loaded; the body asserts."""
    env = _env(LD_PRELOAD=tools["counting"]) if preload else _env()
    result = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(body) + "\nprint('child ok')",
                             json.dumps({**tools, **paths})], capture_output=True, text=True, env=env)
    assert result.returncode == 0 and "child ok" in result.stdout, result.stdout + result.stderr
    return result.stdout


def test_the_launched_grid_times_the_cluster_stays_within_cudas_limits(tools, cluster_library):
    """num_ctas=4 with a grid of 2^30 + 256 programs: 2^32 + 1024 CTAs, refused before any launch (it used to wrap
    to 1024 CTAs and return 0); a grid of 512 launches 2048 CTAs in clusters of 4."""
    run_child(tools, """
        with PluginHost(args["library"], args["host"]) as host:
            plugin = host.create("cluster_scale_kernelPlugin", {}, phase=TensorRTPhase.RUNTIME)
            big = (D.FLOAT, (2**30 + 256,), 4096)
            refused(lambda: plugin.enqueue([big], [big]),
                    "grid (1073742080, 1, 1) times the cluster (4, 1, 1) launches (4294968320, 1, 1) CTAs, beyond "
                    "CUDA's limits")
            small = (D.FLOAT, (512,), 4096)
            plugin.enqueue([small], [small])
            assert driver.last_launch() == ((2048, 1, 1), (4, 1, 1)), driver.last_launch()
            assert driver.counts().launches == 1
    """, library=cluster_library)


def test_enqueue_refuses_tensors_it_did_not_agree_to(tools, build_plugin):
    """TensorRT passes only what the plugin agreed to; other hosts may not. Each refusal names what is wrong and
    launches nothing; the same plugin then launches on valid tensors."""
    output = build_plugin(EXAMPLES / "vector_add" / "kernel_config.py")
    run_child(tools, """
        with PluginHost(args["library"], args["host"]) as host:
            plugin = host.create("vector_add_kernelPlugin", {}, phase=TensorRTPhase.RUNTIME)
            half = lambda *shape: (D.HALF, shape, 4096)
            for inputs, outputs, reason in [
                    ([half(-1)] * 2, [half(-1)], "input 0 has dimension 0 of -1"),
                    ([half(16)] * 2, [half(-1)], "output 0 has dimension 0 of -1"),
                    ([(D.FLOAT, (16,), 4096)] * 2, [(D.FLOAT, (16,), 4096)],
                     "no signature of this plugin takes inputs of types (kFLOAT, kFLOAT)"),
                    ([half(16)] * 2, [(D.FLOAT, (16,), 4096)],
                     "output 0 has type kFLOAT but these inputs' signature gives it kHALF"),
                    ([half(4096)] * 2, [half(16)], "output 0 has dimension 0 16 but rule 'x[d], y[d] -> out[d]' "
                                                   "gives 4096"),
                    ([half(16)] * 2, [half(4, 4)], "output 0 has rank 2 but rule 'x[d], y[d] -> out[d]' gives 1"),
                    ([half(2**40, 2**40)] * 2, [half(2**40, 2**40)], "input 0 has more bytes than int64 counts"),
                    ([half(16), half(8)], [half(16)], "dimension 'd' of rule 'x[d], y[d] -> out[d]' differs")]:
                refused(lambda: plugin.enqueue(inputs, outputs), reason)
                refused(lambda: plugin.enqueue(inputs, outputs, shape_change=False), reason)  # enqueue alone too
            plugin.enqueue([half(16)] * 2, [half(16)])
            assert driver.counts().launches == 1 and driver.last_launch()[0] == (1, 1, 1)
            empty = half(0)
            plugin.enqueue([empty] * 2, [empty])  # nothing to write: nothing launched
            assert driver.counts().launches == 1
    """, library=str(output / "libtriton_plugins.so"))


def test_an_index_field_is_refused_out_of_either_bound(tools, build_plugin):
    """cache_write_kernel writes cache[:, pos]: 'pos < seq' alone let pos = -1 write before the cache; the shipped
    config now states '0 <= pos < seq'."""
    output = build_plugin(TEST_KERNELS / "inplace_ops_config.py")
    run_child(tools, """
        with PluginHost(args["library"], args["host"]) as host:
            cache, new = (D.HALF, (2, 8, 16), 4096), (D.HALF, (2, 16), 8192)
            for pos in (-1, 8):
                plugin = host.create("cache_write_kernelPlugin", {"pos": (T.INT32, np.int32(pos))})
                refused(lambda: plugin.enqueue([cache, new], [cache]), "constraint '0 <= pos < seq' does not hold")
            plugin = host.create("cache_write_kernelPlugin", {"pos": (T.INT32, np.int32(7))})
            plugin.enqueue([cache, new], [cache])
            assert driver.counts().launches == 1
    """, library=str(output / "libtriton_plugins.so"))


def test_field_values_that_do_not_fit_their_parameter_are_refused(tools, build_plugin):
    """createPlugin converts a field to its parameter's type only where the value survives: fp64 1e300 into an fp32
    field (inf) and integers beyond the parameter's type are refused; an fp64 value in range is rounded."""
    output = build_plugin(TEST_KERNELS / "inplace_ops_config.py")
    run_child(tools, """
        with PluginHost(args["library"], args["host"]) as host:
            for value, reason in [((T.FLOAT64, np.float64(1e300)), "is out of the range of its fp32 parameter"),
                                  ((T.FLOAT64, np.float64(-1e39)), "is out of the range of its fp32 parameter")]:
                refused(lambda: host.create("scale_kernelPlugin", {"alpha": value}), reason)
            refused(lambda: host.create("cache_write_kernelPlugin", {"pos": (T.INT64, np.int64(2**31))}),
                    "pos = 2147483648 does not fit in 32-bit integer")
            plugin = host.create("scale_kernelPlugin", {"alpha": (T.FLOAT64, np.float64(0.1))})
            assert plugin.fields()["alpha"][1][0] == np.float32(0.1)
            plugin = host.create("scale_kernelPlugin", {"alpha": (T.FLOAT32, np.float32(np.inf))})  # given, not made
            assert plugin.fields()["alpha"][1][0] == np.inf
    """, library=str(output / "libtriton_plugins.so"))


def test_fixed_shapes_are_decided_at_engine_build(tools, build_plugin, cluster_library):
    """Where TensorRT knows the sizes, the rules and constraints are decided before any enqueue: constant dims a rule
    ties at getOutputShapes, every check of a launch at configurePlugin when the profile fixes every shape (the
    issue's x[8,4096] with residual[8,2048])."""
    output = build_plugin(EXAMPLES / "vector_add" / "kernel_config.py")
    run_child(tools, """
        with PluginHost(args["library"], args["host"]) as host:
            plugin = host.create("vector_add_kernelPlugin", {})
            refused(lambda: plugin.output_shapes([(16,), (8,)]), "dimension 'd' of rule 'x[d], y[d] -> out[d]' "
                                                                   "differs between inputs: 16 vs 8")
            assert plugin.output_shapes([(16,), (-1,)]) == [(16,)]  # one size unknown: decided later
            refused(lambda: plugin.configure([D.HALF] * 2, [(16,), (8,)], [D.HALF], [(16,)]),
                    "this optimization profile's shapes are refused: dimension 'd' of rule 'x[d], y[d] -> out[d]' "
                    "differs between inputs: 16 vs 8")
            plugin.configure([D.HALF] * 2, [(16,), (16,)], [D.HALF], [(16,)])
        with PluginHost(args["cluster"], args["host"]) as host:
            plugin = host.create("cluster_scale_kernelPlugin", {})
            refused(lambda: plugin.configure([D.FLOAT], [(200,)], [D.FLOAT], [(200,)]), "'n % 256 == 0'")
            plugin.configure([D.FLOAT], [(512,)], [D.FLOAT], [(512,)])
    """, library=str(output / "libtriton_plugins.so"), cluster=cluster_library)


def test_no_growth_over_plugin_and_library_lifecycles(tools, build_plugin):
    """Create / clone / attach / destroy cycles and shape changes keep no heap block and load no module after the
    first launch of each variant; every library unload unloads the modules it loaded, so reloading it again and
    again loads the same number each time and leaves none behind."""
    output = build_plugin(EXAMPLES / "vector_add" / "kernel_config.py")
    run_child(tools, """
        def cycle(host, rounds):
            for i in range(rounds):
                plugin = host.create("vector_add_kernelPlugin", {})
                copy = plugin.clone()
                runtime = copy.attach()
                n = 16 * (1 + i % 7) + (i % 2)  # shapes change: both hint variants
                tensor = (D.HALF, (n,), 4096)
                runtime.enqueue([tensor] * 2, [tensor])
                for p in (runtime, copy, plugin):
                    p.close()

        with PluginHost(args["library"], args["counting"], global_scope=True) as host:
            cycle(host, 20)  # loads what the shapes launch, once
            loads, live = driver.counts().module_loads, host.live_allocations()
            assert loads == 2, driver.counts()
            cycle(host, 200)
            assert driver.counts().module_loads == loads, driver.counts()
            assert host.live_allocations() == live, (live, host.live_allocations())
        assert driver.counts().module_unloads == loads, driver.counts()
        for round in range(20):
            with PluginHost(args["library"], args["counting"], global_scope=True) as host:
                cycle(host, 3)
            counts = driver.counts()
            assert counts.module_loads == loads * (round + 2) and counts.module_unloads == counts.module_loads, counts
    """, preload=True, library=str(output / "libtriton_plugins.so"))


def test_a_tensor_descriptor_over_negative_dims_is_refused_before_tma(tools, build_plugin):
    """x of shape (-2, -4, 8) flattens to 8 rows, which passed the descriptor's checks; enqueue now refuses the
    negative dims first. A valid tensor encodes its TMA map (sm_90) and launches."""
    from plugingen import triton_compat
    if triton_compat.abi().descriptor_flags is None:
        pytest.skip("this Triton has no host tensor descriptors")
    output = build_plugin(TEST_KERNELS / "tensor_descriptors_config.py")
    run_child(tools, """
        buffer = np.zeros(4096, np.float16)
        aligned = buffer.ctypes.data + (-buffer.ctypes.data) % 64
        alpha = {"alpha": (T.FLOAT32, np.array([2.0], np.float32))}
        with PluginHost(args["library"], args["host"]) as host:
            plugin = host.create("desc_scale_kernelPlugin", alpha, phase=TensorRTPhase.RUNTIME)
            bad = (D.HALF, (-2, -4, 8), aligned)
            refused(lambda: plugin.enqueue([bad], [bad]), "input 0 has dimension 0 of -2")
            assert driver.counts().tensor_maps == 0
            good = (D.HALF, (1, 3, 8), aligned)
            plugin.enqueue([good], [good])
            assert driver.counts().launches == 1 and driver.counts().tensor_maps == 2, driver.counts()
    """, library=str(output / "libtriton_plugins.so"))
