#!/bin/sh
# bench/emitc.sh - inference throughput of the standalone C of `duet emit-c`
# against the JIT (docs/benchmarks.md): for each example (Fashion-MNIST MLP
# and CNN, KJV GPT) a 10-step `duet run` gives a checkpoint, `duet emit-c`
# the C, built four ways (OpenBLAS and portable, each at the default -O2 and
# at -O3 -march=native); then in every round `duet predict` (the JIT) and
# each build's predict run on the same examples in the same batches (the
# whole Fashion-MNIST test set; 80 batches of validation windows of the
# text), one thread each. Prints a markdown table of the medians over the
# rounds of examples/s (tokens/s for the GPT) and of the per-round ratios to
# the JIT, by wall time and by CPU time (progress on stderr).
#
#   bench/emitc.sh [BUILD_DIR]          default: ./build
# Environment: ROUNDS (default 5), OUT (raw results, default a new
# temporary directory).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
if [ ! -x "$BUILD/duet" ]; then
  echo "emitc.sh: no $BUILD/duet (cmake -S $ROOT -B $BUILD && cmake --build $BUILD)" >&2
  exit 1
fi
BUILD=$(cd "$BUILD" && pwd)
ROUNDS=${ROUNDS:-5}
OUT=${OUT:-$(mktemp -d /tmp/duet-bench-emitc.XXXXXX)}
DUET=$BUILD/duet
FM=/usr/share/datasets/fashion-mnist
export OPENBLAS_NUM_THREADS=1 DUET_STDLIB="$ROOT/stdlib" DUET_DATA="$OUT/data"
unset MAKEFLAGS MFLAGS MAKELEVEL
mkdir -p "$OUT/data"

sh "$ROOT/scripts/kjv-text" "$OUT/data/kjv.txt" >/dev/null
# 80 batches of 12 windows of 64 bytes from the start of the validation
# split (the last 10% of the text), and the byte after the last window
/usr/bin/python3 -c 'import sys
d = open(sys.argv[1], "rb").read()
v = d[len(d) - int(len(d) * 0.1):]
open(sys.argv[2], "wb").write(v[:80 * 12 * 64 + 1])' "$OUT/data/kjv.txt" "$OUT/val.txt"

{
  echo "machine $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"
  echo "date $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "load_before $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "cc $(gcc --version | head -1)"
  echo "rounds $ROUNDS"
} > "$OUT/machine.txt"

BUILDS="openblas-O2 openblas-O3native portable-O2 portable-O3native"
for ex in fashion_mlp fashion_cnn kjv_gpt; do
  echo "emitc.sh: $ex: checkpoint, emit-c, builds" >&2
  "$DUET" run "$ROOT/examples/$ex.duet" "$ex" --steps 10 --out "$OUT/$ex-run" --quiet >/dev/null
  "$DUET" emit-c "$ROOT/examples/$ex.duet" "$ex" --checkpoint "$OUT/$ex-run/model.safetensors" \
    -o "$OUT/$ex-c" >/dev/null
  for b in $BUILDS; do
    rm -rf "$OUT/$ex-$b" && cp -r "$OUT/$ex-c" "$OUT/$ex-$b"
    blas=${b%%-*} flags=-O2
    [ "${b#*-}" = O3native ] && flags="-O3 -march=native"
    [ "$blas" = portable ] && blas=
    make -s -C "$OUT/$ex-$b" -j2 BLAS="$blas" CFLAGS="$flags" >/dev/null
  done
done

r=1
while [ "$r" -le "$ROUNDS" ]; do
  echo "emitc.sh: round $r/$ROUNDS" >&2
  for ex in fashion_mlp fashion_cnn kjv_gpt; do
    if [ "$ex" = kjv_gpt ]; then
      set -- --text "$OUT/val.txt"
    else
      set -- --idx "$FM/t10k-images-idx3-ubyte.gz" "$FM/t10k-labels-idx1-ubyte.gz"
    fi
    "$DUET" predict "$ROOT/examples/$ex.duet" "$ex" --weights "$OUT/$ex-run/model.safetensors" \
      --threads 1 "$@" 2>"$OUT/$ex.jit.$r.txt" >/dev/null
    for b in $BUILDS; do
      (cd "$OUT/$ex-$b" && ./predict --threads 1 "$@" 2>"$OUT/$ex.$b.$r.txt" >/dev/null)
    done
  done
  r=$((r + 1))
done
echo "load_after $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"

/usr/bin/python3 - "$OUT" $BUILDS <<'EOF'
import re, statistics, sys
out, builds = sys.argv[1], sys.argv[2:]
rounds = int(re.search(r"rounds (\d+)", open(f"{out}/machine.txt").read()).group(1))

def rates(ex, config, r):
    """(per second of the clock, per second of CPU): tokens for text, else examples"""
    line = open(f"{out}/{ex}.{config}.{r}.txt").read()
    m = re.search(r"in ([0-9.]+) s \(([0-9.]+) s of CPU\): ([0-9.]+) examples/s"
                  r"(?:, ([0-9.]+) tokens/s)?", line)
    wall, cpu, rate = float(m.group(1)), float(m.group(2)), float(m.group(4) or m.group(3))
    return rate, rate * wall / cpu

print(open(f"{out}/machine.txt").read().strip().replace("\n", "; "))
print()
print("| example | unit | JIT (duet predict) | " + " | ".join(builds) + " |")
print("|---|---|---|" + "---|" * len(builds))
for ex in ("fashion_mlp", "fashion_cnn", "kjv_gpt"):
    unit = "tokens/s" if ex == "kjv_gpt" else "images/s"
    jit = [rates(ex, "jit", r) for r in range(1, rounds + 1)]
    cells = []
    for b in builds:
        got = [rates(ex, b, r) for r in range(1, rounds + 1)]
        wall = statistics.median(g[0] / j[0] for g, j in zip(got, jit))
        cpu = statistics.median(g[1] / j[1] for g, j in zip(got, jit))
        cells.append(f"{statistics.median(g[0] for g in got):.0f} ({wall:.2f}x; CPU {cpu:.2f}x)")
    print(f"| {ex} | {unit} | {statistics.median(j[0] for j in jit):.0f} | " + " | ".join(cells)
          + " |")
EOF
echo "emitc.sh: raw results in $OUT" >&2
