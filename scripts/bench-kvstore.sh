#!/usr/bin/env bash
# kvstore scale by simulation (docs/benchmarks.md): N simulated weir nodes in one JVM, each a real
# EtcdNodeRegistry (lease, node record, 10 endpoints, watches; no datapath), on a real 3-member etcd that the
# benchmark starts on loopback (ports 31500-31505) with its data on /dev/shm, and removes again. For 10, 100 and
# 1,000 nodes: start and converge time, a new endpoint -> every node's view (p50/p99/max), etcd's load.
# Needs no root and no lab.
#
#   scripts/bench-kvstore.sh                        # 10, 100, 1,000 nodes, 50 samples each: about 4 min
#   scripts/bench-kvstore.sh --quick                # 10 and 100 nodes, 10 samples: about 30 s
#   scripts/bench-kvstore.sh --nodes 10,100,300 --heartbeat 10 --json /tmp/kvstore.json
#   scripts/bench-kvstore.sh --help                 # every option
#
# Set WEIR_BENCH_NO_BUILD=1 to skip the build and run the jar as it is. WEIR_BENCH_JAVA_OPTS replaces the JVM
# options (default -Xmx8g: 1,000 simulated nodes hold 1,000 copies of the cluster's 11,000 records, about 4.7 GB
# live; the benchmark refuses a size that does not fit the heap or the machine's available memory).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# What scripts/setup.sh would install, checked only as far as this benchmark needs it (setup.sh needs root).
if [ ! -x /usr/bin/etcd ]; then
    if [ "$(id -u)" -eq 0 ]; then
        "$WEIR_ROOT/scripts/setup.sh"
    else
        echo "bench: /usr/bin/etcd is missing: run sudo scripts/setup.sh (it installs Debian's etcd-server)" >&2
        exit 3
    fi
fi
weir_require_jdk

BENCH_JAR="$WEIR_ROOT/weir-bench/target/weir-bench.jar"
if [ "${WEIR_BENCH_NO_BUILD:-0}" != 1 ] || [ ! -f "$BENCH_JAR" ]; then
    if ! command -v mvn >/dev/null; then
        echo "bench: mvn is missing: run sudo scripts/setup.sh (it installs maven)" >&2
        exit 3
    fi
    echo "bench: building weir-bench and what it needs (mvn package, tests skipped) ..." >&2
    (cd "$WEIR_ROOT" && mvn -B -q -pl weir-bench -am -DskipTests package) >&2
fi

# The members' data goes under a directory of this script's own. The benchmark removes its members and data itself,
# also on Ctrl-C; this trap covers a JVM killed outright (kill -9, the OOM killer): members still running with
# their data in that directory are killed by pid, and the directory removed.
DATA_ROOT="$(mktemp -d /dev/shm/weir-kvbench-run.XXXXXX)"
cleanup() {
    local pid
    for pid in $(pgrep -f -- "--data-dir $DATA_ROOT/" || true); do
        kill -9 "$pid" 2>/dev/null || true
    done
    rm -rf "$DATA_ROOT"
}
trap cleanup EXIT

# shellcheck disable=SC2086 # WEIR_BENCH_JAVA_OPTS is a list of options
java ${WEIR_BENCH_JAVA_OPTS:--Xmx8g} -jar "$BENCH_JAR" kvstore-sim --data-root "$DATA_ROOT" "$@"
