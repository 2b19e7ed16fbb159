#!/bin/sh
# Fetches the sources of the real programs that tests/tests/all/real_programs.rs
# runs, checks them against pinned sha256 digests, and builds them into WASI
# command modules:
#
#   sqlite3.wasm  SQLite 3.52.0's shell and library (from the npm package
#                 sqlite3, which carries SQLite's autoconf tarball)
#   lua.wasm      Lua 5.4.9 (from the crates.io crate lua-src) with the
#                 stand-alone driver tests/real/lua/lua_run.c
#   luac.wasm     the same Lua compiler and dumper, driven by
#                 tests/real/lua/luac_main.c
#   qjs.wasm      QuickJS-ng 0.16.2's interpreter `qjs` (from the crates.io
#                 crate rquickjs-sys, which carries its whole source tree)
#   qjsc.wasm     QuickJS-ng's compiler `qjsc`
#
# No third-party source is kept in the repository: it is downloaded here, at
# test-preparation time, with the registries' own clients (npm, cargo), into
# the cache directory ${STRATA_REAL_PROGRAMS_DIR:-target/real-programs}.  A
# second run with nothing changed does nothing.
#
# Needs: npm, cargo, clang with wasi-libc (Debian: clang lld wasi-libc
# libclang-rt-14-dev-wasm32), and clang-22 with lld-22 and
# libclang-rt-22-dev-wasm32 for Lua: Lua reports errors with setjmp/longjmp,
# which wasi-libc lacks, so Lua is built with clang's lowering of
# setjmp/longjmp to the exception-handling proposal (exnref form, the one
# wasmtime runs; clang 14 can only emit the legacy form).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${STRATA_REAL_PROGRAMS_DIR:-$repo/target/real-programs}
CC14=${CC_WASI:-clang}
CC22=${CC_WASI_EH:-clang-22}

SQLITE_NPM=sqlite3@6.0.1
SQLITE_DIR=sqlite-autoconf-3520000
# sha256 of deps/sqlite-autoconf-3520000.tar.gz inside the npm tarball.
SQLITE_SHA256=f6b50b0c103392af32a8be15b2b9d25959de9a00a70c3979128aafeaa5338b3f
LUA_CRATE=551.1.0
LUA_DIR=lua-5.4.9
# sha256 over `sha256sum` of every file of lua-src's lua-5.4.9/, sorted by name.
LUA_TREE_SHA256=8761d19ea3a83ae79eaa70ca7cac612cc2dfb7ec30f282ffc57421640f85a360
QJS_CRATE=0.14.0
QJS_DIR=quickjs-ng-0.16.2
# The same kind of digest over rquickjs-sys's quickjs/.
QJS_TREE_SHA256=113d94eb6d8829e059d2e1adf28213d749f43c5803abfc52be5587a868cce730

log() { printf 'fetch-build: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
sha256() { sha256sum "$1" | cut -d' ' -f1; }
tree_sha256() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1); }

