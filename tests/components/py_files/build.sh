#!/usr/bin/env bash
# Rebuilds app.wasm from app.py with componentize-py (PyPI), a real WASI 0.2
# toolchain: CPython compiled to wasm, the app snapshotted into a component.
# The WASI WIT it needs is the standard set wasmtime-wasi 48 ships (present
# under ~/.cargo/registry after any build of this workspace).
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1
cd "$(dirname "$0")"
VERSION=0.25.1
if [ "$(componentize-py --version 2>/dev/null | awk '{print $2}')" != "$VERSION" ]; then
  python3 -m pip install -q "componentize-py==$VERSION"
fi
deps=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/wasmtime-wasi-48.0.8/src/p2/wit/deps | head -1)
wit=$(mktemp -d)
trap 'rm -rf "$wit"' EXIT
cp -r "$deps" "$wit/deps"
cp world.wit "$wit/"
componentize-py -d "$wit" -w app componentize app -o app.wasm
