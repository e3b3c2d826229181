#!/bin/sh
# run_fuzz.sh: builds the front-end fuzz harness with clang's libFuzzer,
# ASan and UBSan, replays every committed crash input, then fuzzes for a
# bounded time starting from the seed corpus.
#   run_fuzz.sh CLANG WORKDIR SOURCES_FILE SECONDS REGRESSION_DIR SEED_DIR...
# SOURCES_FILE lists the sources, -I and -D flags, one per line. A crash
# leaves its input in WORKDIR/crash-*: fix the bug, then copy the input into
# tests/front/fuzz_regressions/ so it is replayed on every run.
set -eu
clang=$1 work=$2 sources=$3 seconds=$4 regress=$5
shift 5
mkdir -p "$work/corpus"
flags=$(tr '\n' ' ' < "$sources")
# shellcheck disable=SC2086
"$clang" -g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  $flags -o "$work/fuzz_front" -lm
echo "built $work/fuzz_front"
cd "$work"
rm -f crash-* leak-* timeout-* oom-* slow-unit-*
if ls "$regress"/* >/dev/null 2>&1; then
  ./fuzz_front "$regress"/*
  echo "replayed $(ls "$regress" | wc -l) regression inputs without failure"
fi
status=0
./fuzz_front -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=8192 -print_final_stats=1 corpus "$@" > fuzz.log 2>&1 || status=$?
tail -n 12 fuzz.log
if [ "$status" -ne 0 ] || ls crash-* leak-* timeout-* oom-* >/dev/null 2>&1; then
  echo "fuzzing found a failure (exit $status); see $work/fuzz.log"
  exit 1
fi
echo "fuzzed for $seconds s without failure"
