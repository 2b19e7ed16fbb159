#!/usr/bin/env bash
# Rebuilds the demo guest; commit the .c and the .wasm together.
set -euo pipefail
cd "$(dirname "$0")"
clang --target=wasm32-wasi -O2 -Wall -Wl,--strip-debug -o demo_guest.wasm demo_guest.c
