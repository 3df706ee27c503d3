#!/usr/bin/env bash
# The flow pipeline benchmark: events/s the agent's flow path (ring buffer read, FlowEvent.decode,
# RawFlowEvent, FlowHistory) takes from the kernel without loss, and the loss counters past that
# (docs/benchmarks.md). The kernel writes real events (BPF_PROG_TEST_RUN drops). Needs root; no lab.
#
#   scripts/bench-flows.sh                          # rates 50k..1M events/s, then unpaced; 3 s a step
#   scripts/bench-flows.sh --quick                  # 1 s a step
#   scripts/bench-flows.sh --rates 200000,400000 --seconds 10 --ring-bytes 4194304
#   scripts/bench-flows.sh --help                   # every option
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
exec java --enable-native-access=ALL-UNNAMED -jar "$BENCH_JAR" flows "$@"
