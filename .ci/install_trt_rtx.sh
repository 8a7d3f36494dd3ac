#!/usr/bin/env bash
# Installs TensorRT-RTX 1.7.1 (CUDA 13 build) from PyPI for the Python that runs the tests (tests/test_trt_rtx.py).
#
# Two wheels, nothing else: tensorrt-rtx-cu13-libs (libtensorrt_rtx.so.1 and the ONNX parser, manylinux_2_28,
# any Python 3) and tensorrt-rtx-cu13-bindings (the cp3xx `tensorrt_rtx_bindings` module). Neither declares a
# dependency (the bindings' only extra is numpy, which the project already needs), hence --no-deps. No GPU or CUDA
# toolkit is needed: the registry, builder and ONNX parser run on the CPU.
#
# It also links libtensorrt_rtx.so -> libtensorrt_rtx.so.1 beside the library: TensorRT-RTX's ONNX parser adds plugin
# layers through dlopen("libtensorrt_rtx.so") (found through its RPATH $ORIGIN), and without that name it ends the
# process with std::terminate on the first plugin node.
#
# Usage: .ci/install_trt_rtx.sh            (PYTHON=python3.12 .ci/install_trt_rtx.sh for another interpreter)
set -euo pipefail

PYTHON="${PYTHON:-python3}"
VERSION=1.7.1.116

"$PYTHON" -m pip install --disable-pip-version-check --no-deps \
    "tensorrt-rtx-cu13-libs==${VERSION}" "tensorrt-rtx-cu13-bindings==${VERSION}"

libdir="$("$PYTHON" -c 'import os, tensorrt_rtx_libs; print(os.path.dirname(tensorrt_rtx_libs.__file__))')"
ln -sf libtensorrt_rtx.so.1 "${libdir}/libtensorrt_rtx.so"

"$PYTHON" - <<'PY'
import ctypes
import os

import tensorrt_rtx_libs

ctypes.CDLL(os.path.join(os.path.dirname(tensorrt_rtx_libs.__file__), "libtensorrt_rtx.so.1"), mode=ctypes.RTLD_GLOBAL)
import tensorrt_rtx_bindings as trt  # noqa: E402

print(f"TensorRT-RTX {trt.__version__} ready ({trt.__file__})")
PY
