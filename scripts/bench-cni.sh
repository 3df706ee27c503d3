#!/usr/bin/env bash
# weir-cni latency (docs/cni.md, docs/benchmarks.md): brings up a one-node lab, then times CNI ADD and DEL of
# 50 pods, ten at a time, through node1's installed plugin, as a kubelet would call it (p50/p95/max; an ADD
# ends when the pod's policy is in force), and takes the lab down again. Needs root.
#
#   scripts/bench-cni.sh                     # 50 pods, 10 at a time
#   scripts/bench-cni.sh --pods 100 --parallel 20
#   scripts/bench-cni.sh --help              # every option
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
trap '"$WEIR_ROOT/bin/weir" lab down >/dev/null 2>&1 || true' EXIT
"$WEIR_ROOT/bin/weir" lab up --nodes 1 >&2
java --enable-native-access=ALL-UNNAMED -jar "$BENCH_JAR" cni "$@"
