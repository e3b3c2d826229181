#!/bin/sh
# bench/data.sh - the data-file benchmarks of docs/benchmarks.md: load
# throughput of each reader (bench/data_files.py writes the files with numpy
# into a temporary directory, bench_data times them), token windows and the
# bound scan on 256 MiB of real token ids and on a 4 GiB sparse file, with
# peak RSS. Prints one line per measurement; the files are removed at the end.
#
#   bench/data.sh [BUILD_DIR]          default: ./build
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
B=$BUILD/bench/bench_data
if [ ! -x "$B" ]; then
  echo "data.sh: $B is missing; build with: cmake --build $BUILD --target bench_data" >&2
  exit 1
fi
OUT=$(mktemp -d /tmp/duet-bench-data.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
/usr/bin/python3 "$ROOT/bench/data_files.py" "$OUT"
"$B" load idx "$OUT/images.idx"
"$B" load idx "$OUT/images.idx.gz"
"$B" load npy "$OUT/f32.npy"
"$B" load npy "$OUT/f32_fortran.npy"
"$B" load npy "$OUT/f64_big.npy"
"$B" load npz "$OUT/stored.npz" x
"$B" load npz "$OUT/deflated.npz" x
"$B" load csv "$OUT/table.csv" label
"$B" tokens "$OUT/tokens.bin" 100000 1024
"$B" tokens "$OUT/sparse.bin" 100000 1024
