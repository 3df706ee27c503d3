#!/usr/bin/env bash
# SYN flood defence (docs/prefilter-datapath.md "SYN proxy", docs/benchmarks.md): hping3 floods node1's TCP server
# with spoofed SYNs from ext while a client in ext connects back to back; per defence (off: no SYN cookies,
# kernel: the kernel's own cookies, xdp: weir's XDP SYN proxy) the client's success rate, connect latency and the
# flood's rate. One lab, one run. Needs root; takes any lab down first and leaves none.
#
#   scripts/bench-synflood.sh                      # 10 s per mode
#   scripts/bench-synflood.sh --seconds 20 --modes kernel,xdp
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
java --enable-native-access=ALL-UNNAMED -jar "$BENCH_JAR" synflood --weir "$WEIR_ROOT/bin/weir" "$@"
