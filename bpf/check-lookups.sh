#!/bin/sh
# Loads an object's first program and fails if the verifier left any map
# lookup on the generic bpf_map_lookup_elem helper: that happens when one
# call instruction sees two maps (e.g. clang merged the _0/_1 lookups of a
# generation pair), and costs an indirect call per lookup plus the inlining
# of array lookups. Needs root and bpffs; pins nothing once it returns.
# Usage: check-lookups.sh build/xdp_prefilter.o
set -eu
obj=$1
pin=/sys/fs/bpf/weir-check-lookups-$$
trap 'rm -f "$pin"' EXIT
bpftool prog load "$obj" "$pin"
generic=$(bpftool prog dump xlated pinned "$pin" | grep -c 'call bpf_map_lookup_elem#' || true)
if [ "$generic" -ne 0 ]; then
	echo "$obj: $generic map lookup(s) through the generic helper (a call site sees two maps)" >&2
	exit 1
fi
echo "$obj: every map lookup is inlined or a direct call"
