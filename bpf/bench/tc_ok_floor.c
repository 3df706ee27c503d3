// SPDX-License-Identifier: GPL-2.0
/* The floor for TC per-packet cost comparisons: a SCHED_CLS program that only passes. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int tc_ok_floor(struct __sk_buff *ctx)
{
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
