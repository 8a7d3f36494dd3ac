"""Which image a GPU loads (plugingen/include/plugingen/image.h pickImage, runtime.cpp noImageMessage), for every
image set a build can produce and every device capability, against an independent statement of CUDA's rules; and
the PTX a library really embeds (portable: never arch-specific)."""
import itertools
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import EXAMPLES
from plugingen import aot, plan
from plugingen.config import load_config

INCLUDE = Path(aot.__file__).resolve().parent / "include"
CXX = shutil.which("g++")
pytestmark = pytest.mark.skipif(CXX is None, reason="g++ not on PATH")

# every SM a device may have, also ones no --arch targets (older, newer, in between)
DEVICES = (70, 75, 80, 86, 87, 89, 90, 100, 103, 110, 120, 121, 130)

DRIVER = r"""
#include "plugingen/runtime.h"
#include <iostream>
#include <sstream>
#include <vector>

namespace plugingen_gen
{
nvinfer1::IPluginCreatorInterface* const* creators(int32_t& count) // the generated plugins.cpp's, unused here
{
    count = 0;
    return nullptr;
}
} // namespace plugingen_gen

// stdin: one query per line, "cc arch:kind:specific ..." (kind c = cubin, p = PTX); stdout: the index picked, or
// "none <message>"
int main()
{
    std::string line;
    while (std::getline(std::cin, line))
    {
        std::istringstream in(line);
        int cc = 0;
        in >> cc;
        std::vector<plugingen::KernelImage> images;
        std::string item;
        while (in >> item)
        {
            plugingen::KernelImage image{};
            char kind = 0;
            int specific = 0;
            std::sscanf(item.c_str(), "%d:%c:%d", &image.arch, &kind, &specific);
            image.isPtx = kind == 'p';
            image.archSpecific = specific != 0;
            images.push_back(image);
        }
        plugingen::KernelImage const* picked = plugingen::pickImage(images.data(), images.size(), 0, cc);
        if (picked != nullptr)
        {
            std::cout << picked - images.data() << "\n";
        }
        else
        {
            std::cout << "none " << plugingen::noImageMessage("k", images.data(), images.size(), 0, cc) << "\n";
        }
    }
}
"""


@pytest.fixture(scope="module")
def picker(tmp_path_factory):
    folder = tmp_path_factory.mktemp("picker")
    (folder / "driver.cpp").write_text(DRIVER)
    subprocess.run([CXX, "-std=c++17", "-O1", "-I", str(INCLUDE), str(folder / "driver.cpp"),
                    str(INCLUDE / "plugingen" / "runtime.cpp"), "-ldl", "-o", str(folder / "driver")], check=True)

    def pick(queries):
        lines = [" ".join([str(cc)] + [f"{a}:{'p' if ptx else 'c'}:{int(s)}" for a, ptx, s in images])
                 for cc, images in queries]
        out = subprocess.run([str(folder / "driver")], input="\n".join(lines) + "\n", capture_output=True,
                             text=True, check=True).stdout.splitlines()
        return [None if o.startswith("none") else int(o) for o in out], out
    return pick


