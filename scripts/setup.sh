#!/usr/bin/env bash
# Idempotent machine set-up for weir: system packages, a JDK 25, bpffs. Safe to run again and again.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PACKAGES=(clang llvm libbpf-dev libbpf1 linux-libc-dev libc6-dev make bpftool iproute2 iptables nftables
          xdp-tools tcpdump ethtool jq conntrack util-linux procps iputils-ping socat maven
          etcd-server etcd-client prometheus curl containernetworking-plugins iperf3 hping3 chromium chromium-driver)

if [ "$(id -u)" -ne 0 ]; then
    echo "setup: weir loads BPF programs and builds network namespaces: run as root (sudo $0)." >&2
    exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # the tests start their own etcd members and Prometheus servers (and a headless Chromium for weir ui's page):
    # no package may start its daemon
    # (policy-rc.d answering 101 tells invoke-rc.d not to); a policy already there is left alone
    made_policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        made_policy=1
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    if [ -n "$made_policy" ]; then
        rm -f /usr/sbin/policy-rc.d
        trap - EXIT
    fi
fi

weir_require_jdk
echo "setup: JDK 25 at $JAVA_HOME" >&2

if ! mount | grep -q ' /sys/fs/bpf type bpf'; then
    mount -t bpf bpf /sys/fs/bpf
    echo "setup: mounted bpffs at /sys/fs/bpf" >&2
fi
if ! mount | grep -q 'type cgroup2'; then
    echo "setup: warning: no cgroup v2 mount found; cgroup hooks and per-pod cgroups will be unavailable" >&2
fi
