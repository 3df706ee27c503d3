#!/usr/bin/env bash
# The lab demo: a two-node cluster of network namespaces, its reachability matrix, then the XDP
# prefilter on node1 with a deny rule, the matrix again and the per-reason counters.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$WEIR_ROOT/scripts/setup.sh"
weir_require_jdk
if weir_jar_stale; then
    weir_build
fi
weir() { "$WEIR_ROOT/bin/weir" "$@"; }
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "weir probe: what this kernel offers"
weir probe

step "weir lab up: nodes node1/node2, pods x,y,z/a,b,c, an external client"
weir lab up --model netpol
weir lab status

step "Reachability before any program (IPv4, TCP/80 and UDP/81; every cell should be '.')"
weir lab matrix --ports TCP/80,UDP/81

step "Attach the XDP prefilter to every interface of node1 (underlay eth0 and each pod's lxc)"
mapfile -t IFACES < <(weir lab status -o json | jq -r '.nodes[] | select(.name=="node1") | .interfaces[]')
weir prefilter attach --netns weir-node1 --mode auto "${IFACES[@]}"

step "Deny everything from namespace y's pods (10.244.2.0/24) and UDP/81 towards x/a"
weir prefilter add --netns weir-node1 --src 10.244.2.0/24
weir prefilter add --netns weir-node1 --dst 10.244.1.10/32 --proto udp --dport 81
weir prefilter list --netns weir-node1

step "Reachability with the prefilter (y/* cut off from node1's pods; UDP/81 to x/a dropped)"
weir lab matrix --ports TCP/80,UDP/81

step "Counters per verdict reason and per rule on node1"
weir prefilter stats --netns weir-node1

step "What is attached where"
weir net

cat <<'MSG'

Try next:
  bin/weir lab probe y/b x/a TCP/80               # blocked by rule 1 at node1's underlay
  bin/weir prefilter stats --netns weir-node1 --watch
  bin/weir prefilter set --netns weir-node1 --mode allowlist   # only allow rules pass (none yet: all IP drops)
  bin/weir prefilter set --netns weir-node1 --rate-limit 100   # per-source packets/s
  bin/weir prefilter del --netns weir-node1 1
  bin/weir lab exec x/a -- ping -c1 10.244.2.20
  bin/weir bpf prog list; bin/weir bpf map list
Tear down:
  bin/weir lab down          # the lab and everything weir attached inside it
  bin/weir uninstall         # every program, link and pin weir made on this machine
MSG
