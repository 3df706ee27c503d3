// SPDX-License-Identifier: GPL-2.0
/*
 * weir's endpoint programs: identity-based network policy with conntrack
 * and flow events, on the node-side end (lxc...) of every pod's veth pair.
 *
 *   weir_from_ep  tcx ingress of the lxc: packets the pod sends, its egress policy
 *   weir_to_ep    tcx egress of the lxc:  packets sent to the pod, its ingress policy
 *
 * docs/policy-datapath.md is the contract: the maps, their structs and the
 * verdict semantics. Every packet leaves through ep_verdict(), which counts
 * it per reason and writes the flow event, if any.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/errno.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "drop_reasons.h"
#include "parsing_skb.h"
#include "counters.h"
#include "endpoint.h"
#include "ipcache.h"
#include "policy.h"
#include "ct.h"
#include "flow.h"

/* Map sizes are defaults; the loader sets them from configuration. */
#define EP_ENDPOINTS		4096
#define EP_IPCACHE_ENTRIES	65536
#define EP_POL_ENTRIES		65536
#define EP_CT_ENTRIES		65536
#define EP_FRAG_ENTRIES		8192
#define EP_EVENTS_BYTES		(4 * 1024 * 1024)

#define TCP_FIN		0x01
#define TCP_SYN		0x02
#define TCP_RST		0x04
#define TCP_ACK		0x10
#define TCP_FLAGS_MASK	0x3f

#define ICMP_ECHOREPLY		0
#define ICMP_ECHO		8
#define ICMPV6_ECHO_REQUEST	128
#define ICMPV6_ECHO_REPLY	129
#define ICMPV6_ND_FIRST		133	/* router solicitation */
#define ICMPV6_ND_LAST		137	/* redirect */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EP_ENDPOINTS);
	__type(key, __u32);
	__type(value, struct ep_info);
} ep_by_ifindex SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, EP_IPCACHE_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ipcache_key);
	__type(value, struct ipcache_val);
} ipcache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, EP_POL_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pol_key);
	__type(value, struct pol_val);
} pol SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, EP_CT_ENTRIES);
	__type(key, struct ct_key);
	__type(value, struct ct_val);
} ct SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, EP_FRAG_ENTRIES);
	__type(key, struct ep_frag_key);
	__type(value, struct ep_frag_val);
} ep_frag SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, REASON_MAX);
	__type(key, __u32);
	__type(value, struct weir_counter);
} ep_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, EP_EVENTS_BYTES);
} flow_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ep_cfg);
} ep_cfg SEC(".maps");

/* Per-CPU sequence of trace candidates (internal to the datapath). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} ep_trace_seq SEC(".maps");

/*
 * Verifier cost: ep_parse() and ep_verdict() are global functions, verified
 * once each apart from their callers; the many ways through the parser end
 * in one state of the caller (the packet summary is unknown data to it)
 * instead of each being walked again through conntrack, policy and events.
 * The parser reads headers with bpf_skb_load_bytes() (parsing_skb.h).
 */

/* Everything parsed from the packet. */
struct ep_pkt {
	struct l3_info l3;
	__u32  len;		/* skb->len */
	__be16 sport;		/* ICMP echo request: id; echo reply: 0 */
	__be16 dport;		/* ICMP echo request: 0; echo reply: id */
	__u8   tcp_flags;
	__u8   is_nd;		/* ICMPv6 neighbour discovery / router message */
};

/* What was decided, for the verdict helper and the flow event. */
struct ep_dec {
	__u64 ts_ns;
	__u32 ifindex;
	__u32 peer;		/* peer identity, 0 when not (yet) known */
	__u32 rule;
	__u32 reason;
	__u8  dir;		/* EP_DIR_* */
	__u8  is_reply;
	__u8  match;		/* FLOW_MATCH_* */
	__u8  event;		/* FLOW_* to report; 0: none (a trace candidate if passed) */
};

