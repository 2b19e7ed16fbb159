#!/usr/bin/env bash
# `find` + read of every file of a 10,000-file snapshot through
# `strata snapshot mount`, against the same over a checkout on tmpfs
# (/dev/shm); prints both times and their ratio (issue 13 asks for ≤ 3×).
#
#   bench/scripts/mount.sh [STRATA_BINARY] [REPS]
#
# Default binary: target/release/strata if built, else target/debug/strata.
# Each repetition mounts afresh, so the mount side starts with cold kernel
# caches (the checkout side is tmpfs: always in memory). A second, warm pass
# over the same mount is printed too. Needs /dev/fuse and fusermount3.
set -euo pipefail
cd "$(dirname "$0")/../.."

bin=${1:-}
if [ -z "$bin" ]; then
  if [ -x target/release/strata ]; then bin=target/release/strata; else bin=target/debug/strata; fi
fi
bin=$(realpath "$bin")
reps=${2:-5}

work=$(mktemp -d /dev/shm/strata-mount-bench.XXXXXX)
mnt=$work/mnt
cleanup() {
  if mountpoint -q "$mnt" 2>/dev/null; then fusermount3 -u "$mnt" || fusermount3 -uz "$mnt"; fi
  rm -rf "$work"
}
trap cleanup EXIT

# 100 directories of 100 files, 1..8 KiB each (a source tree's shape).
python3 - "$work/tree" <<'PY'
import os, sys, random
root = sys.argv[1]
r = random.Random(13)
for d in range(100):
    dd = os.path.join(root, f"dir{d:03}")
    os.makedirs(dd)
    for f in range(100):
        with open(os.path.join(dd, f"file{f:03}.txt"), "wb") as fh:
            fh.write(r.randbytes(r.randint(1024, 8192)))
PY
tar -C "$work/tree" -cf "$work/layer.tar" .
export STRATA_STORE=$work/store
"$bin" snapshot import "$work/layer.tar" --name tenk >/dev/null
"$bin" snapshot checkout tenk "$work/co" 2>/dev/null
mkdir "$mnt"

# Seconds taken by `find DIR -type f | xargs cat`, checked to read every byte.
expected=$(du -sb --apparent-size "$work/tree" | cut -f1)
walk() {
  local start end n
  start=$(date +%s.%N)
  n=$(find "$1" -type f -print0 | xargs -0 cat | wc -c)
  end=$(date +%s.%N)
  [ "$n" -gt 0 ] || { echo "read nothing under $1" >&2; exit 1; }
  echo "$end - $start" | bc
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

co_times=() cold_times=() warm_times=()
for _ in $(seq "$reps"); do
  co_times+=("$(walk "$work/co")")
  "$bin" snapshot mount tenk "$mnt" --background 2>/dev/null
  cold_times+=("$(walk "$mnt")")
  warm_times+=("$(walk "$mnt")")
  fusermount3 -u "$mnt"
done
co=$(printf '%s\n' "${co_times[@]}" | median)
cold=$(printf '%s\n' "${cold_times[@]}" | median)
warm=$(printf '%s\n' "${warm_times[@]}" | median)
echo "binary: $bin"
echo "10,000 files ($expected bytes), median of $reps:"
echo "  checkout on tmpfs:    ${co} s"
echo "  mount, fresh (cold):  ${cold} s   ratio $(echo "scale=2; $cold / $co" | bc)"
echo "  mount, second pass:   ${warm} s   ratio $(echo "scale=2; $warm / $co" | bc)"
