#!/bin/sh
# bench/own_data.sh - the data sources of the user's files in training
# (docs/benchmarks.md, "Training on your own data"):
#  1. tokens() over a 4 GiB sparse file (holes: ids 0): `duet run` of a
#     few steps of a small GPT, peak RSS by /usr/bin/time -v;
#  2. the loader's share of a training step for every source: bench_sources
#     times the gather of one shuffled batch (median), `duet run` the
#     step (summary.json's ms_per_step, which includes the gather), on the
#     same files with a small model each.
# The files are written with numpy into a temporary directory and removed.
#
#   bench/own_data.sh [BUILD_DIR]          default: ./build
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
DUET=$BUILD/bin/duet
B=$BUILD/bench/bench_sources
[ -x "$B" ] || { echo "own_data.sh: build $B (cmake --build $BUILD --target bench_sources)" >&2; exit 1; }
OUT=$(mktemp -d /tmp/duet-own-data.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
export OPENBLAS_NUM_THREADS=1 DUET_STDLIB="$ROOT/stdlib"
FM=/usr/share/datasets/fashion-mnist
KJV=${DUET_DATA:-$ROOT/data}/kjv.txt

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; load: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%d)"

# ---- 1. a 4 GiB sparse token file -----------------------------------------------
truncate -s 4G "$OUT/sparse.bin"
cat > "$OUT/sparse.duet" <<DUET
use std.gpt
use std.optim
experiment sparse {
  data train = tokens("sparse.bin", context = 1024, vocab = 256)
  model = GPTPreNorm(vocab = 256, context = 1024, width = 64, heads = 4, depth = 1)
  loss = cross_entropy
  optimizer = AdamW(lr = 0.001)
  batch = 4
  steps = 5
}
DUET
/usr/bin/time -v "$DUET" run "$OUT/sparse.duet" --out "$OUT/sparse-run" --quiet 2> "$OUT/time.txt" >/dev/null
echo "tokens, 4 GiB sparse file, 5 steps: $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$OUT/time.txt") KiB peak RSS, $(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$OUT/time.txt") wall"
rm -f "$OUT/sparse.bin"

# ---- 2. the loader's share of a step, every source --------------------------------
/usr/bin/python3 - "$OUT" "$FM" <<'PY'
import gzip, struct, sys
import numpy as np
out, fm = sys.argv[1], sys.argv[2]
def idx(path):
    with gzip.open(path) as f:
        b = f.read()
    nd = b[3]
    dims = struct.unpack(f">{nd}I", b[4:4 + 4 * nd])
    return np.frombuffer(b[4 + 4 * nd:], np.uint8).reshape(dims)
x, y = idx(f"{fm}/train-images-idx3-ubyte.gz"), idx(f"{fm}/train-labels-idx1-ubyte.gz")
np.save(f"{out}/x.npy", x.astype(np.float32) / 255)
np.save(f"{out}/y.npy", y.astype(np.int64))
np.savez_compressed(f"{out}/d.npz", x=x, y=y)
rng = np.random.default_rng(0)
t = rng.standard_normal((60000, 32))
with open(f"{out}/t.csv", "w") as f:
    f.write(",".join(f"f{i}" for i in range(32)) + ",label\n")
    for i in range(60000):
        f.write(",".join(f"{v:.6f}" for v in t[i]) + f",{i % 10}\n")
rng.integers(0, 256, size=32 << 20, dtype=np.uint16).tofile(f"{out}/t.bin")
PY

share() { # NAME BATCH BINDING MODEL -- bench_sources arguments
  name=$1 batch=$2 binding=$3 model=$4
  shift 4
  cat > "$OUT/$name.duet" <<DUET
use std.nn
use std.gpt
use std.optim
experiment $name {
  data train = $binding
  model = $model
  loss = cross_entropy
  optimizer = AdamW(lr = 0.001)
  batch = $batch
  steps = 60
}
DUET
  "$DUET" run "$OUT/$name.duet" --out "$OUT/$name-run" --quiet >/dev/null 2>&1
  ms=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['ms_per_step'])" "$OUT/$name-run/summary.json")
  g=$("$B" "$batch" 200 "$@")
  us=$(echo "$g" | sed -n 's/.*median \([0-9.]*\) us.*/\1/p')
  echo "$name: step $ms ms, gather $us us: loader share $(/usr/bin/python3 -c "print(f'{$us / 1e3 / $ms:.2%}')")  [$g]"
}
MLP='flatten >> MLP(784, 256, 10)'
GPT='GPTPreNorm(vocab = 256, context = 64, width = 128, heads = 4, depth = 4)'
cd "$OUT"
share idx 128 "idx(\"$FM/train-images-idx3-ubyte.gz\", \"$FM/train-labels-idx1-ubyte.gz\")" "$MLP" idx "images=$FM/train-images-idx3-ubyte.gz" "labels=$FM/train-labels-idx1-ubyte.gz"
share npy 128 'npy("x.npy", "y.npy")' "$MLP" npy "x=$OUT/x.npy" "y=$OUT/y.npy"
share npz 128 'npz("d.npz")' "$MLP" npz "file=$OUT/d.npz"
share csv 128 'csv("t.csv", label = "label")' 'MLP(32, 256, 10)' csv "file=$OUT/t.csv" label=label
share fashion_mnist 128 'fashion_mnist("train")' "$MLP" fashion_mnist split=train
share text 12 "text(\"$KJV\", context = 64)" "$GPT" text "file=$KJV" context=64
share tokens 12 'tokens("t.bin", context = 64, vocab = 256)' "$GPT" tokens "file=$OUT/t.bin" context=64 vocab=256