# Everything the outputs depend on: this script and the in-tree C files.
inputs_digest() {
  (cd "$here" && cat fetch-build.sh shim/* lua/*.c && "$CC14" --version && "$CC22" --version) \
    2>/dev/null | sha256sum | cut -d' ' -f1
}

for tool in npm cargo "$CC14" "$CC22"; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (see the header of $0)"
done

mkdir -p "$out"
stamp=$(inputs_digest)
if [ -f "$out/STAMP" ] && [ "$(cat "$out/STAMP")" = "$stamp" ] &&
  [ -f "$out/sqlite3.wasm" ] && [ -f "$out/lua.wasm" ] && [ -f "$out/luac.wasm" ] &&
  [ -f "$out/qjs.wasm" ] && [ -f "$out/qjsc.wasm" ]; then
  log "up to date in $out"
  exit 0
fi
rm -f "$out/STAMP"
dl="$out/download"
src="$out/src"
mkdir -p "$dl" "$src"

# --- SQLite ------------------------------------------------------------------
sqlite_src="$src/$SQLITE_DIR"
if [ ! -f "$sqlite_src/.verified" ]; then
  inner="$dl/package/deps/$SQLITE_DIR.tar.gz"
  if [ ! -f "$inner" ] || [ "$(sha256 "$inner")" != "$SQLITE_SHA256" ]; then
    log "downloading $SQLITE_NPM"
    rm -rf "$dl/package" "$dl"/sqlite3-*.tgz
    (cd "$dl" && npm pack --silent "$SQLITE_NPM" >/dev/null)
    tar -xzf "$dl"/sqlite3-*.tgz -C "$dl" package/deps
  fi
  got=$(sha256 "$inner")
  [ "$got" = "$SQLITE_SHA256" ] || die "$inner: sha256 $got, expected $SQLITE_SHA256"
  rm -rf "$sqlite_src"
  tar -xzf "$inner" -C "$src" "$SQLITE_DIR/sqlite3.c" "$SQLITE_DIR/sqlite3.h" \
    "$SQLITE_DIR/sqlite3ext.h" "$SQLITE_DIR/shell.c"
  touch "$sqlite_src/.verified"
fi

# --- Lua and QuickJS, from crates.io -----------------------------------------
lua_src="$src/$LUA_DIR"
qjs_src="$src/$QJS_DIR"
if [ ! -f "$lua_src/.verified" ] || [ ! -f "$qjs_src/.verified" ]; then
  log "downloading lua-src $LUA_CRATE and rquickjs-sys $QJS_CRATE"
  proj="$dl/crates-fetch"
  rm -rf "$proj"
  mkdir -p "$proj/src"
  : >"$proj/src/lib.rs"
  # An empty [workspace] keeps cargo from taking this for a member of ours.
  cat >"$proj/Cargo.toml" <<EOF
[package]
name = "crates-fetch"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
lua-src = "=$LUA_CRATE"
rquickjs-sys = { version = "=$QJS_CRATE", default-features = false }

[workspace]
EOF
  (cd "$proj" && cargo vendor --quiet --versioned-dirs vendor >/dev/null)
  # from (under vendor/), to, expected tree digest
  while read -r from to want; do
    from="$proj/vendor/$from"
    got=$(tree_sha256 "$from")
    [ "$got" = "$want" ] || die "$from: tree sha256 $got, expected $want"
    rm -rf "$to"
    cp -r "$from" "$to"
    touch "$to/.verified"
  done <<EOF
lua-src-$LUA_CRATE/$LUA_DIR $lua_src $LUA_TREE_SHA256
rquickjs-sys-$QJS_CRATE/quickjs $qjs_src $QJS_TREE_SHA256
EOF
fi

# --- Build -------------------------------------------------------------------
obj="$out/obj"
rm -rf "$obj"
mkdir -p "$obj"

# SQLite's own WASI support (SQLITE_WASI, set by __wasi__) turns off threads,
# extension loading and shared-memory WAL; the emulated libraries give it
# signal(), clock() and getpid().  shell.c and sqlite3.c compile in parallel.
# -w: warnings in third-party code are not ours to fix (realpath, for one, has
# no declaration in wasi-libc; shim/wasi_missing.c defines it).
SQLITE_FLAGS="-O2 -w -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION \
  -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS -D_WASI_EMULATED_GETPID \
  -D_WASI_EMULATED_MMAN -I$sqlite_src"
log "building sqlite3.wasm"
# shellcheck disable=SC2086
"$CC14" --target=wasm32-wasi $SQLITE_FLAGS -c "$sqlite_src/sqlite3.c" -o "$obj/sqlite3.o" &
sqlite_pid=$!
# shellcheck disable=SC2086
"$CC14" --target=wasm32-wasi $SQLITE_FLAGS -c "$sqlite_src/shell.c" -o "$obj/shell.o"
"$CC14" --target=wasm32-wasi -O2 -Wall -Wextra -c "$here/shim/wasi_missing.c" -o "$obj/wasi_missing.o"

# QuickJS-ng's own WASI support (its CMakeLists.txt): the same emulated
# libraries; no threads, processes, symlinks or realpath in its os module.
QJS_FLAGS="-O2 -w -Wno-deprecated -D_GNU_SOURCE -DQJS_BUILD_LIBC \
  -D_WASI_EMULATED_PROCESS_CLOCKS -D_WASI_EMULATED_SIGNAL -I$qjs_src"
mkdir -p "$obj/qjs"
# shellcheck disable=SC2086
"$CC22" --target=wasm32-wasi $QJS_FLAGS -c "$qjs_src/quickjs.c" -o "$obj/qjs/quickjs.o" &
qjs_pid=$!

# Lua meanwhile, with setjmp/longjmp lowered to wasm exceptions.
log "building lua.wasm and luac.wasm"
LUA_FLAGS="-O2 -Wno-deprecated -mexception-handling -mllvm -wasm-enable-sjlj \
  -mllvm -wasm-use-legacy-eh=false -D_WASI_EMULATED_PROCESS_CLOCKS -D_WASI_EMULATED_SIGNAL \
  -I$here/shim -I$lua_src"
mkdir -p "$obj/lua"
for c in "$lua_src"/*.c; do
  # shellcheck disable=SC2086
  "$CC22" --target=wasm32-wasi $LUA_FLAGS -w -c "$c" -o "$obj/lua/$(basename "$c" .c).o"
done
# shellcheck disable=SC2086
"$CC22" --target=wasm32-wasi $LUA_FLAGS -Wall -Wextra -c "$here/shim/wasm_sjlj.c" -o "$obj/lua/wasm_sjlj.o"
for driver in lua_run luac_main; do
  # shellcheck disable=SC2086
  "$CC22" --target=wasm32-wasi $LUA_FLAGS -Wall -Wextra -c "$here/lua/$driver.c" -o "$obj/$driver.o"
done
LUA_LINK="-Wno-deprecated -Wl,-z,stack-size=1048576 -Wl,--strip-all -lwasi-emulated-process-clocks -lwasi-emulated-signal"
# shellcheck disable=SC2086
"$CC22" --target=wasm32-wasi -o "$out/lua.wasm" "$obj/lua_run.o" "$obj"/lua/*.o $LUA_LINK
# shellcheck disable=SC2086
"$CC22" --target=wasm32-wasi -o "$out/luac.wasm" "$obj/luac_main.o" "$obj"/lua/*.o $LUA_LINK

log "building qjs.wasm and qjsc.wasm"
for c in quickjs-libc libregexp libunicode dtoa; do
  # shellcheck disable=SC2086
  "$CC22" --target=wasm32-wasi $QJS_FLAGS -c "$qjs_src/$c.c" -o "$obj/qjs/$c.o"
done
for c in qjs gen/repl gen/standalone qjsc; do
  # shellcheck disable=SC2086
  "$CC22" --target=wasm32-wasi $QJS_FLAGS -c "$qjs_src/$c.c" -o "$obj/$(basename "$c").o"
done
wait "$qjs_pid" || die "compiling quickjs.c failed"
QJS_LINK="-Wno-deprecated -Wl,-z,stack-size=8388608 -Wl,--strip-all \
  -lwasi-emulated-process-clocks -lwasi-emulated-signal"
# shellcheck disable=SC2086
"$CC22" --target=wasm32-wasi -o "$out/qjs.wasm" "$obj/qjs.o" "$obj/repl.o" \
  "$obj/standalone.o" "$obj"/qjs/*.o $QJS_LINK
# shellcheck disable=SC2086
"$CC22" --target=wasm32-wasi -o "$out/qjsc.wasm" "$obj/qjsc.o" "$obj"/qjs/*.o $QJS_LINK

wait "$sqlite_pid" || die "compiling sqlite3.c failed"
"$CC14" --target=wasm32-wasi -Wl,--strip-all -o "$out/sqlite3.wasm" \
  "$obj/shell.o" "$obj/sqlite3.o" "$obj/wasi_missing.o" \
  -lwasi-emulated-signal -lwasi-emulated-process-clocks -lwasi-emulated-getpid \
  -lwasi-emulated-mman

echo "$stamp" >"$out/STAMP"
for m in sqlite3 lua luac qjs qjsc; do
  log "$out/$m.wasm: $(wc -c <"$out/$m.wasm") bytes"
done