/*
 * Fills a reserved flow event. Not inlined on purpose: as a BPF subprogram
 * its prototype puts struct flow_event into the object's BTF, where the Java
 * codec's alignment test finds it.
 */
static __noinline int flow_fill(struct flow_event *e, const struct ep_info *ep,
				const struct ep_pkt *p, const struct ep_dec *d)
{
	e->ts_ns = d->ts_ns;
	e->ep_id = ep->ep_id;
	e->ifindex = d->ifindex;
	if (d->dir == EP_DIR_EGRESS) {
		e->src_identity = ep->identity;
		e->dst_identity = d->peer;
	} else {
		e->src_identity = d->peer;
		e->dst_identity = ep->identity;
	}
	e->rule = d->rule;
	e->reason = d->reason;
	e->verdict = d->event;
	e->dir = d->dir;
	e->is_reply = d->is_reply;
	e->family = p->l3.family;
	e->proto = p->l3.proto;
	e->tcp_flags = p->tcp_flags;
	e->match = d->match;
	e->_pad[0] = 0;
	e->_pad[1] = 0;
	e->_pad[2] = 0;
	e->sport = p->sport;
	e->dport = p->dport;
	__builtin_memcpy(e->saddr, p->l3.src, sizeof(e->saddr));
	__builtin_memcpy(e->daddr, p->l3.dst, sizeof(e->daddr));
	e->len = p->len;
	return 0;
}

static __always_inline void ep_emit(const struct ep_info *ep,
				    const struct ep_pkt *p,
				    const struct ep_dec *d)
{
	struct flow_event *e;

	e = bpf_ringbuf_reserve(&flow_events, sizeof(*e), 0);
	if (!e) {
		count_packet(&ep_stats, REASON_EVENTS_LOST, sizeof(*e));
		return;
	}
	flow_fill(e, ep, p, d);
	bpf_ringbuf_submit(e, 0);
	count_packet(&ep_stats, REASON_EVENTS_SENT, sizeof(*e));
}

static __always_inline void ep_frag_key_of(struct ep_frag_key *k,
					   const struct ep_pkt *p,
					   const struct ep_info *ep, __u8 dir)
{
	__builtin_memcpy(k->saddr, p->l3.src, sizeof(k->saddr));
	__builtin_memcpy(k->daddr, p->l3.dst, sizeof(k->daddr));
	k->id = p->l3.frag_id;
	k->ep_id = ep->ep_id;
	k->proto = p->l3.frag_proto;
	k->family = p->l3.family;
	k->dir = dir;
	k->_pad = 0;
}

/*
 * The one way out of the programs once the endpoint is known: counts the
 * packet per reason, remembers a first fragment's verdict for the later
 * ones, reports drops, policy verdicts of new connections and sampled
 * traces as flow events, and turns the reason into a TC action.
 */
__noinline int ep_verdict(const struct ep_info *ep, const struct ep_cfg *cfg,
			  const struct ep_pkt *p, struct ep_dec *d, __u32 reason)
{
	struct ep_frag_key fk;
	struct ep_frag_val fv;
	int drop = reason_is_drop(reason);

	if (!ep || !cfg || !p || !d)
		return TC_ACT_SHOT;	/* not reached: global function contract */
	count_packet(&ep_stats, reason, p->len);
	if (p->l3.frag == FRAG_FIRST) {
		ep_frag_key_of(&fk, p, ep, d->dir);
		fv.reason = reason;
		fv.rule = d->rule;
		fv.peer_identity = d->peer;
		fv.is_reply = d->is_reply;
		fv._pad[0] = fv._pad[1] = fv._pad[2] = 0;
		bpf_map_update_elem(&ep_frag, &fk, &fv, BPF_ANY);
	}
	if (drop)
		d->event = FLOW_DROPPED;
	else if (!d->event && sample_due(&ep_trace_seq, cfg->trace_every))
		d->event = FLOW_TRACED;
	if (d->event) {
		d->reason = reason;
		d->ts_ns = bpf_ktime_get_ns();
		ep_emit(ep, p, d);
	}
	return drop ? TC_ACT_SHOT : TC_ACT_OK;
}

