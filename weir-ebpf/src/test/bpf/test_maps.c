// SPDX-License-Identifier: GPL-2.0
/* Test object for weir-ebpf: one map of each type the library supports, an XDP program that writes to
 * the ring buffer and tail-calls, a TC and a cgroup program, and .rodata tunables. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct flow_key {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct counter {
	__u64 packets;
	__u64 bytes;
};

struct lpm_v4 {
	__u32 prefixlen;
	__u32 addr;
};

struct event {
	__u32 kind;
	__u32 len;
	__u64 cookie;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct flow_key);
	__type(value, struct counter);
} t_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u64);
} t_lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} t_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct counter);
} t_pcpu_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} t_pcpu_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_v4);
	__type(value, __u32);
} t_lpm SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} t_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} t_progs SEC(".maps");

volatile const __u32 CFG_VERDICT = XDP_PASS;
volatile const __u64 CFG_COOKIE = 0;

SEC("xdp")
int xdp_main(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct event *e;
	__u32 zero = 0;
	__u32 *hits;

	e = bpf_ringbuf_reserve(&t_events, sizeof(*e), 0);
	if (e) {
		e->kind = 1;
		e->len = end - data;
		e->cookie = CFG_COOKIE;
		bpf_ringbuf_submit(e, 0);
	}
	hits = bpf_map_lookup_elem(&t_pcpu_array, &zero);
	if (hits)
		*hits += 1;
	bpf_tail_call(ctx, &t_progs, 0);
	return CFG_VERDICT;
}

SEC("xdp")
int xdp_tail(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("tc")
int tc_main(struct __sk_buff *skb)
{
	return 0; /* TC_ACT_OK */
}

SEC("cgroup_skb/ingress")
int cg_ingress(struct __sk_buff *skb)
{
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
