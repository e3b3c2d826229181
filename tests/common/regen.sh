#!/bin/sh
# regen.sh: rewrites the expected outputs of the expected-output cases
# (golden, bad-input, warning and non-text inputs of tests/front, tests/sema
# and tests/elab) from the current build: ctest runs them with
# DUET_UPDATE_EXPECTED=1, so run_case.cmake writes what it got. A case whose
# exit code differs still fails. Review the diff before keeping it.
#   tests/common/regen.sh BUILD_DIR [CTEST_REGEX]
# BUILD_DIR is a configured and built tree; CTEST_REGEX narrows the cases.
set -eu
build=$1
regex=${2:-'^(front\.(golden|bad|nontext)|sema\.(tree|explain|warn|bad)|elab\.(ir|bad))\.'}
DUET_UPDATE_EXPECTED=1 ctest --test-dir "$build" -R "$regex" -j2 --output-on-failure
echo "expected outputs rewritten; review with git diff"
