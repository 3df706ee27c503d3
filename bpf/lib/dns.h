/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DNS visibility at the endpoint hooks (docs/policy-datapath.md, "DNS
 * visibility"): the DNS message of a UDP or TCP packet from or to port 53,
 * its first DNS_SNAP_MAX bytes, with the endpoint, both identities, the
 * tuple, the verdict and its reason, into the dns_events ring buffer that
 * the agent drains and parses. Apart from struct flow_event on purpose: a
 * flow event stays small and fixed.
 *
 * On unless dns_cfg[0].off (the agent's `weir dns --visibility off`): a
 * packet of another port costs a compare, a port-53 packet one array
 * lookup more when off. Mirrored by
 * dev.weir.datapath.endpoint.DnsCfg / DnsEvent.
 */
#ifndef __WEIR_DNS_H
#define __WEIR_DNS_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define DNS_PORT		53
#define DNS_SNAP_MAX		512	/* bytes of a message a record holds, at most */
#define DNS_EVENTS_BYTES	(256 * 1024)

#define DNS_STAT_SENT		0
#define DNS_STAT_LOST		1

/* dns_cfg[0], written by the agent; all zero (a new map): on. */
struct dns_cfg {
	__u32 off;		/* 1: no DNS message is copied */
	__u32 _pad;
};

struct dns_event {
	__u64  ts_ns;		/* bpf_ktime_get_ns() */
	__u32  ep_id;
	__u32  ifindex;
	__u32  src_identity;
	__u32  dst_identity;
	__u16  reason;		/* drop_reasons.h code of the packet's verdict */
	__u8   verdict;		/* FLOW_FORWARDED, FLOW_DROPPED */
	__u8   dir;		/* 0 to the pod, 1 from it */
	__u8   family;		/* 4, 6 */
	__u8   proto;		/* IPPROTO_UDP, IPPROTO_TCP (then data starts with the 2-byte length) */
	__u8   _pad[2];
	__be16 sport;
	__be16 dport;
	__u8   saddr[16];
	__u8   daddr[16];
	__u16  msg_len;		/* bytes after the L4 header in the packet */
	__u16  cap_len;		/* bytes in data */
	__u8   data[DNS_SNAP_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dns_cfg);
} dns_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, DNS_EVENTS_BYTES);
} dns_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} dns_stats SEC(".maps");

static __always_inline void dns_count(__u32 key)
{
	__u64 *n = bpf_map_lookup_elem(&dns_stats, &key);

	if (n)
		*n += 1;
}

/* Whether a packet of these ports (network order) and protocol is DNS to look at. */
static __always_inline int dns_candidate(__u8 proto, __be16 sport, __be16 dport)
{
	__u32 zero = 0;
	const struct dns_cfg *c;

	if (proto != IPPROTO_UDP && proto != IPPROTO_TCP)
		return 0;
	if (sport != bpf_htons(DNS_PORT) && dport != bpf_htons(DNS_PORT))
		return 0;
	c = bpf_map_lookup_elem(&dns_cfg, &zero);
	return c && !c->off;
}

/* A record reserved for a message; NULL when the ring is full (counted). */
static __always_inline struct dns_event *dns_reserve(void)
{
	struct dns_event *e = NULL;

	/* like cap_reserve: a failing reservation takes the ring's lock, a query does not */
	if (bpf_ringbuf_query(&dns_events, BPF_RB_AVAIL_DATA) + sizeof(*e) + 8 <=
	    bpf_ringbuf_query(&dns_events, BPF_RB_RING_SIZE))
		e = bpf_ringbuf_reserve(&dns_events, sizeof(*e), 0);
	if (!e)
		dns_count(DNS_STAT_LOST);
	return e;
}

/* How many bytes to copy: min(len, DNS_SNAP_MAX), hidden from clang so that the verifier sees the bounds. */
static __always_inline __u64 dns_len_of(__u32 len)
{
	__u64 n = len < DNS_SNAP_MAX ? len : DNS_SNAP_MAX;

	asm volatile("" : "+r"(n));
	return n;
}

/*
 * Copies the message at off (msg_len bytes in the packet) and submits the
 * record. Not inlined on purpose: as a BPF subprogram its prototype puts
 * struct dns_event into the object's BTF, where the Java codec's alignment
 * test finds it.
 */
static __noinline int dns_submit(struct __sk_buff *ctx, struct dns_event *e, __u32 off, __u32 msg_len)
{
	__u64 n = dns_len_of(msg_len);
	long rc = -1;

	if (n >= 1 && n <= DNS_SNAP_MAX)
		rc = bpf_skb_load_bytes(ctx, off, e->data, n);
	e->msg_len = msg_len;
	e->cap_len = rc < 0 ? 0 : n;
	bpf_ringbuf_submit(e, 0);
	dns_count(DNS_STAT_SENT);
	return 0;
}

#endif /* __WEIR_DNS_H */
