#!/usr/bin/env bash
# The whole test suite: set-up, build, unit + kernel (BPF_PROG_TEST_RUN) + lab tests.
# With CI=true a test that needs root or a kernel feature fails instead of skipping.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$WEIR_ROOT/scripts/setup.sh"
weir_require_jdk
cd "$WEIR_ROOT"
# The lab is one per machine and the lab tests build their own: a lab left up (e.g. by scripts/demo.sh),
# with its agents and pinned policy, would be enforced under them.
if [ -e /run/weir/lab/lab.json ] || ls /run/weir/*/lab >/dev/null 2>&1; then
    echo "test: a lab is up (scripts/demo.sh leaves it up); taking it down first: bin/weir lab down" >&2
    "$WEIR_ROOT/bin/weir" lab down >&2
fi
exec mvn -B verify "$@"