/* The L4 header at off: ports (ICMP echo: the id), TCP flags, NDP. */
static __always_inline int ep_parse_l4(struct __sk_buff *ctx, __u32 off,
				       struct ep_pkt *p)
{
	__u8 icmp[8];
	__u16 sport = 0, dport = 0;
	int ret = 0, echo_req, echo_rep;

	switch (p->l3.proto) {
	case IPPROTO_TCP:
		ret = skb_parse_tcphdr(ctx, &off, &p->l3, &sport, &dport, &p->tcp_flags);
		p->tcp_flags &= TCP_FLAGS_MASK;
		break;
	case IPPROTO_UDP:
		ret = skb_parse_udphdr(ctx, &off, &p->l3, &sport, &dport);
		break;
	case IPPROTO_SCTP:
		ret = skb_parse_sctphdr(ctx, &off, &p->l3, &sport, &dport);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		/* type, code, checksum; echo: identifier, sequence */
		if (bpf_skb_load_bytes(ctx, off, icmp, 4) < 0 ||
		    !skb_l4_fits(ctx, off, &p->l3, 4))
			return REASON_DROP_L4_TRUNC;
		if (p->l3.proto == IPPROTO_ICMP && p->l3.family == 4) {
			echo_req = icmp[0] == ICMP_ECHO;
			echo_rep = icmp[0] == ICMP_ECHOREPLY;
		} else if (p->l3.proto == IPPROTO_ICMPV6 && p->l3.family == 6) {
			echo_req = icmp[0] == ICMPV6_ECHO_REQUEST;
			echo_rep = icmp[0] == ICMPV6_ECHO_REPLY;
			if (icmp[0] >= ICMPV6_ND_FIRST && icmp[0] <= ICMPV6_ND_LAST)
				p->is_nd = 1;
		} else {
			break;		/* ICMP in the wrong family: no ports */
		}
		if (!echo_req && !echo_rep)
			break;
		if (bpf_skb_load_bytes(ctx, off, icmp, 8) < 0 ||
		    !skb_l4_fits(ctx, off, &p->l3, 8))
			return REASON_DROP_L4_TRUNC;
		/* the id as the request's source port: a reply's reversed
		 * tuple finds the request's entry */
		if (echo_req)
			sport = (__u16)icmp[4] << 8 | icmp[5];
		else
			dport = (__u16)icmp[4] << 8 | icmp[5];
		break;
	default:
		break;
	}
	p->sport = bpf_htons(sport);
	p->dport = bpf_htons(dport);
	return ret;
}

/*
 * Returns 0 for an IP packet to judge, else the verdict's reason. Global:
 * verified once, and its caller continues from one state.
 */
__noinline int ep_parse(struct __sk_buff *ctx, struct ep_pkt *p)
{
	__be16 eth_proto;
	__u32 off = 0;
	int ret;

	if (!ctx || !p)
		return REASON_DROP_ETH_TRUNC;	/* not reached */
	ret = skb_parse_ethhdr(ctx, &off, &eth_proto);
	if (ret)
		return ret;
	if (eth_proto == bpf_htons(ETH_P_IP))
		ret = skb_parse_iphdr(ctx, &off, &p->l3);
	else if (eth_proto == bpf_htons(ETH_P_IPV6))
		ret = skb_parse_ip6hdr(ctx, &off, &p->l3);
	else
		return REASON_PASS_NOT_IP;
	if (ret)
		return ret;
	if (p->l3.frag == FRAG_LATER)
		return 0;		/* no L4 header here */
	return ep_parse_l4(ctx, off, p);
}

