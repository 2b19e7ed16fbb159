#!/bin/sh
# Builds every guest program tests/guests/*.c into a .wasm next to it, or
# into the directory given as the first argument.  The output is
# deterministic: the same source and clang give the same bytes (the
# strata-tests test `guests_are_fresh` rebuilds and compares).
#
# Needs clang with the wasm32-wasi target and wasi-libc (Debian: clang,
# lld, wasi-libc, libclang-rt-14-dev-wasm32).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
mkdir -p "$out"
cd "$here"
for src in *.c; do
  name=${src%.c}
  # Relative source names and no debug info keep host paths out of the binary;
  # a 1 MiB stack leaves room for the guests' local buffers.
  clang --target=wasm32-wasi -O2 -Wall -Wextra \
    -Wl,-z,stack-size=1048576 -Wl,--strip-all \
    -o "$out/$name.wasm" "$src"
done
