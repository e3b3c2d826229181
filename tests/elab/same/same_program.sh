#!/bin/sh
# same_program.sh: two programs elaborate to the same IR (source locations
# aside): same_program.sh ELAB_TOOL STDLIB A.duet B.duet
set -eu
tool=$1 stdlib=$2
a=$("$tool" check "$3" --stdlib "$stdlib" --ir | sed 's/  ;.*//')
b=$("$tool" check "$4" --stdlib "$stdlib" --ir | sed 's/  ;.*//')
[ -n "$a" ] || { echo "no program from $3"; exit 1; }
[ "$a" = "$b" ] || { echo "$3 and $4 elaborate to different programs"; exit 1; }
echo "$3 and $4: the same program ($(echo "$a" | wc -l) lines)"
