#!/usr/bin/env bash
# Direct server return against SNAT (docs/benchmarks.md, docs/service-datapath.md "Direct server return"): for each
# NodePort mode, a fresh two-node lab with native routing (weir lab up --routing native --nodeport-mode MODE), a
# NodePort on node1 whose backends are both on node2 (y/remote, TCP/81 and UDP/80), and from ext, for each family
# (IPv4 to 192.168.100.1, IPv6 to fd00:192:168:100::1; DSR: the IPv4 option, the IPv6 destination option):
#   - new TCP connections/s (crr-client: connect, read the backend's line, close; like netperf's TCP_CRR), several
#     rounds, and which backend saw which client address (DSR: ext's own; SNAT: node1's);
#   - UDP request/response latency (one datagram, its answer; p50/p99 over N requests from one socket).
# Needs root; takes any lab down first and leaves none. Run it under the lab lock:
#
#   flock /tmp/weir-lab.lock scripts/bench-dsr.sh                       # 5 s x 3 rounds, 8 in flight, 3000 requests
#   flock /tmp/weir-lab.lock scripts/bench-dsr.sh --seconds 10 --rounds 5 --concurrency 16 --requests 10000
#   flock /tmp/weir-lab.lock scripts/bench-dsr.sh --families 6 --modes dsr
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
weir_require_jdk

SECS=5 ROUNDS=3 CONC=8 REQUESTS=3000 MODES="snat dsr" FAMILIES="4 6"
while [ $# -gt 0 ]; do
    case "$1" in
    --seconds) SECS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --concurrency) CONC=$2; shift 2 ;;
    --requests) REQUESTS=$2; shift 2 ;;
    --modes) MODES=${2//,/ }; shift 2 ;;
    --families) FAMILIES=${2//,/ }; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "bench-dsr: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done

# checked before anything is touched (the trap below takes the lab down)
declare -A NODE1=([4]=192.168.100.1 [6]=fd00:192:168:100::1)
for f in $FAMILIES; do
    [ -n "${NODE1[$f]:-}" ] || { echo "bench-dsr: --families takes 4 and/or 6, not '$f'" >&2; exit 2; }
done

WEIR="$WEIR_ROOT/bin/weir"
WORK=$(mktemp -d /tmp/weir-bench-dsr.XXXXXX)
trap '"$WEIR" lab down >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
CC_BIN=$(command -v clang || command -v cc)
"$CC_BIN" -O2 -Wall -Werror -o "$WORK/crr-client" "$WEIR_ROOT/weir-bench/src/main/c/crr_client.c"
SERVICES="$WEIR_ROOT/weir-cli/src/test/resources/dsr/services.yaml"
PORT=30190
RR_PY='
import socket, sys, time
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET, socket.SOCK_DGRAM)
s.connect((sys.argv[1], int(sys.argv[2])))
s.settimeout(1)
n, t, lost = int(sys.argv[3]), [], 0
for i in range(n):
    a = time.perf_counter_ns()
    s.send(b"x")
    try:
        s.recv(100)
    except socket.timeout:
        lost += 1
        continue
    t.append(time.perf_counter_ns() - a)
t.sort()
print("p50_us=%.0f p99_us=%.0f lost=%d" % (t[len(t) // 2] / 1000, t[int(len(t) * 0.99)] / 1000, lost))
'

"$WEIR" lab down >/dev/null 2>&1 || true
echo "bench-dsr: $(nproc) CPUs, $(uname -r); TCP CRR ${SECS}s x ${ROUNDS} rounds, ${CONC} in flight; UDP RR ${REQUESTS} requests"
printf '%-5s %-3s %-22s %-11s %-36s %s\n' MODE IP "CONN/S (ROUNDS)" "CONN/S MED" "UDP RR (ONE SOCKET)" \
    "LAST ROUND: BACKEND CLIENT-IT-SAW:CONNS"
for mode in $MODES; do
    "$WEIR" lab up --routing native --nodeport-mode "$mode" >"$WORK/up-$mode.log" 2>&1 \
        || { cat "$WORK/up-$mode.log" >&2; exit 1; }
    "$WEIR" apply -f "$SERVICES" >/dev/null
    for f in $FAMILIES; do
        to=${NODE1[$f]}
        for _ in $(seq 1 30); do
            "$WEIR" lab probe ext "$to" "TCP/$PORT" 2>/dev/null | grep -q allowed && break
            sleep 1
        done
        rates=() replies=""
        for _ in $(seq 1 "$ROUNDS"); do
            out=$("$WEIR" lab exec ext -- "$WORK/crr-client" "$to" "$PORT" "$SECS" "$CONC")
            ok=$(sed -n 's/.*ok=\([0-9]*\).*/\1/p' <<<"$out")
            ns=$(sed -n 's/.* ns=\([0-9]*\).*/\1/p' <<<"$out")
            rates+=("$(( ok * 1000000000 / ns ))")
            replies=$(sed -n 's/.*replies=//p' <<<"$out" | sed 's/ firstError=.*//')
            errors=$(sed -n 's/.*errors=\([0-9]*\).*/\1/p' <<<"$out")
            [ "$errors" = 0 ] || echo "bench-dsr: $mode IPv$f: $errors connections failed ($out)" >&2
        done
        median=$(printf '%s\n' "${rates[@]}" | sort -n | sed -n "$(( (ROUNDS + 1) / 2 ))p")
        rr=$("$WEIR" lab exec ext -- python3 -c "$RR_PY" "$to" "$PORT" "$REQUESTS")
        printf '%-5s %-3s %-22s %-11s %-36s %s\n' "$mode" "$f" "$(IFS=,; echo "${rates[*]}")" "$median" "$rr" "$replies"
    done
    "$WEIR" lab down >/dev/null 2>&1
done
