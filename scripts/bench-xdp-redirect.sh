#!/usr/bin/env bash
# Packets per second to a local pod through the prefilter's redirect stage (XDP_REDIRECT into the pod's veth)
# against the TC path (XDP_PASS, the node's stack, weir_to_ep on the lxc), one run on one lab
# (docs/prefilter-datapath.md "Redirect to local pods", docs/benchmarks.md). A native-routing lab; ext gets a
# route to x/a (node1) and its TX checksum offload off (a redirected frame carries no checksum state); a tcpecho
# server in x/a and one connection to it from ext, held open, so that conntrack has it established. Then
# tcpblast (weir-bench/src/main/c/tcpblast.c: AF_PACKET, sendmmsg, 64-byte TCP ACK frames of that connection,
# complete checksums) sends from ext for SECONDS, rounds times each way, alternating: the WeirPrefilter on node1's
# eth0 with spec.redirect false (TC path) and true (XDP redirect); x/a's eth0 has GRO on in both. Delivered = packets x/a's eth0 received
# (/proc/net/dev in the pod); the pod's TCP then discards them (out of window), the same work on both paths.
# Needs root; takes any lab down first and leaves none. Run it under the lab lock:
#
#   flock /tmp/weir-lab.lock scripts/bench-xdp-redirect.sh                  # 3 rounds of 5 s each way
#   flock /tmp/weir-lab.lock scripts/bench-xdp-redirect.sh --rounds 1 --seconds 3
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$WEIR_ROOT/scripts/setup.sh"
weir_require_jdk

ROUNDS=3
SECONDS_=5
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS="$2"; shift 2 ;;
        --seconds) SECONDS_="$2"; shift 2 ;;
        *) echo "bench-xdp-redirect: unknown option $1 (--rounds N, --seconds S)" >&2; exit 2 ;;
    esac
done

