#!/usr/bin/env bash
# The lab demo: a two-node cluster of network namespaces, its reachability matrix; the XDP prefilter on
# node1 with a deny rule, the matrix again, a capture of its drops read back by tcpdump, and the per-reason
# counters; then Kubernetes NetworkPolicy
# enforced by the agents at TC, the flows they dropped, and a namespace in audit mode.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$WEIR_ROOT/scripts/setup.sh"
weir_require_jdk
if weir_jar_stale; then
    weir_build
fi
weir() { "$WEIR_ROOT/bin/weir" "$@"; }
cd "$WEIR_ROOT"
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "weir probe: what this kernel offers"
weir probe

step "weir lab up: nodes node1/node2, pods x,y,z/a,b,c, an external client"
weir lab up --model netpol
weir lab status

step "Reachability before any program (IPv4, TCP/80 and UDP/81; every cell should be '.')"
weir lab matrix --ports TCP/80,UDP/81

step "Attach the XDP prefilter to every interface of node1 (underlay eth0 and each pod's lxc; node1's agent keeps it as WeirPrefilter imperative-node1)"
mapfile -t IFACES < <(weir lab status -o json | jq -r '.nodes[] | select(.name=="node1") | .interfaces[]')
weir prefilter attach --netns weir-node1 --mode auto "${IFACES[@]}"

step "Deny everything from namespace y's pods (10.244.2.0/24) and UDP/81 towards x/a"
weir prefilter add --netns weir-node1 --src 10.244.2.0/24
weir prefilter add --netns weir-node1 --dst 10.244.1.10/32 --proto udp --dport 81
weir prefilter list --netns weir-node1

step "Reachability with the prefilter (y/* cut off from node1's pods; UDP/81 to x/a dropped)"
weir lab matrix --ports TCP/80,UDP/81

step "Capture what node1's prefilter drops at XDP (no tcpdump on any interface sees these), read back by tcpdump"
CAPTURE=/tmp/weir-demo-xdp-drops.pcapng
weir capture -w "$CAPTURE" --node node1 --hook prefilter --verdict DROPPED --count 2 --duration 10s 2> /tmp/weir-demo-capture.err &
CAPTURE_PID=$!
until grep -q capturing /tmp/weir-demo-capture.err || ! kill -0 "$CAPTURE_PID" 2>/dev/null; do sleep 0.2; done
weir lab probe y/a x/a TCP/80 || true        # y/a's SYN, dropped at XDP on its lxc by the 10.244.2.0/24 rule
weir lab probe y/a x/a UDP/81 || true        # and a datagram
wait "$CAPTURE_PID" || true
cat /tmp/weir-demo-capture.err
tcpdump -nn -r "$CAPTURE"
weir capture --read "$CAPTURE"               # the same packets with node, hook, verdict and reason

step "Counters per verdict reason and per rule on node1"
weir prefilter stats --netns weir-node1

step "What is attached where (the prefilter at XDP, the agents' policy programs as clsact filters on every lxc)"
weir net --netns weir-node1

step "Remove the prefilter; on to identity-based network policy, enforced at TC by the agents"
weir prefilter detach --netns weir-node1 --all
weir status
weir endpoint list

step "Apply a default deny for namespace x and allow TCP/80 into x from namespace y"
weir apply -f examples/policies/01-x-default-deny.yaml -f examples/policies/02-x-allow-from-y-tcp80.yaml
weir policy get x/a

step "Reachability with the policies (into x: only y's pods, only TCP/80)"
weir lab matrix --ports TCP/80,TCP/81

step "The flows the datapath dropped, with pods, identities and the reason"
weir observe --verdict DROPPED --to-pod x/ --last 8

step "The same drops as Prometheus metrics: each agent serves them (weir status -o json: metricsUrl)"
for url in $(weir status -o json | jq -r '.nodes[].metricsUrl'); do
    echo "# $url"
    curl -s "$url" | grep -E '^weir_(drop_count_total|drop_total|policy_verdict_total|endpoint_state|apply_to_enforced_seconds_count)|^weir_bpf_map_pressure\{map_name="(ct|pol)"' || true
done

step "Why is z/a -> x/a TCP/80 blocked? weir diagnose path: hop by hop, the deciding policy, and the kernel's word"
weir diagnose path z/a x/a TCP/80

step "Namespace z: a default deny in audit mode - would-be drops pass and are reported as AUDIT"
weir apply -f examples/policies/03-z-deny-in-audit.yaml
weir lab matrix --ports TCP/80
weir observe --verdict AUDIT --last 5

step "A ClusterIP service over x's pods (TCP/UDP 80, dual stack, Maglev), translated at the client's socket (TC for the rest)"
weir delete -f examples/policies/03-z-deny-in-audit.yaml
weir apply -f examples/services/01-x-web-clusterip.yaml
weir service list
for i in 1 2 3 4 5 6; do weir lab probe y/b 10.96.0.10 TCP/80; done
weir lab probe y/c fd00:10:96::a TCP/80      # IPv6 through the service
weir lab probe z/c 10.96.0.10 TCP/80         # blocked: x's NetworkPolicy applies to the backend after translation
weir bpf lb list --node node2
weir observe --service x/web --last 4        # flows naming the service, its frontend and the backend

step "A NodePort service over y's pods, reached from ext (outside the cluster) on either node's underlay address"
weir apply -f examples/services/02-y-web-nodeport.yaml
weir service list
weir lab probe ext 192.168.100.1 TCP/30080   # translated on node1's underlay: DNAT to a y pod, SNAT to node1
weir lab probe ext 192.168.100.2 TCP/30080
weir lab probe x/a 192.168.100.2 TCP/30080   # from a pod too (translated where the client is)
weir bpf nodeport list

cat <<'MSG'

Try next:
  bin/weir observe --follow --from-pod y/b            # Hubble-style flows, -o json for Hubble's field names
  bin/weir ui                                         # the same live in a browser: http://127.0.0.1:12000/ (Ctrl-C stops)
  bin/weir capture -w /tmp/x-a.pcapng --to-pod x/a --duration 30s   # pcapng of what the hooks saw (headers only; --payload)
  bin/weir trace --every 100; bin/weir observe --verdict TRACED     # 1 in 100 forwarded packets as TRACED flows
  bin/weir lab probe z/a x/a TCP/81                   # blocked: only y may reach x, on TCP/80
  bin/weir delete -f examples/policies/03-z-deny-in-audit.yaml
  bin/weir bpf ct list                                # conntrack, with the service entries
  bin/weir apply -f examples/services/03-z-web-loadbalancer.yaml; bin/weir lab probe ext 203.0.113.5 TCP/80
  bin/weir service backend quarantine 10.244.1.20:80  # no new connections to x/b; activate brings it back
  bin/weir identity list; bin/weir endpoint list
  bin/weir prefilter attach --netns weir-node1 eth0 && bin/weir prefilter add --netns weir-node1 --src 10.244.2.0/24
  bin/weir lab exec x/a -- ping -c1 10.244.2.20
  bin/weir apply -f examples/prefilter/01-deny-doc-nets.yaml; bin/weir prefilter list --netns weir-node2   # desired state, every node
Tear down:
  bin/weir lab down          # the lab, its agents, and everything weir attached inside it
  bin/weir uninstall         # every program, link and pin weir made on this machine
MSG
