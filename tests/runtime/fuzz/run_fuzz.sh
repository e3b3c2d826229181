#!/bin/sh
# run_fuzz.sh: builds one libFuzzer harness of the data-file readers with
# clang, ASan and UBSan, replays its committed regression inputs, then fuzzes
# for a bounded time starting from its seed corpus.
#   run_fuzz.sh CLANG WORKDIR SOURCES_FILE HARNESS SECONDS MAX_LEN REGRESSION_DIR SEED_DIR
# SOURCES_FILE lists the runtime sources and -I flags, one per line. A crash
# leaves its input in WORKDIR/crash-*: fix the bug, then copy the input into
# REGRESSION_DIR (tests/runtime/fuzz/regressions/<parser>/) so that every run
# replays it.
set -eu
clang=$1 work=$2 sources=$3 harness=$4 seconds=$5 max_len=$6 regress=$7 seeds=$8
name=$(basename "$harness" .c)
mkdir -p "$work/corpus"
flags=$(tr '\n' ' ' < "$sources")
# shellcheck disable=SC2086
"$clang" -g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  "$harness" $flags -o "$work/$name" -lz -lm
echo "built $work/$name"
cd "$work"
rm -f crash-* leak-* timeout-* oom-* slow-unit-*
if ls "$regress"/* >/dev/null 2>&1; then
  "./$name" "$regress"/*
  echo "replayed $(ls "$regress" | wc -l) regression inputs without failure"
fi
status=0
"./$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len="$max_len" -print_final_stats=1 corpus "$seeds" > fuzz.log 2>&1 || status=$?
tail -n 12 fuzz.log
if [ "$status" -ne 0 ] || ls crash-* leak-* timeout-* oom-* >/dev/null 2>&1; then
  echo "fuzzing found a failure (exit $status); see $work/fuzz.log"
  exit 1
fi
echo "fuzzed for $seconds s without failure"
