#!/usr/bin/env bash
# Cross-node TCP throughput (docs/routing.md, docs/benchmarks.md): iperf3 from x/a (node1) to x/b (node2) on a fresh
# lab for each mode, one run: the lab's direct routing without weir (the baseline), weir's tunnel (VXLAN) and
# weir's native routing. Needs root; takes any lab down first and leaves none.
#
#   scripts/bench-routing.sh                        # 10 s per mode
#   scripts/bench-routing.sh --seconds 30 --modes direct,tunnel
#
# Set WEIR_BENCH_NO_BUILD=1 to skip the build and run the jar as it is.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$WEIR_ROOT/scripts/setup.sh"
weir_require_jdk

BENCH_JAR="$WEIR_ROOT/weir-bench/target/weir-bench.jar"
if [ "${WEIR_BENCH_NO_BUILD:-0}" != 1 ] || [ ! -f "$BENCH_JAR" ]; then
    echo "bench: building weir-bench and what it needs (mvn package, tests skipped) ..." >&2
    (cd "$WEIR_ROOT" && mvn -B -q -pl weir-bench,weir-cli -am -DskipTests package) >&2
fi
"$WEIR_ROOT/bin/weir" lab down >/dev/null 2>&1 || true
java --enable-native-access=ALL-UNNAMED -jar "$BENCH_JAR" routing --weir "$WEIR_ROOT/bin/weir" "$@"
