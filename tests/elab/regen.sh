#!/bin/sh
# regen.sh: rewrites the expected outputs of the golden-program and
# bad-input tests of the elaborator from the current elab_tool (review the
# diff before keeping it).   tests/elab/regen.sh BUILD_DIR
set -eu
build=$1
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
tool=$(find "$build" -type f -name elab_tool -perm -u+x | head -n 1)
run() { cmake -DDUET="$tool" -DUPDATE=1 "$@" -P "$top/tests/front/run_case.cmake" >/dev/null 2>&1 || true; }
# the stdlib is named relative to each directory, as in CMakeLists.txt
for f in "$here"/golden/*.duet; do
  n=$(basename "$f" .duet)
  run -DDIR="$here/golden" -DINPUT="$n.duet" "-DARGS=--stdlib;../../../stdlib;--ir" -DRC=0 -DOUT="$n.ir"
done
for f in "$here"/bad/*.duet; do
  n=$(basename "$f" .duet)
  run -DDIR="$here/bad" -DINPUT="$n.duet" "-DARGS=--stdlib;../../../stdlib" -DRC=1 -DERR="$n.err"
done
echo "expected outputs rewritten; review with git diff"
