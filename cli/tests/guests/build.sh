#!/usr/bin/env bash
# Rebuilds the cli tests' guests; commit each .c with its .wasm.
set -euo pipefail
cd "$(dirname "$0")"
for c in *.c; do
  clang --target=wasm32-wasi -O2 -Wall -Wl,--strip-debug -o "${c%.c}.wasm" "$c"
done
