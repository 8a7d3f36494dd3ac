#!/usr/bin/env bash
# Runs the README's GPU tests (markers gpu and trt) on the GPU machine, which has no network: the
# TensorRT-RTX 1.7.1 wheels (cp312) and onnx + protobuf + ml_dtypes travel in the git-ignored .rtx/ folder, in two
# calls because one call carries at most 64 MiB. The 95 MB libs wheel is split (split -b 60000000) into
# .rtx/part-aa and .rtx/part2/part-ab; .rtx/part2/ also holds the small wheels and the libs wheel's sha256.
#
#   tools/gpu_rtx.sh part1   (carry .rtx/part-aa)  stage the first part in /tmp/rtx on the GPU machine
#   tools/gpu_rtx.sh part2   (carry .rtx/part2)    reassemble and check the libs wheel, install every wheel into
#                                                  /tmp/site (--no-index --no-deps), run pytest -m "gpu or trt"
# Both calls must land on the same (warm) machine: part2 fails at once, saying so, when /tmp/rtx/part-aa is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

STAGE=/tmp/rtx
SITE=/tmp/site
LIBS_WHEEL=tensorrt_rtx_cu13_libs-1.7.1.116-py3-none-manylinux_2_28_x86_64.whl

case "${1:-}" in
part1)
    mkdir -p "$STAGE"
    cp .rtx/part-aa "$STAGE/part-aa"
    ls -l "$STAGE"
    ;;
part2)
    if [ ! -f "$STAGE/part-aa" ]; then
        echo "error: $STAGE/part-aa is missing: run 'tools/gpu_rtx.sh part1' (carry .rtx/part-aa) on this" \
            "machine first" >&2
        exit 2
    fi
    cat "$STAGE/part-aa" .rtx/part2/part-ab > "$STAGE/$LIBS_WHEEL"
    (cd "$STAGE" && sha256sum -c -) < .rtx/part2/libs.sha256
    if python3 -m pip --version >/dev/null 2>&1; then
        python3 -m pip install --disable-pip-version-check --no-index --no-deps --upgrade --target "$SITE" \
            "$STAGE/$LIBS_WHEEL" .rtx/part2/*.whl
    else  # no pip: these wheels hold only packages, so unpacking them is the same install
        for wheel in "$STAGE/$LIBS_WHEEL" .rtx/part2/*.whl; do python3 -m zipfile -e "$wheel" "$SITE"; done
    fi
    # TensorRT-RTX's ONNX parser dlopens the unversioned name to add plugin layers (see .ci/install_trt_rtx.sh).
    ln -sf libtensorrt_rtx.so.1 "$SITE/tensorrt_rtx_libs/libtensorrt_rtx.so"
    export PYTHONPATH="$PWD:$SITE${PYTHONPATH:+:$PYTHONPATH}"
    nvidia-smi --query-gpu=name,compute_cap,driver_version --format=csv,noheader || true
    python3 -c 'import onnx, tensorrt_rtx_libs; print("onnx", onnx.__version__)'
    python3 -m pytest -m "gpu or trt" -v -rs -p no:cacheprovider  # the README's "GPU tests" command
    ;;
*)
    echo "usage: tools/gpu_rtx.sh part1|part2" >&2
    exit 2
    ;;
esac