def expected(images, cc):
    """CUDA's rules: an arch-specific (sm_90a and newer) image runs only on its own SM; a portable cubin on later
    minors of its major; portable PTX on any later SM. The newest cubin wins, PTX only without one."""
    def runs(arch, ptx, specific):
        if specific:
            return arch == cc
        return arch <= cc if ptx else (arch // 10 == cc // 10 and arch <= cc)

    for want_ptx in (False, True):
        fits = [(arch, i) for i, (arch, ptx, specific) in enumerate(images) if ptx == want_ptx and runs(arch, ptx,
                                                                                                        specific)]
        if fits:
            return max(fits)[1]
    return None


def built_images(archs, ptx_arch):
    """The images a build with ``--arch archs [--ptx-arch ptx_arch]`` embeds for one point (aot's plan)."""
    spec = load_config(EXAMPLES / "vector_add" / "kernel_config.py", max_variants=None).kernels[0]
    ptx = plan.ptx_arch(spec, 0, archs, ptx_arch)
    return [(a, False, aot.is_arch_specific(a)) for a in sorted(archs)] + [(ptx, True, False)]


ARCH_SETS = [combo for size in (1, 2, 3) for combo in itertools.combinations(aot.SUPPORTED_ARCHS, size)]


def test_every_build_and_device(picker):
    queries = [(cc, built_images(archs, ptx_arch)) for archs in ARCH_SETS for ptx_arch in (None, 75, 89)
               for cc in DEVICES]
    picked, _ = picker(queries)
    assert len(picked) == len(queries) > 5000
    wrong = [(cc, images, got) for (cc, images), got in zip(queries, picked) if got != expected(images, cc)]
    assert not wrong, wrong[:5]
    # the PTX is portable, so every device at or above it gets an image, and nothing arch-specific ever runs elsewhere
    for (cc, images), got in zip(queries, picked):
        ptx = images[-1][0]
        assert (got is not None) == (cc >= ptx or any(not p and a // 10 == cc // 10 and a <= cc
                                                      for a, p, _ in images))
        if got is not None and images[got][2]:
            assert images[got][0] == cc


def test_hand_written_sets(picker):
    """Older libraries embedded sm_90a PTX: never JIT-compiled for sm_100; sm_80 and sm_86 cubins: sm_86 takes its
    own, sm_89 the newest of its major."""
    cases = [
        (100, [(90, False, True), (90, True, True)], None),
        (90, [(90, False, True), (90, True, True)], 0),
        (86, [(80, False, False), (86, False, False), (80, True, False)], 1),
        (89, [(80, False, False), (86, False, False), (80, True, False)], 1),
        (90, [(80, False, False), (86, False, False), (80, True, False)], 2),
        (120, [(100, False, True), (120, False, True), (80, True, False)], 1),
        (121, [(100, False, True), (120, False, True), (80, True, False)], 2),
        (75, [(80, False, False), (80, True, False)], None),
    ]
    picked, _ = picker([(cc, images) for cc, images, _ in cases])
    assert picked == [want for *_, want in cases]


def test_no_image_message_names_the_device_what_was_built_and_the_fix(picker):
    _, out = picker([(75, [(80, False, False), (90, False, True), (80, True, False)])])
    assert out == ["none k has no image this GPU (sm_75) can run: built for sm_80, sm_90a, PTX for sm_80 and newer "
                   "(an sm_90a or newer cubin runs only on its own SM); rebuild with --arch 75"]


@pytest.mark.parametrize("archs, ptx", [("80,90,100,120", "sm_80"), ("90", "sm_80"), ("90,100 --ptx-arch 89", "sm_89"),
                                        ("86,90", "sm_86")])
def test_the_library_embeds_portable_ptx_only(tmp_path, archs, ptx):
    """The PTX targets read from the built library itself: one portable target, never sm_90a and newer; the
    manifest lists the cubins per arch-specific target."""
    import json

    from plugingen.cli import main

    ws = tmp_path / "ws"
    args = archs.split()
    assert main(["--workspace", str(ws), "--kernel_config", str(EXAMPLES / "vector_add" / "kernel_config.py"),
                 "--arch", args[0], *args[1:]]) == 0
    library = (ws / "output" / "libtriton_plugins.so").read_bytes()
    targets = {line.split()[1].decode() for line in library.split(b"\n") if line.strip().startswith(b".target ")}
    assert targets == {ptx}
    manifest = json.loads((ws / "output" / "manifest.json").read_text())["kernels"][0]["images"]
    cubins = sorted({i["target"] for i in manifest if i["cubin"]})
    assert cubins == sorted(f"sm_{a}{'a' if int(a) >= 90 else ''}" for a in args[0].split(","))
    assert {i["target"] for i in manifest if i["ptx"]} == {ptx}


HOPPER_ONLY = '''
import triton
import triton.language as tl


@triton.jit
def cluster_kernel(x, out, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    v = tl.load(x + offs, mask=offs < n)
    # %clusterid exists from sm_90: ptxas refuses it for sm_80
    cluster = tl.inline_asm_elementwise("mov.u32 $0, %clusterid.x;", "=r,r", [offs], dtype=tl.int32, is_pure=True,
                                        pack=1)
    tl.store(out + offs, v + cluster.to(tl.float32), mask=offs < n)
'''

HOPPER_ONLY_CONFIG = '''
from plugingen import *

KERNELS = [KernelMetaData(
    kernel_name='cluster_kernel', kernel_file='cluster.py',
    ios=[InputArg('x', Type('tensor[fp32]')), OutputArg('out', Type('tensor[fp32]')), DimSizeArg('n'),
         Constexpr(256)],
    shape_infer_rules=['x[d] -> out[d]', 'x[d] : d -> n'], grid_dims=('cdiv(n, 256)', '1', '1'))]
'''


def test_a_kernel_only_newer_sms_compile_goes_without_portable_ptx(tmp_path, capsys):
    """A kernel using an sm_90 register compiles for sm_90, not for the default PTX arch sm_80: the build succeeds
    with a notice and no PTX; listing sm_80 in --arch makes it an error."""
    import json

    from plugingen.cli import main

    (tmp_path / "cluster.py").write_text(HOPPER_ONLY)
    config = tmp_path / "kernel_config.py"
    config.write_text(HOPPER_ONLY_CONFIG)
    assert main(["--workspace", str(tmp_path / "ws"), "--kernel_config", str(config), "--arch", "90"]) == 0
    notices = [line for line in capsys.readouterr().err.splitlines() if "does not compile for sm_80" in line]
    assert len(notices) == 1 and "the library has no portable PTX of it" in notices[0]
    assert "requires .target sm_90" in notices[0]  # ptxas's own reason, not Triton's repro command
    images = json.loads((tmp_path / "ws" / "output" / "manifest.json").read_text())["kernels"][0]["images"]
    assert images and all(i["cubin"] and not i["ptx"] and i["target"] == "sm_90a" for i in images)
    assert main(["--workspace", str(tmp_path / "ws2"), "--kernel_config", str(config), "--arch", "80,90"]) == 2
