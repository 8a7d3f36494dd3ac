#!/usr/bin/env bash
# CI, after the main run: build every example and test kernel with the oldest and the newest Triton plugingen
# supports (plugingen/triton_compat.py PROVEN), each in its own virtual environment from PyPI, then run the CPU host
# tests on those libraries with the main environment (plugins never need Triton at run time).
# Usage: .ci/triton_range.sh [DEST]   (DEST keeps the libraries, DEST/<version>; default: a temporary folder)
set -euo pipefail
cd "$(dirname "$0")/.."
dest="${1:-$(mktemp -d)}"
mkdir -p "$dest"
for version in $(python3 -c "from plugingen.triton_compat import PROVEN; print(' '.join(PROVEN))"); do
  echo "== Triton $version"
  venv="$(mktemp -d)/venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "triton==$version" "jinja2>=3.1" "numpy>=1.24" "cmake>=3.18" "ninja>=1.11" pytest
  start=$SECONDS
  PYTHONPATH="$PWD" "$venv/bin/python" tests/gpu/prebuild.py "$dest/$version" --arch 90 > "$dest/build-$version.log" 2>&1 \
    || { tail -40 "$dest/build-$version.log"; echo "building with Triton $version failed"; exit 1; }
  echo "built every shipped config with Triton $version in $((SECONDS - start)) s"
  python3 - "$dest/$version" "$version" <<'PY'
import json, pathlib, sys
manifests = sorted(pathlib.Path(sys.argv[1]).glob("*/output/manifest.json"))
versions = {json.loads(m.read_text())["triton"] for m in manifests}
assert manifests and versions == {sys.argv[2]}, (len(manifests), versions)
print(f"{len(manifests)} libraries, each built with Triton {sys.argv[2]} (manifest.json)")
PY
  PLUGINGEN_PREBUILT="$dest/$version" python3 -m pytest -q -p no:cacheprovider tests/test_shape_property.py
  rm -rf "$(dirname "$venv")"
done
