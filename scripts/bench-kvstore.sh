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
# options (default -Xmx8g: 1,000 simulated nodes hold 1,000 copies of the cluster's 11,000 records, about 4.7 GB).
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

available_mib=$(awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo)
if [ -z "${WEIR_BENCH_JAVA_OPTS:-}" ] && [ "${available_mib:-0}" -lt 9000 ] && [[ " $* " != *" --quick "* ]]; then
    echo "bench: warning: ${available_mib} MiB available; 1,000 simulated nodes need about 8 GiB (use --quick or --nodes)" >&2
fi
# shellcheck disable=SC2086 # WEIR_BENCH_JAVA_OPTS is a list of options
exec java ${WEIR_BENCH_JAVA_OPTS:--Xmx8g} -jar "$BENCH_JAR" kvstore-sim "$@"
