#!/usr/bin/env bash
# The prefilter benchmark: weir's XDP prefilter beside xdp-tools' xdp-filter, per-packet cost through
# BPF_PROG_TEST_RUN, interleaved in one run (docs/benchmarks.md). Needs root. Leaves nothing behind.
#
#   scripts/bench-prefilter.sh                 # full run: 1,000,000 packets x 9 rounds, sweep to 100,000
#   scripts/bench-prefilter.sh --quick         # smoke run, a few seconds
#   scripts/bench-prefilter.sh --rounds 15 --repeat 2000000 --json /tmp/bench.json
#   scripts/bench-prefilter.sh --help          # every option
#
# Set WEIR_BENCH_NO_BUILD=1 to skip the build and run the jar as it is.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$WEIR_ROOT/scripts/setup.sh"
weir_require_jdk

BENCH_JAR="$WEIR_ROOT/weir-bench/target/weir-bench.jar"
if [ "${WEIR_BENCH_NO_BUILD:-0}" != 1 ] || [ ! -f "$BENCH_JAR" ]; then
    echo "bench: building weir-bench and what it needs (mvn package, tests skipped) ..." >&2
    (cd "$WEIR_ROOT" && mvn -B -q -pl weir-bench -am -DskipTests package) >&2
fi
exec java --enable-native-access=ALL-UNNAMED -jar "$BENCH_JAR" prefilter "$@"