WEIR="$WEIR_ROOT/bin/weir"
RES="$WEIR_ROOT/weir-cli/src/test/resources/xdpredirect"
TMP=$(mktemp -d /tmp/weir-bench-xdp-redirect.XXXXXX)
SERVER_PID=
SESSION_PID=
cleanup() {
    [ -n "$SESSION_PID" ] && kill "$SESSION_PID" 2>/dev/null || true
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    "$WEIR" lab down >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
trap cleanup EXIT
clang -O2 -Wall -Werror -o "$TMP/tcpecho" "$WEIR_ROOT/weir-datapath/src/test/c/tcpecho.c"
clang -O2 -Wall -Werror -o "$TMP/tcpblast" "$WEIR_ROOT/weir-bench/src/main/c/tcpblast.c"
SERVER=10.244.1.10   # x/a, on node1
EXT=192.168.100.200
NODE1=192.168.100.1
PORT=9000

echo "bench-xdp-redirect: lab up (native routing) ..." >&2
"$WEIR" lab down >/dev/null 2>&1 || true
"$WEIR" lab up --routing native >&2
EXT_IF=$("$WEIR" lab status -o json | jq -r '.ext.underlayInterface')
NODE1_MAC=$(ip -n weir-node1 -j link show eth0 | jq -r '.[0].address')
"$WEIR" lab exec ext -- ip route add $SERVER/32 via $NODE1
"$WEIR" lab exec ext -- ethtool -K "$EXT_IF" tx off >/dev/null
# GRO on x/a's eth0 from the start: weir-cni turns it on when the stage first goes on, and leaves it on; so that
# both paths are measured into the same receiving interface, the TC rounds have it too
"$WEIR" lab exec x/a -- ethtool -K eth0 gro on >/dev/null
"$WEIR" lab exec x/a -- "$TMP/tcpecho" server $PORT > "$TMP/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 50); do grep -q listening "$TMP/server.log" && break; sleep 0.2; done
"$WEIR" apply -f "$RES/no-redirect-node1.yaml" >&2
# one connection, held open (its stdin never closes): conntrack keeps it established
mkfifo "$TMP/session.in"
sleep 100000 > "$TMP/session.in" &
HOLD=$!
"$WEIR" lab exec ext -- "$TMP/tcpecho" session $SERVER $PORT 3000 < "$TMP/session.in" > "$TMP/session.log" 2>&1 &
SESSION_PID=$!
for _ in $(seq 50); do grep -q connected "$TMP/session.log" && break; sleep 0.2; done
SPORT=$(awk '/connected/ { print $2 }' "$TMP/session.log")
[ -n "$SPORT" ] || { echo "bench-xdp-redirect: no connection from ext: $(cat "$TMP/session.log")" >&2; exit 1; }

rx() { "$WEIR" lab exec x/a -- cat /proc/net/dev | awk '$1 == "eth0:" { print $3 }'; }
redirected() {
    "$WEIR" prefilter stats --netns weir-node1 -o json | jq '[.redirect[] | select(.path == "XDP_REDIRECT") | .packets] | add // 0'
}
await() {
    for _ in $(seq 100); do
        [ "$("$WEIR" prefilter list --netns weir-node1 -o json | jq -r '.redirect')" = "$1" ] && return
        sleep 0.2
    done
    echo "bench-xdp-redirect: node1's redirect stage did not become $1" >&2; exit 1
}
# one blast; prints "sent_pps delivered_pps redirected"
blast() {
    local r0 d0 r1 d1 out sent ns
    r0=$(rx); d0=$(redirected)
    out=$("$WEIR" lab exec ext -- "$TMP/tcpblast" "$EXT_IF" "$NODE1_MAC" $EXT $SERVER "$SPORT" $PORT "$SECONDS_")
    r1=$(rx); d1=$(redirected)
    sent=$(echo "$out" | sed -n 's/.*sent=\([0-9]*\).*/\1/p'); ns=$(echo "$out" | sed -n 's/.*ns=\([0-9]*\).*/\1/p')
    awk -v s="$sent" -v ns="$ns" -v r=$((r1 - r0)) -v d=$((d1 - d0)) \
        'BEGIN { printf "%.0f %.0f %d\n", s * 1e9 / ns, r * 1e9 / ns, d }'
}

LOAD_BEFORE=$(uptime)
for i in $(seq "$ROUNDS"); do
    "$WEIR" apply -f "$RES/no-redirect-node1.yaml" >/dev/null; await false
    echo "tc $(blast)" >> "$TMP/results"
    "$WEIR" apply -f "$RES/redirect-node1.yaml" >/dev/null; await true
    echo "xdp $(blast)" >> "$TMP/results"
    echo "bench-xdp-redirect: round $i done" >&2
done
LOAD_AFTER=$(uptime)
kill "$HOLD" 2>/dev/null || true

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo "weir XDP redirect benchmark, one run: ext -> x/a (node1), 64-byte TCP ACK frames of an established connection"
echo "generator: tcpblast (AF_PACKET, sendmmsg, one thread) in ext, $SECONDS_ s per round, $ROUNDS rounds each way"
echo "alternating; $(nproc) CPUs, kernel $(uname -r)"
echo "load before: $LOAD_BEFORE"
echo "load after:  $LOAD_AFTER"
printf '%-6s %-6s %14s %16s %14s\n' "path" "round" "sent pps" "delivered pps" "redirected"
awk '{ n[$1]++; printf "%-6s %-6d %14s %16s %14s\n", ($1 == "tc" ? "TC" : "XDP"), n[$1], $2, $3, $4 }' "$TMP/results"
TC=$(awk '$1 == "tc" { print $3 }' "$TMP/results" | median)
XDP=$(awk '$1 == "xdp" { print $3 }' "$TMP/results" | median)
printf '%-26s %14s %14s %8s\n' "" "TC path" "XDP redirect" "XDP/TC"
printf '%-26s %14s %14s %8s\n' "delivered pps (median)" "$TC" "$XDP" "$(awk -v a="$TC" -v b="$XDP" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "-" }')"
