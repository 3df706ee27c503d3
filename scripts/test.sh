#!/usr/bin/env bash
# The whole test suite: set-up, build, unit + kernel (BPF_PROG_TEST_RUN) + lab tests.
# With CI=true a test that needs root or a kernel feature fails instead of skipping.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$WEIR_ROOT/scripts/setup.sh"
weir_require_jdk
cd "$WEIR_ROOT"
exec mvn -B verify "$@"