static __always_inline void ep_load_cfg(struct ep_cfg *c)
{
	__u32 zero = 0;
	struct ep_cfg *v = bpf_map_lookup_elem(&ep_cfg, &zero);

	if (v)
		__builtin_memcpy(c, v, sizeof(*c));
	else
		__builtin_memset(c, 0, sizeof(*c));
	if (!c->ct_syn_ns)
		c->ct_syn_ns = EP_CT_SYN_DEFAULT_NS;
	if (!c->ct_established_ns)
		c->ct_established_ns = EP_CT_ESTABLISHED_DEFAULT_NS;
	if (!c->ct_closing_ns)
		c->ct_closing_ns = EP_CT_CLOSING_DEFAULT_NS;
	if (!c->ct_other_ns)
		c->ct_other_ns = EP_CT_OTHER_DEFAULT_NS;
}

/* TCP state after a packet with these flags; FIN/RST close for good. */
static __always_inline __u8 ct_next_state(__u8 state, __u8 flags)
{
	if ((flags & (TCP_FIN | TCP_RST)) || state == CT_CLOSING)
		return CT_CLOSING;
	if (state == CT_SYN_SENT && !(flags & TCP_SYN))
		return CT_ESTABLISHED;
	return state;
}

static __always_inline __u64 ct_lifetime(const struct ep_cfg *cfg, __u8 proto,
					 __u8 state)
{
	if (proto != IPPROTO_TCP)
		return cfg->ct_other_ns;
	if (state == CT_ESTABLISHED)
		return cfg->ct_established_ns;
	if (state == CT_CLOSING)
		return cfg->ct_closing_ns;
	return cfg->ct_syn_ns;
}

/* A packet of a live entry: counters, TCP state, lifetime. */
static __always_inline void ct_refresh(struct ct_val *e, const struct ep_cfg *cfg,
				       const struct ep_pkt *p, int reply, __u64 now)
{
	__u8 state = e->state;

	if (reply) {
		__sync_fetch_and_add(&e->packets_rev, 1);
		__sync_fetch_and_add(&e->bytes_rev, p->len);
	} else {
		__sync_fetch_and_add(&e->packets_fwd, 1);
		__sync_fetch_and_add(&e->bytes_fwd, p->len);
	}
	if (p->l3.proto == IPPROTO_TCP) {
		/* racy across CPUs like every conntrack's: last writer wins */
		if ((e->tcp_flags_seen | p->tcp_flags) != e->tcp_flags_seen)
			e->tcp_flags_seen |= p->tcp_flags;
		state = ct_next_state(state, p->tcp_flags);
		if (state != e->state)
			e->state = state;
	}
	e->expires_ns = now + ct_lifetime(cfg, p->l3.proto, state);
}

static __always_inline void ct_key_of(struct ct_key *k, const struct ep_pkt *p,
				      __u32 ep_id, __u8 dir, int reverse)
{
	if (reverse) {
		__builtin_memcpy(k->saddr, p->l3.dst, sizeof(k->saddr));
		__builtin_memcpy(k->daddr, p->l3.src, sizeof(k->daddr));
		k->sport = p->dport;
		k->dport = p->sport;
	} else {
		__builtin_memcpy(k->saddr, p->l3.src, sizeof(k->saddr));
		__builtin_memcpy(k->daddr, p->l3.dst, sizeof(k->daddr));
		k->sport = p->sport;
		k->dport = p->dport;
	}
	k->proto = p->l3.proto;
	k->dir = dir;
	k->_pad = 0;
	k->ep_id = ep_id;
}

static __always_inline __u32 ipcache_identity(const __u8 *addr)
{
	struct ipcache_key k = { .prefixlen = 128 };
	struct ipcache_val *v;

	__builtin_memcpy(k.addr, addr, sizeof(k.addr));
	v = bpf_map_lookup_elem(&ipcache, &k);
	return v ? v->identity : ID_WORLD;
}

/*
 * Policy of a new connection: the longest match for the peer's identity
 * and for any peer, deny wins, then allow, then the direction's default.
 * Adds the connection to the deciding entry's counters.
 */
