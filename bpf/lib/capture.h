/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Packet capture at weir's hooks (docs/capture.md): the first bytes of each
 * packet a hook saw, with the hook, the verdict and the reason, into the
 * cap_events ring buffer that `weir capture` drains through the agent. Off
 * unless cap_cfg[0].verdicts names a verdict; when off, a packet costs one
 * array lookup. Mirrored by dev.weir.datapath.capture.CapCfg / CapEvent.
 *
 * cap_cfg, cap_events and cap_stats are defined here, once: the objects
 * that include this header and share a pin directory share them by name
 * (tc_endpoint and nodeport; the prefilter pins its own).
 */
#ifndef __WEIR_CAPTURE_H
#define __WEIR_CAPTURE_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "flow.h"

/* cap_event.hook: where the packet was seen */
#define CAP_HOOK_PREFILTER	1	/* XDP weir_prefilter, before the stack (an skb) exists */
#define CAP_HOOK_FROM_EP	2	/* TC weir_from_ep: leaving a pod */
#define CAP_HOOK_TO_EP		3	/* TC weir_to_ep: to a pod */
#define CAP_HOOK_FROM_NETDEV	4	/* TC weir_from_netdev: the underlay's ingress */

#define CAP_SNAP_MAX		1536	/* bytes of a packet a record holds, at most */
#define CAP_EVENTS_BYTES	(1 << 20)

#define CAP_STAT_SENT		0
#define CAP_STAT_LOST		1

/* cap_cfg[0], written by the agent while a capture runs. */
struct cap_cfg {
	__u32 verdicts;		/* bits 1 << FLOW_*: verdicts to capture; 0: capture off */
	__u32 hooks;		/* bits 1 << CAP_HOOK_*: hooks to capture at; 0: all */
	__u32 snaplen;		/* bytes of each packet to copy, 1 .. CAP_SNAP_MAX */
	__u32 _pad;
};

struct cap_event {
	__u64 ts_ns;		/* bpf_ktime_get_ns() */
	__u32 ifindex;		/* interface of the hook (XDP: ingress) */
	__u32 pkt_len;		/* the packet's length */
	__u32 cap_len;		/* bytes in data */
	__u32 ep_id;		/* TC endpoint hooks: the endpoint; else 0 */
	__u32 src_identity;	/* TC endpoint hooks; else 0 (unknown) */
	__u32 dst_identity;
	__u16 reason;		/* drop_reasons.h code */
	__u8  hook;		/* CAP_HOOK_* */
	__u8  verdict;		/* FLOW_FORWARDED, FLOW_DROPPED */
	__u8  dir;		/* TC endpoint hooks: 0 to the pod, 1 from it */
	__u8  _pad[3];
	__u8  data[CAP_SNAP_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cap_cfg);
} cap_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, CAP_EVENTS_BYTES);
} cap_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} cap_stats SEC(".maps");

/* What a hook knows of the packet beyond its bytes. */
struct cap_meta {
	__u32 ep_id;
	__u32 src_identity;
	__u32 dst_identity;
	__u16 reason;
	__u8  hook;
	__u8  verdict;
	__u8  dir;
};

static __always_inline void cap_count(__u32 key)
{
	__u64 *n = bpf_map_lookup_elem(&cap_stats, &key);

	if (n)
		*n += 1;
}

/* The capture's settings when this packet is to be captured, else NULL. */
static __always_inline const struct cap_cfg *cap_wanted(__u8 hook, __u8 verdict)
{
	__u32 zero = 0;
	const struct cap_cfg *c = bpf_map_lookup_elem(&cap_cfg, &zero);

	if (!c || !(c->verdicts & (1U << verdict)))
		return NULL;
	if (c->hooks && !(c->hooks & (1U << hook)))
		return NULL;
	return c;
}

/* A record reserved for a packet, its metadata filled; NULL when the ring is full. */
static __always_inline struct cap_event *cap_reserve(const struct cap_meta *m,
						     __u32 ifindex, __u32 len)
{
	struct cap_event *e = NULL;

	/* like pf_emit: a failing reservation takes the ring's lock, a query does not */
	if (bpf_ringbuf_query(&cap_events, BPF_RB_AVAIL_DATA) + sizeof(*e) + 8 <=
	    bpf_ringbuf_query(&cap_events, BPF_RB_RING_SIZE))
		e = bpf_ringbuf_reserve(&cap_events, sizeof(*e), 0);
	if (!e) {
		cap_count(CAP_STAT_LOST);
		return NULL;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->ifindex = ifindex;
	e->pkt_len = len;
	e->cap_len = 0;
	e->ep_id = m->ep_id;
	e->src_identity = m->src_identity;
	e->dst_identity = m->dst_identity;
	e->reason = m->reason;
	e->hook = m->hook;
	e->verdict = m->verdict;
	e->dir = m->dir;
	e->_pad[0] = e->_pad[1] = e->_pad[2] = 0;
	return e;
}

/* How many bytes to copy: min(len, snaplen), hidden from clang so that the verifier sees the bounds. */
static __always_inline __u64 cap_len_of(const struct cap_cfg *c, __u32 len)
{
	__u64 n = len < c->snaplen ? len : c->snaplen;

	asm volatile("" : "+r"(n));
	return n;
}

/*
 * Not inlined on purpose: as a BPF subprogram its prototype puts struct
 * cap_event into the object's BTF, where the Java codec's alignment test
 * finds it.
 */
static __noinline int cap_submit(struct cap_event *e, __u64 n, long copied)
{
	e->cap_len = copied < 0 ? 0 : n;
	bpf_ringbuf_submit(e, 0);
	cap_count(CAP_STAT_SENT);
	return 0;
}

/* Captures an skb at a TC hook when a capture wants it. */
static __always_inline void cap_skb(struct __sk_buff *ctx, const struct cap_meta *m)
{
	const struct cap_cfg *c = cap_wanted(m->hook, m->verdict);
	struct cap_event *e;
	__u64 n;
	long rc = -1;

	if (!c)
		return;
	e = cap_reserve(m, ctx->ifindex, ctx->len);
	if (!e)
		return;
	n = cap_len_of(c, ctx->len);
	if (n >= 1 && n <= CAP_SNAP_MAX)
		rc = bpf_skb_load_bytes(ctx, 0, e->data, n);
	cap_submit(e, n, rc);
}

/* Captures a frame at XDP when a capture wants it. */
static __always_inline void cap_xdp(struct xdp_md *ctx, const struct cap_meta *m)
{
	const struct cap_cfg *c = cap_wanted(m->hook, m->verdict);
	struct cap_event *e;
	__u32 len = ctx->data_end - ctx->data;
	__u64 n;
	long rc = -1;

	if (!c)
		return;
	e = cap_reserve(m, ctx->ingress_ifindex, len);
	if (!e)
		return;
	n = cap_len_of(c, len);
	if (n >= 1 && n <= CAP_SNAP_MAX)
		rc = bpf_xdp_load_bytes(ctx, 0, e->data, n);
	cap_submit(e, n, rc);
}

#endif /* __WEIR_CAPTURE_H */
