#!/bin/sh
# Builds every benchmark workload bench/workloads/*.c into a .wasm next to it
# (or into the directory given as the first argument). The harness embeds the
# committed .wasm files and compiles the same sources natively at run time.
# Needs clang with the wasm32-wasi target and wasi-libc (Debian: clang, lld,
# wasi-libc, libclang-rt-*-dev-wasm32).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
mkdir -p "$out"
cd "$here"
for src in *.c; do
  name=${src%.c}
  clang --target=wasm32-wasi -O2 -Wall -Wextra -Werror \
    -Wl,-z,stack-size=1048576 -Wl,--strip-all \
    -o "$out/$name.wasm" "$src"
done
