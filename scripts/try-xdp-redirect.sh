#!/usr/bin/env bash
# A hand check of the prefilter's redirect stage on live veths, without an agent (docs/prefilter-datapath.md,
# "Redirect to local pods"): namespaces rdt-x (a client) -- rdt-n (a node: underlay u-n, the pod's lxc) -- rdt-p
# (a pod: eth0 10.99.0.10). It loads bpf/build/xdp_prefilter.o (pins under /sys/fs/bpf/rdt-devmap), fills the
# maps the agent is to fill, plus one established conntrack entry (client :40000 -> pod :5201) and an endpoint
# with no policy, attaches it native to u-n and runs iperf3 for 3 s over that connection. It fails unless
# packets were redirected and the stream arrived. Removes everything it made, also on failure. Needs root.
#
#   scripts/try-xdp-redirect.sh                       # GRO on the pod's eth0, client TX checksum offload off: passes
#   scripts/try-xdp-redirect.sh --gro off             # fails: the veth drops the redirected frames (no NAPI)
#   scripts/try-xdp-redirect.sh --tx-csum on          # fails: partial checksums (veth offload) reach the pod bad
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OBJ=$ROOT/bpf/build/xdp_prefilter.o
PIN=/sys/fs/bpf/rdt-devmap
GRO=on
TXCSUM=off
while [ $# -gt 0 ]; do
    case "$1" in
        --gro) GRO="$2"; shift 2 ;;
        --tx-csum) TXCSUM="$2"; shift 2 ;;
        *) echo "unknown option $1 (--gro on|off, --tx-csum on|off)" >&2; exit 2 ;;
    esac
done
make -s -C "$ROOT/bpf" >/dev/null

cleanup() {
    for ns in rdt-x rdt-n rdt-p; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    rm -rf "$PIN"
}
trap cleanup EXIT
cleanup
ip netns add rdt-x; ip netns add rdt-n; ip netns add rdt-p
ip link add u-x netns rdt-x type veth peer name u-n netns rdt-n
ip link add eth0 netns rdt-p type veth peer name lxc netns rdt-n
ip -n rdt-x addr add 192.168.77.2/24 dev u-x; ip -n rdt-x link set u-x up; ip -n rdt-x link set lo up
ip -n rdt-x route add 10.99.0.0/24 via 192.168.77.1
ip -n rdt-n addr add 192.168.77.1/24 dev u-n; ip -n rdt-n link set u-n up; ip -n rdt-n link set lo up
ip -n rdt-n addr add 10.99.0.1/24 dev lxc; ip -n rdt-n link set lxc up
ip netns exec rdt-n sysctl -qw net.ipv4.ip_forward=1
ip -n rdt-p addr add 10.99.0.10/24 dev eth0; ip -n rdt-p link set eth0 up; ip -n rdt-p link set lo up
ip -n rdt-p route add default via 10.99.0.1
ip netns exec rdt-p ethtool -K eth0 gro "$GRO" >/dev/null
ip netns exec rdt-x ethtool -K u-x tx "$TXCSUM" >/dev/null

hex32() { python3 -c "import struct,sys;print(' '.join('%02x'%b for b in struct.pack('<I',int(sys.argv[1]))))" "$1"; }
hex64() { python3 -c "import struct,sys;print(' '.join('%02x'%b for b in struct.pack('<Q',int(sys.argv[1]))))" "$1"; }
zeros() { python3 -c "print(' '.join(['00']*$1))"; }
mac() { ip -n "$1" -j link show "$2" | python3 -c 'import json,sys;print(json.load(sys.stdin)[0]["address"].replace(":"," "))'; }
in_node() { nsenter --net=/run/netns/rdt-n "$@"; }   # keeps /sys/fs/bpf; ifindexes resolve in rdt-n

mkdir -p "$PIN"
bpftool prog load "$OBJ" "$PIN/prog" type xdp pinmaps "$PIN/maps"
M=$PIN/maps
UN=$(ip netns exec rdt-n cat /sys/class/net/u-n/ifindex)
LXC=$(ip netns exec rdt-n cat /sys/class/net/lxc/ifindex)
POD="00 00 00 00 00 00 00 00 00 00 ff ff 0a 63 00 0a"
CLIENT="00 00 00 00 00 00 00 00 00 00 ff ff c0 a8 4d 02"
# pf_cfg[0]: no rules, flags PF_CFG_REDIRECT (the last 4 of its 368 bytes)
bpftool map update pinned "$M/pf_cfg" key hex 00 00 00 00 value hex $(zeros 364) 02 00 00 00
bpftool map update pinned "$M/pf_rdr_if" key hex $(hex32 "$UN") value hex $(mac rdt-n u-n) 00 00
bpftool map update pinned "$M/pf_rdr_ep" key hex $POD value hex $(hex32 1) $(hex32 "$LXC") $(mac rdt-p eth0) $(mac rdt-n lxc)
# a devmap entry names a device of the writer's namespace: write it from the node's
in_node bpftool map update pinned "$M/pf_devmap" key hex $(hex32 "$LXC") value hex $(hex32 "$LXC")
bpftool map update pinned "$M/ep_by_ifindex" key hex $(hex32 "$LXC") value hex $(hex32 1) $(hex32 100) $(hex32 0) $(hex32 0)
# ct: client:40000 -> pod:5201 TCP, ingress (0), ep 1; live, ESTABLISHED (2), peer identity 2
bpftool map update pinned "$M/ct" key hex $CLIENT $POD 9c 40 14 51 06 00 00 00 $(hex32 1) \
    value hex $(hex64 9000000000000000000) $(zeros 40) $(hex32 2) $(hex32 0) 02 00 00 00 $(zeros 12)
in_node bpftool net attach xdpdrv pinned "$PIN/prog" dev u-n

stat() {
    bpftool map lookup pinned "$M/pf_rdr_stats" key hex $(hex32 "$1") |
        python3 -c 'import json,sys;print(sum(v["value"]["packets"] for v in json.load(sys.stdin)["values"]))'
}
ip netns exec rdt-p iperf3 -s -1 -D -p 5201 >/dev/null; sleep 0.5
out=$(ip netns exec rdt-x timeout 15 iperf3 -c 10.99.0.10 -p 5201 --cport 40000 -t 3 -J || true)
received=$(python3 -c 'import json,sys
try: print(int(json.loads(sys.stdin.read())["end"]["sum_received"]["bytes"]))
except Exception: print(0)' <<<"$out")
redirected=$(stat 0)
echo "GRO on pod eth0: $GRO, client TX checksum offload: $TXCSUM"
echo "redirected (ESTABLISHED) $redirected, TC path: SYN/FIN/RST $(stat 4), no conntrack $(stat 5); bytes received by the pod $received"
if [ "$redirected" -lt 1000 ] || [ "$received" -lt 1000000 ]; then
    echo "FAIL: the stream was not redirected intact" >&2
    exit 1
fi
echo "ok"
