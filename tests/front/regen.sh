#!/bin/sh
# regen.sh: rewrites the expected outputs of the golden, bad-input and
# non-text tests from the current `duet` (review the diff before keeping it).
#   tests/front/regen.sh BUILD_DIR
# BUILD_DIR is a configured and built tree; the non-text inputs must have
# been generated there (ctest -R front.nontext.generate).
set -eu
build=$1
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
duet=$(find "$build" -type f -name duet -perm -u+x | head -n 1)
run() { cmake -DDUET="$duet" -DUPDATE=1 "$@" -P "$here/run_case.cmake" >/dev/null || true; }
cd "$here/golden"
for f in *.duet; do
  run -DDIR="$here/golden" -DINPUT="$f" "-DARGS=--stdlib;$top/stdlib;--dump-ast;--parse-only" -DRC=0 -DOUT="${f%.duet}.ast"
done
for f in "$here"/bad/*.duet; do
  n=$(basename "$f" .duet)
  run -DDIR="$here/bad" -DINPUT="$n.duet" "-DARGS=--stdlib;$top/stdlib" -DRC=1 -DERR="$n.err"
done
nontext=$(find "$build" -type d -name nontext -path '*front*' | head -n 1)
for f in "$here"/nontext/*.err; do
  n=$(basename "$f" .err)
  run -DDIR="$nontext" -DINPUT="$n.duet" "-DARGS=--stdlib;$top/stdlib" -DRC=1 -DERR="$f"
done
echo "expected outputs rewritten; review with git diff"