static __always_inline __u32 pol_decide(const struct ep_info *ep,
					const struct ep_pkt *p,
					struct ep_dec *d, __u8 *ct_flags)
{
	struct pol_key k = {
		.prefixlen = POL_PREFIX_FULL,
		.ep_id = bpf_htonl(ep->ep_id),
		.gen = ep->pol_gen,
		.dir = d->dir,
		.identity = bpf_htonl(d->peer),
		.family = p->l3.family,
		.proto = p->l3.proto,
		.dport = p->dport,
	};
	struct pol_val *vi, *va, *v;
	__u32 enforced, audit, reason;
	int by_id;

	vi = bpf_map_lookup_elem(&pol, &k);
	k.identity = 0;
	va = bpf_map_lookup_elem(&pol, &k);

	/* anything but an allow counts as a deny: fail closed */
	if (vi && vi->action != POL_ALLOW) {
		v = vi;
		by_id = 1;
	} else if (va && va->action != POL_ALLOW) {
		v = va;
		by_id = 0;
	} else if (vi) {
		v = vi;
		by_id = 1;
	} else {
		v = va;
		by_id = 0;
	}

	if (v) {
		__sync_fetch_and_add(&v->packets, 1);
		__sync_fetch_and_add(&v->bytes, p->len);
		d->rule = v->rule;
		if (by_id)
			d->match = v->has_l4 ? FLOW_MATCH_L3_L4 : FLOW_MATCH_L3;
		else
			d->match = v->has_l4 ? FLOW_MATCH_L4 : FLOW_MATCH_ALL;
		if (v->action == POL_ALLOW)
			return REASON_PASS_POLICY;
		reason = REASON_DROP_POLICY_DENY;
	} else {
		enforced = d->dir == EP_DIR_EGRESS ? EP_F_EGRESS_ENFORCED
						   : EP_F_INGRESS_ENFORCED;
		if (!(ep->flags & enforced))
			return REASON_PASS;	/* no policy */
		reason = REASON_DROP_POLICY;
	}
	audit = d->dir == EP_DIR_EGRESS ? EP_F_EGRESS_AUDIT : EP_F_INGRESS_AUDIT;
	if (ep->flags & audit) {
		*ct_flags = CT_F_AUDIT;
		return REASON_PASS_AUDIT;
	}
	return reason;
}

