#!/usr/bin/env bash
# The services benchmark (docs/benchmarks.md): new TCP connections/s (connect, read the reply, close —
# like netperf's TCP_CRR) from lab pod x/a to the last of N ClusterIPs, side by side for each mode
# (kube-proxy-style iptables, weir TC with the agents on --socket-lb off, weir socket with --socket-lb on), and iptables-restore
# timings at 10,000 services x 10 endpoints. Needs root; brings the lab up if it is not (and leaves it up:
# `bin/weir lab down` when done).
#
#   scripts/bench-services.sh                                  # 1, 1,000, 10,000 services; 5 rounds of 5 s
#   scripts/bench-services.sh --quick                          # smoke run, about 40 s
#   scripts/bench-services.sh --services 1,1000,10000,30000 --seconds 5 --rounds 5
#   scripts/bench-services.sh --kvstore etcd                   # the lab's agents on a 3-member etcd (default: file)
#   scripts/bench-services.sh --help                           # every option
#
# Set WEIR_BENCH_NO_BUILD=1 to skip the build and run the jar as it is.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
case " $* " in *" --help "*|*" -h "*) ;; *) "$WEIR_ROOT/scripts/setup.sh" ;; esac
weir_require_jdk

# conntrack -F empties each node's table before every measurement (see docs/benchmarks.md)
if ! command -v conntrack >/dev/null; then
    echo "bench: installing conntrack (conntrack-tools)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends conntrack >/dev/null \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends conntrack >/dev/null; }
fi

BENCH_DIR="$WEIR_ROOT/weir-bench/target"
BENCH_JAR="$BENCH_DIR/weir-bench.jar"
if [ "${WEIR_BENCH_NO_BUILD:-0}" != 1 ] || [ ! -f "$BENCH_JAR" ]; then
    # weir-cli too: the weir modes run bin/weir, which would otherwise rebuild itself mid-run
    echo "bench: building weir-bench, weir-cli and what they need (mvn package, tests skipped) ..." >&2
    (cd "$WEIR_ROOT" && mvn -B -q -pl weir-bench,weir-cli -am -DskipTests package) >&2
fi
CC_BIN=$(command -v clang || command -v cc)
"$CC_BIN" -O2 -Wall -Werror -o "$BENCH_DIR/crr-client" "$WEIR_ROOT/weir-bench/src/main/c/crr_client.c"

KVSTORE=file
prev=""
for a in "$@"; do
    [ "$prev" = --kvstore ] && KVSTORE=$a
    case "$a" in --kvstore=*) KVSTORE=${a#--kvstore=} ;; esac
    prev=$a
done
case " $* " in
*" --help "*|*" -h "*) ;;
*)
    if ! "$WEIR_ROOT/bin/weir" lab status >/dev/null 2>&1; then
        # 10,000 services x 10 endpoints (the apply timing) need 100,000 lb_backend entries, above the default
        echo "bench: bringing the lab up (bin/weir lab up --kvstore $KVSTORE --lb-map-size lb_backend=262144)" >&2
        "$WEIR_ROOT/bin/weir" lab up --kvstore "$KVSTORE" --lb-map-size lb_backend=262144 >&2
    fi
    ;;
esac
export WEIR_ROOT
exec java --enable-native-access=ALL-UNNAMED -jar "$BENCH_JAR" services --client "$BENCH_DIR/crr-client" "$@"
