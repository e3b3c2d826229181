#!/bin/sh
# regen.sh: rewrites the expected outputs of the golden, warning and bad-input tests
# of semantic analysis from the current sema_tool (review the diff before
# keeping it).   tests/sema/regen.sh BUILD_DIR
set -eu
build=$1
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
tool=$(find "$build" -type f -name sema_tool -perm -u+x | head -n 1)
run() { cmake -DDUET="$tool" -DUPDATE=1 "$@" -P "$top/tests/front/run_case.cmake" >/dev/null 2>&1 || true; }
for f in "$here"/golden/*.duet; do
  n=$(basename "$f" .duet)
  run -DDIR="$here/golden" -DINPUT="$n.duet" "-DARGS=--stdlib;$top/stdlib;--tree" -DRC=0 -DOUT="$n.tree"
  run -DDIR="$here/golden" -DINPUT="$n.duet" "-DARGS=--stdlib;$top/stdlib;--explain" -DRC=0 -DOUT="$n.explain"
done
for n in fashion_mlp fashion_cnn; do
  run -DDIR="$top/examples" -DINPUT="$n.duet" "-DARGS=--stdlib;$top/stdlib;--explain" -DRC=0 \
    -DOUT="$here/golden/$n.explain"
done
for f in "$here"/warn/*.duet; do
  n=$(basename "$f" .duet)
  run -DDIR="$here/warn" -DINPUT="$n.duet" "-DARGS=--stdlib;$top/stdlib" -DRC=0 -DERR="$n.err"
done
for f in "$here"/bad/*.duet; do
  n=$(basename "$f" .duet)
  run -DDIR="$here/bad" -DINPUT="$n.duet" "-DARGS=--stdlib;$top/stdlib" -DRC=1 -DERR="$n.err"
done
echo "expected outputs rewritten; review with git diff"
