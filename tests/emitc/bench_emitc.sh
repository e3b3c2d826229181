#!/bin/sh
# bench_emitc.sh - inference throughput of the emitted C against the JIT
# (docs/benchmarks.md): for each example, a short `duet run` for a
# checkpoint, `duet emit-c` from it, builds with OpenBLAS and portable (each
# at -O2 and at -O3 -march=native), `predict --repeat R` on the whole
# Fashion-MNIST test set (the KJV validation split for the GPT), and
# jit_eval (the JIT's eval_step on the same data), one BLAS thread each.
# The images are predicted REPEAT times (default 3), the text once.
#
#   tests/emitc/bench_emitc.sh BUILD_DIR WORK_DIR [REPEAT]
# The GPT needs the text: sh scripts/kjv-text (DUET_DATA as for duet run).
set -eu
build=$1 work=$2 repeat=${3:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
export OPENBLAS_NUM_THREADS=1 DUET_STDLIB="$root/stdlib"
fm=/usr/share/datasets/fashion-mnist
mkdir -p "$work"
data=${DUET_DATA:-data}/kjv.txt
for ex in fashion_mlp fashion_cnn kjv_gpt; do
    if [ "$ex" = kjv_gpt ]; then
        /usr/bin/python3 -c "import sys; d = open(sys.argv[1], 'rb').read(); \
open(sys.argv[2], 'wb').write(d[len(d) - int(len(d) * 0.1):])" "$data" "$work/val.txt"
        set -- --text "$work/val.txt"
        times=1
    else
        times=$repeat
        set -- --idx "$fm/t10k-images-idx3-ubyte.gz" "$fm/t10k-labels-idx1-ubyte.gz"
    fi
    rm -rf "$work/$ex-run" "$work/$ex-c"
    "$build/duet" run "$root/examples/$ex.duet" "$ex" --steps 10 --out "$work/$ex-run" --quiet >/dev/null
    "$build/duet" emit-c "$root/examples/$ex.duet" "$ex" -o "$work/$ex-c" \
        --checkpoint "$work/$ex-run/model.safetensors" >/dev/null
    for blas in openblas portable; do
        for flags in "-O2" "-O3 -march=native"; do
            dir="$work/$ex-$blas-$(echo "$flags" | tr -d ' =-')"
            rm -rf "$dir" && cp -r "$work/$ex-c" "$dir"
            make -s -C "$dir" -j2 CFLAGS="$flags" BLAS="$([ $blas = openblas ] && echo openblas)" >/dev/null
            printf '%s %s %s: ' "$ex" "$blas" "$flags"
            (cd "$dir" && ./predict --repeat "$times" "$@" 2>&1 >/dev/null)
        done
    done
    printf '%s jit: ' "$ex"
    "$build/tests/emitc/jit_eval" "$root/examples/$ex.duet" "$ex" "$work/$ex-run/model.safetensors" "$times"
done
