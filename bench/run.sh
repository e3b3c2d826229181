#!/bin/sh
# bench/run.sh - the training-step benchmarks of docs/benchmarks.md: duet
# against PyTorch and the GEMM floor (lockstep timing, compare_step.py) on
# the Fashion-MNIST MLP, with peak memory of one epoch of real training
# (`duet run` against torch_mlp.py train), and on the GPT of
# examples/kjv_gpt.duet (AdamW, and Dual against a PyTorch Muon peer), with
# the speed of that example's real training runs (derived optimizer and
# AdamW), and on the CNN of examples/fashion_cnn.duet; compile times. Prints the results as
# markdown on stdout (progress on stderr).
#
#   bench/run.sh [BUILD_DIR]          default: ./build
# Environment: MODELS (default "mlp gpt cnn"), REPEATS (runs of each
# configuration, default 3), STEPS (lockstep steps per run, default 100),
# GPT_STEPS (training steps of the example runs, default 2000: the
# example's), OUT (raw results, default a new temporary directory). The
# example runs need data/kjv.txt (sh scripts/kjv-text) or DUET_DATA.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
if [ ! -d "$BUILD" ]; then
  echo "run.sh: no build directory $BUILD (cmake -S $ROOT -B $BUILD && cmake --build $BUILD)" >&2
  exit 1
fi
BUILD=$(cd "$BUILD" && pwd)
MODELS=${MODELS:-mlp gpt cnn}
REPEATS=${REPEATS:-3}
STEPS=${STEPS:-100}
GPT_STEPS=${GPT_STEPS:-2000}
OUT=${OUT:-$(mktemp -d /tmp/duet-bench.XXXXXX)}
PY=/usr/bin/python3
BENCH=$BUILD/bench/bench_step
DUET=$BUILD/duet
mkdir -p "$OUT"

for exe in "$BENCH" "$DUET"; do
  if [ ! -x "$exe" ]; then
    echo "run.sh: $exe is missing; build with: cmake --build $BUILD" >&2
    exit 1
  fi
done

# One thread everywhere (duet's BLAS calls and PyTorch's).
export OPENBLAS_NUM_THREADS=1
# PyTorch's second configuration: glibc malloc keeps freed memory instead of
# returning it to the kernel, so its per-step temporaries stop page-faulting.
TUNED="MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824"
# Its third ("native"): the tuned allocator, and OpenBLAS left to pick its
# own kernels (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset in PyTorch's
# process alone; duet's keeps the environment as set).
DUET_KEEP=""
for v in OPENBLAS_CORETYPE OPENBLAS_L2_SIZE; do
  eval "val=\${$v:-}"
  [ -n "$val" ] && DUET_KEEP="$DUET_KEEP --duet-env $v=$val"
done

# peak_rss FILE CMD...: runs CMD with its output in FILE, then appends the
# peak resident set size of the child as "peak_rss_kb N".
peak_rss() {
  file=$1
  shift
  "$PY" -c '
import resource, subprocess, sys
with open(sys.argv[1], "w") as out:
    rc = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.STDOUT).returncode
    if rc != 0:
        sys.exit("run.sh: %s failed (exit %d), see %s" % (sys.argv[2], rc, sys.argv[1]))
    out.write("peak_rss_kb %d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
' "$file" "$@"
}

{
  echo "machine $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
  echo "cpus $(nproc)"
  echo "date $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "load_before $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "torch $("$PY" -c 'import torch; print(torch.__version__)')"
  echo "openblas $(ls /usr/lib/x86_64-linux-gnu/openblas-pthread/ | sed -n 's/^libopenblasp-\(r[0-9.]*\)\.so$/\1/p')"
  echo "repeats $REPEATS"
  echo "steps $STEPS"
  echo "gpt_steps $GPT_STEPS"
} > "$OUT/machine.txt"

has() {
  case " $MODELS " in *" $1 "*) return 0 ;; esac
  return 1
}

configs=""
has mlp && configs="mlp.adamw.128 mlp.adamw.256 mlp.dual.256"
has gpt && configs="$configs gpt.adamw.12 gpt.dual.12"
has cnn && configs="$configs cnn.adamw.128 cnn.dual.128"
r=1
while [ "$r" -le "$REPEATS" ]; do
  for config in $configs; do
    set -- $(echo "$config" | tr . ' ')
    for alloc in default tuned native; do
      echo "run.sh: run $r/$REPEATS, $1 $2 batch $3, PyTorch configuration $alloc" >&2
      envs=""
      keep=""
      [ "$alloc" != default ] && envs=$TUNED
      [ "$alloc" = native ] && envs="-u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $envs" &&
        keep=$DUET_KEEP
      env $envs "$PY" "$ROOT/bench/compare_step.py" --bench "$BENCH" --model "$1" \
        --opt "$2" --batch "$3" --steps "$STEPS" $keep > "$OUT/step.$config.$alloc.$r.txt"
    done
  done
  r=$((r + 1))
done

if has gpt; then
  echo "run.sh: the GPT example, $GPT_STEPS steps with each optimizer" >&2
  for opt in dual adamw; do
    set --
    [ "$opt" = adamw ] && set -- --set "optimizer=AdamW(lr = 0.002)"
    "$DUET" run "$ROOT/examples/kjv_gpt.duet" kjv_gpt "$@" --steps "$GPT_STEPS" --threads 1 \
      --quiet --out "$OUT/gpt.$opt" > "$OUT/gpt.$opt.txt" 2>&1 ||
      { echo "run.sh: the GPT example failed, see $OUT/gpt.$opt.txt" >&2; exit 1; }
  done
fi

if has mlp; then
  echo "run.sh: one epoch of Fashion-MNIST training per program (peak memory)" >&2
  for opt in dual adamw; do
    set -- --set "optimizer=Dual(lr = 0.02)"
    [ "$opt" = adamw ] && set -- --set "optimizer=AdamW(lr = 0.001)"
    peak_rss "$OUT/mem.duet.$opt.txt" "$DUET" run "$ROOT/examples/fashion_mlp.duet" "$@" \
      --epochs 1 --threads 1 --quiet --out "$OUT/run.$opt"
    peak_rss "$OUT/mem.torch.$opt.txt" "$PY" "$ROOT/bench/torch_mlp.py" train --opt "$opt" \
      --batch 256 --epochs 1
  done
fi
echo "load_after $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"

"$PY" "$ROOT/bench/table.py" "$OUT"
echo "run.sh: raw results in $OUT" >&2
