#!/usr/bin/env bash
# Rebuilds the cli tests' guests (into directory $1 if given, an absolute
# path; else here); commit each .c with its .wasm.
set -euo pipefail
out="${1:-$(cd "$(dirname "$0")" && pwd)}"
cd "$(dirname "$0")"
for c in *.c; do
  clang --target=wasm32-wasi -O2 -Wall -Wl,--strip-debug -o "$out/${c%.c}.wasm" "$c"
done
