#!/usr/bin/env bash
# Same-node TCP with and without weir's sockmap (docs/policy-datapath.md "Sockmap", docs/benchmarks.md), one run:
# a lab with every pod on node1, a tcpecho server in y/a and its client in x/a (weir-datapath/src/test/c/tcpecho.c,
# built here with clang); first the agents without --sockmap, then restarted with it, the same pods and server.
# Request/response latency (p50/p99) with 64 B and 64 KiB messages, and stream throughput with 64 B and 64 KiB
# writes. Needs root; takes any lab down first and leaves none. Run it under the lab lock:
#
#   flock /tmp/weir-lab.lock scripts/bench-sockmap.sh                 # 20000/2000 round trips, 5 s streams
#   flock /tmp/weir-lab.lock scripts/bench-sockmap.sh --rr 5000 --rr-large 500 --seconds 2
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$WEIR_ROOT/scripts/setup.sh"
weir_require_jdk

RR=20000
RR_LARGE=2000
SECONDS_=5
while [ $# -gt 0 ]; do
    case "$1" in
        --rr) RR="$2"; shift 2 ;;
        --rr-large) RR_LARGE="$2"; shift 2 ;;
        --seconds) SECONDS_="$2"; shift 2 ;;
        *) echo "bench-sockmap: unknown option $1 (--rr N, --rr-large N, --seconds S)" >&2; exit 2 ;;
    esac
done

WEIR="$WEIR_ROOT/bin/weir"
TMP=$(mktemp -d /tmp/weir-bench-sockmap.XXXXXX)
TOOL="$TMP/tcpecho"
SERVER_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    "$WEIR" lab down >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
trap cleanup EXIT
clang -O2 -Wall -Werror -o "$TOOL" "$WEIR_ROOT/weir-datapath/src/test/c/tcpecho.c"
SERVER=10.244.2.10   # y/a
PORT=9000

# sockmap_stats on node1: "packets bytes" of a reason, summed over the CPUs (0 0 when not pinned)
stat() {
    local pin=/sys/fs/bpf/weir/node1/sockmap_stats
    if [ ! -e "$pin" ]; then echo "0 0"; return; fi
    # each CPU's struct weir_counter { u64 packets; u64 bytes; }: as fields with BTF, else as 16 hex bytes
    bpftool -j map lookup pinned "$pin" key "$1" 0 0 0 | jq -r '
        def hex: ltrimstr("0x") | explode | reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end));
        def le: reverse | reduce .[] as $b (0; . * 256 + ($b | hex));
        [.values[].value | if type == "array" then {packets: (.[0:8] | le), bytes: (.[8:16] | le)} else . end]
        | "\(map(.packets) | add) \(map(.bytes) | add)"'
}

# one pass: rr 64 B, rr 64 KiB, stream 64 B, stream 64 KiB; prints "name value" lines
run() {
    local out
    out=$("$WEIR" lab exec x/a -- "$TOOL" rr $SERVER $PORT 64 "$RR")
    echo "$out" | awk '{split($4,a,"="); split($5,b,"="); print "rr64_p50", a[2]; print "rr64_p99", b[2]}'
    out=$("$WEIR" lab exec x/a -- "$TOOL" rr $SERVER $PORT 65536 "$RR_LARGE")
    echo "$out" | awk '{split($4,a,"="); split($5,b,"="); print "rr64k_p50", a[2]; print "rr64k_p99", b[2]}'
    out=$("$WEIR" lab exec x/a -- "$TOOL" stream $SERVER $PORT 64 "$SECONDS_")
    echo "$out" | awk '{split($5,a,"="); print "stream64", a[2]}'
    out=$("$WEIR" lab exec x/a -- "$TOOL" stream $SERVER $PORT 65536 "$SECONDS_")
    echo "$out" | awk '{split($5,a,"="); print "stream64k", a[2]}'
}

echo "bench-sockmap: lab with every pod on node1, agents without --sockmap ..." >&2
"$WEIR" lab down >/dev/null 2>&1 || true
"$WEIR" lab up --nodes 1 >&2
"$WEIR" lab exec y/a -- "$TOOL" server $PORT > "$TMP/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 50); do grep -q listening "$TMP/server.log" && break; sleep 0.2; done
run > "$TMP/off"

echo "bench-sockmap: agents restarted with --sockmap (same pods, same server) ..." >&2
"$WEIR" lab restart-agents --sockmap >&2
read -r red0 redb0 < <(stat 12)
read -r stk0 stkb0 < <(stat 0)
run > "$TMP/on"
read -r red1 redb1 < <(stat 12)
read -r stk1 stkb1 < <(stat 0)

echo "weir sockmap benchmark, one run: x/a -> y/a (tcpecho), both on node1; $(nproc) CPUs, kernel $(uname -r)"
echo "rr: $RR round trips of 64 B, $RR_LARGE of 64 KiB (after 10% warm-up); streams: $SECONDS_ s each"
printf '%-26s %12s %12s %8s\n' "" "sockmap off" "sockmap on" "on/off"
for k in rr64_p50 rr64_p99 rr64k_p50 rr64k_p99 stream64 stream64k; do
    off=$(awk -v k=$k '$1 == k { print $2 }' "$TMP/off")
    on=$(awk -v k=$k '$1 == k { print $2 }' "$TMP/on")
    case $k in
        rr64_p50) name="rr 64 B p50 (us)" ;; rr64_p99) name="rr 64 B p99 (us)" ;;
        rr64k_p50) name="rr 64 KiB p50 (us)" ;; rr64k_p99) name="rr 64 KiB p99 (us)" ;;
        stream64) name="stream 64 B (Mbit/s)" ;; stream64k) name="stream 64 KiB (Mbit/s)" ;;
    esac
    printf '%-26s %12s %12s %8s\n' "$name" "$off" "$on" "$(awk -v a="$off" -v b="$on" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "-" }')"
done
echo "sockmap during the on run: $((red1 - red0)) messages ($((redb1 - redb0)) bytes) redirected socket to socket," \
     "$((stk1 - stk0)) messages ($((stkb1 - stkb0)) bytes) left to the stack"
