#!/usr/bin/env bash
# The endpoint policy benchmark: weir_to_ep's per-packet cost through BPF_PROG_TEST_RUN (no policy;
# 1,000 identities with 10,000 entries; established), and the time from apply of 1,000 NetworkPolicies
# over 1,000 endpoints to enforced (docs/benchmarks.md). Needs root; no lab; nothing pinned or attached.
#
#   scripts/bench-policy.sh                    # full run: 1,000,000 packets x 9 rounds, 7 apply rounds
#   scripts/bench-policy.sh --quick            # smoke run, a few seconds
#   scripts/bench-policy.sh --only tc --rounds 15 --json /tmp/policy.json
#   scripts/bench-policy.sh --jmh              # JMH: PolicyEngine.resolve and the pol entries, 100/1,000 policies
#   scripts/bench-policy.sh --help             # every option
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
if [ "${1:-}" = --jmh ]; then
    shift
    exec java --enable-native-access=ALL-UNNAMED -jar "$BENCH_JAR" jmh "$@"
fi
exec java --enable-native-access=ALL-UNNAMED -jar "$BENCH_JAR" policy "$@"