static __always_inline int tcp_syn_only(const struct ep_pkt *p)
{
	return p->l3.proto == IPPROTO_TCP &&
	       (p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
}

/*
 * Conntrack and policy for an IP packet with its ports: a reply of the
 * endpoint's other direction, a packet of a live connection of this
 * direction, or a new connection that policy decides and that is tracked
 * when it passes.
 */
static __always_inline __u32 ep_conntrack(const struct ep_info *ep,
					  const struct ep_cfg *cfg,
					  const struct ep_pkt *p,
					  struct ep_dec *d)
{
	struct ct_key k;
	struct ct_val *e, nv;
	__u64 now = bpf_ktime_get_ns();
	__u32 reason;
	__u8 ct_flags = 0, state;
	int stale = 0, ret;

	ct_key_of(&k, p, ep->ep_id, !d->dir, 1);
	e = bpf_map_lookup_elem(&ct, &k);
	if (e && e->expires_ns > now) {
		ct_refresh(e, cfg, p, 1, now);
		d->is_reply = 1;
		d->peer = e->peer_identity;
		d->rule = e->rule;
		return REASON_PASS_REPLY;
	}

	ct_key_of(&k, p, ep->ep_id, d->dir, 0);
	e = bpf_map_lookup_elem(&ct, &k);
	if (e) {
		/* a SYN on a closing connection opens a new one (port reuse) */
		if (e->expires_ns > now &&
		    !(e->state == CT_CLOSING && tcp_syn_only(p))) {
			ct_refresh(e, cfg, p, 0, now);
			d->peer = e->peer_identity;
			d->rule = e->rule;
			return REASON_PASS_ESTABLISHED;
		}
		stale = 1;
	}

	d->peer = ipcache_identity(d->dir == EP_DIR_EGRESS ? p->l3.dst : p->l3.src);
	reason = pol_decide(ep, p, d, &ct_flags);
	if (reason_is_drop(reason))
		return reason;
	d->event = ct_flags & CT_F_AUDIT ? FLOW_AUDIT : FLOW_FORWARDED;

	__builtin_memset(&nv, 0, sizeof(nv));
	state = CT_NONE;
	if (p->l3.proto == IPPROTO_TCP)
		state = ct_next_state(p->tcp_flags & TCP_SYN ? CT_SYN_SENT : CT_ESTABLISHED,
				      p->tcp_flags);
	nv.expires_ns = now + ct_lifetime(cfg, p->l3.proto, state);
	nv.created_ns = now;
	nv.packets_fwd = 1;
	nv.bytes_fwd = p->len;
	nv.peer_identity = d->peer;
	nv.rule = d->rule;
	nv.state = state;
	nv.flags = ct_flags;
	nv.tcp_flags_seen = p->tcp_flags;
	/* an expired or closed entry is overwritten; else only a new key is
	 * inserted, and losing a race to another CPU's insert is fine */
	ret = bpf_map_update_elem(&ct, &k, &nv, stale ? BPF_ANY : BPF_NOEXIST);
	if (ret && ret != -EEXIST)
		return REASON_DROP_CT_FULL;
	return reason;
}

/* A non-first fragment follows its first fragment's verdict at this hook. */
static __always_inline __u32 ep_frag_follow(const struct ep_info *ep,
					    const struct ep_pkt *p,
					    struct ep_dec *d)
{
	struct ep_frag_key fk;
	struct ep_frag_val *v;

	ep_frag_key_of(&fk, p, ep, d->dir);
	v = bpf_map_lookup_elem(&ep_frag, &fk);
	if (!v)
		return REASON_DROP_FRAG_NOT_FOUND;
	d->peer = v->peer_identity;
	d->rule = v->rule;
	d->is_reply = v->is_reply;
	return reason_is_drop(v->reason) ? v->reason : REASON_PASS_FRAGMENT;
}

static __always_inline int ep_handle(struct __sk_buff *ctx, const __u8 dir)
{
	struct ep_pkt p = {};
	struct ep_dec d = {};
	struct ep_info ep, *epv;
	struct ep_cfg cfg;
	__u32 ifindex = ctx->ifindex, reason;

	p.len = ctx->len;
	epv = bpf_map_lookup_elem(&ep_by_ifindex, &ifindex);
	if (!epv) {
		count_packet(&ep_stats, REASON_PASS_NO_ENDPOINT, p.len);
		return TC_ACT_OK;
	}
	/* a copy: one consistent view (pol_gen) for the whole packet */
	__builtin_memcpy(&ep, epv, sizeof(ep));
	ep_load_cfg(&cfg);
	d.dir = dir;
	d.ifindex = ifindex;

	reason = ep_parse(ctx, &p);
	if (!reason) {
		if (p.is_nd)
			reason = REASON_PASS_NDP;
		else if (p.l3.frag == FRAG_LATER)
			reason = ep_frag_follow(&ep, &p, &d);
		else
			reason = ep_conntrack(&ep, &cfg, &p, &d);
	}
	return ep_verdict(&ep, &cfg, &p, &d, reason);
}

SEC("tc")
int weir_from_ep(struct __sk_buff *ctx)
{
	return ep_handle(ctx, EP_DIR_EGRESS);
}

SEC("tc")
int weir_to_ep(struct __sk_buff *ctx)
{
	return ep_handle(ctx, EP_DIR_INGRESS);
}

char _license[] SEC("license") = "GPL";
