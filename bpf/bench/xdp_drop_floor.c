// SPDX-License-Identifier: GPL-2.0
/* The floor for per-packet cost comparisons: an XDP program that only drops. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_drop_floor(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
