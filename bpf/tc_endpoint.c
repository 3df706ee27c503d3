// SPDX-License-Identifier: GPL-2.0
/*
 * weir's endpoint programs: identity-based network policy with conntrack
 * and flow events, on the node-side end (lxc...) of every pod's veth pair.
 *
 *   weir_from_ep      tcx ingress of the lxc: packets the pod sends, its egress policy
 *   weir_to_ep        tcx egress of the lxc:  packets sent to the pod, its ingress policy
 *   weir_from_overlay tcx ingress of weir_vxlan (tunnel mode): the source
 *                     identity from the VNI, for weir_to_ep
 *
 * Tunnel mode (docs/routing.md): weir_from_ep encapsulates a packet for a
 * pod on another node (the ipcache names the node) with the pod's identity
 * as VNI and redirects it to weir_vxlan.
 *
 * docs/policy-datapath.md is the contract: the maps, their structs and the
 * verdict semantics. Every packet leaves through ep_verdict(), which counts
 * it per reason and writes the flow event, if any.
 *
 * Services (docs/service-datapath.md, per-packet path): weir_from_ep DNATs
 * a new connection to a frontend to a backend before policy and conntrack
 * see it, and remembers the choice in a service entry of ct; weir_to_ep
 * restores the frontend as the source of the replies.
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
#include "ct_timers.h"
#include "nodeport.h"
#include "flow.h"
#include "lb.h"
#include "capture.h"
#include "dns.h"
#include "reject.h"
#include "icmp_err.h"

/* Map sizes are defaults; the loader sets them from configuration. */
#define EP_ENDPOINTS		4096
#define EP_POL_ENTRIES		65536
#define EP_CT_ENTRIES		65536
#define EP_FRAG_ENTRIES		8192
#define EP_EVENTS_BYTES		(4 * 1024 * 1024)

#define ICMP_ECHOREPLY		0
#define ICMP_ECHO		8
#define ICMPV6_ECHO_REQUEST	128
#define ICMPV6_ECHO_REPLY	129
#define ICMPV6_ND_FIRST		133	/* router solicitation */
#define ICMPV6_ND_LAST		137	/* redirect */

/*
 * Hairpin: a pod that reaches a service it backs itself gets its packet
 * back with this source (v4-mapped / IPv6), so that the reply leaves the pod
 * and can be reverse-translated (docs/service-datapath.md). Set by the loader.
 */
volatile const __u8 lb_hairpin4[16] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 169, 254, 42, 1 };
volatile const __u8 lb_hairpin6[16] = {	/* 100::42:1, discard-only prefix (RFC 6666) */
	0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42, 0, 1 };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EP_ENDPOINTS);
	__type(key, __u32);
	__type(value, struct ep_info);
} ep_by_ifindex SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, EP_POL_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pol_key);
	__type(value, struct pol_val);
} pol SEC(".maps");

/* A test build (bpf/test/tc_endpoint_hash_ct.c) makes it a plain hash, which refuses inserts when full. */
#ifndef EP_CT_MAP_TYPE
#define EP_CT_MAP_TYPE		BPF_MAP_TYPE_LRU_HASH
#endif

struct {
	__uint(type, EP_CT_MAP_TYPE);
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

/*
 * Per-CPU scratch for the nodeport helpers' view of a packet (np_pkt): off
 * the stack, which the endpoint programs' call chains have little of left.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct np_pkt);
} ep_np_scratch SEC(".maps");

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
	__u16  l3_off;		/* IP header */
	__u16  l4_off;		/* L4 header (after IPv6 extension headers) */
};

/* What a packet's service translation did (ep_dec.nat). */
#define EP_NAT_NONE		0
#define EP_NAT_DNAT		1	/* to a backend: a service entry was live */
#define EP_NAT_DNAT_NEW		2	/* to a backend just selected: service entry to create */
#define EP_NAT_REVNAT		3	/* reply of a translated connection: source to restore */

/* ep_dec.redirect */
#define EP_REDIRECT_NONE	0
#define EP_REDIRECT_PEER	1	/* back to the pod (hairpin reply) */
#define EP_REDIRECT_FIB		2	/* to an external client, past the stack's input path (nodeport.h) */
#define EP_REDIRECT_REJECT	3	/* dropped, answered with ICMP port unreachable (reject.h) */

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
	__u8  nat;		/* EP_NAT_* */
	__u8  ct_flags;		/* CT_F_DNAT / CT_F_HAIRPIN of a translated connection */
	__u8  redirect;		/* EP_REDIRECT_*: where the packet goes instead of the stack */
	__u8  _pad;
	__u32 svc_id;		/* translated: the service, the frontend to restore, */
	__u32 rev_nat_id;	/* the backend chosen */
	__u32 backend_id;
	__u8  orig_dst[16];	/* DNAT: the frontend, for the service entry */
	__be16 orig_dport;
	__u16 _pad2;
	__u32 carried_peer;	/* ingress: the source identity the mark carried (the tunnel's VNI, NodePort's client); 0: none */
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
	e->hook = 0;
	e->_pad[0] = 0;
	e->_pad[1] = 0;
	e->sport = p->sport;
	e->dport = p->dport;
	__builtin_memcpy(e->saddr, p->l3.src, sizeof(e->saddr));
	__builtin_memcpy(e->daddr, p->l3.dst, sizeof(e->daddr));
	e->len = p->len;
	e->svc_id = d->svc_id;
	e->rev_nat_id = d->rev_nat_id;
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
 * A translated first fragment: the later ones arrive with the tuple it had
 * before (the key) and get the address it was given (the value): the
 * frontend's destination the backend (DNAT), a reply's backend source the
 * frontend (reverse NAT). Not for hairpins (both ends change).
 */
static __always_inline void ep_frag_nat(struct ep_frag_key *fk, struct ep_frag_val *fv,
					const struct ep_pkt *p, const struct ep_dec *d)
{
	struct lb_backend *be;
	__u32 id = d->backend_id;

	fv->nat = EP_FRAG_NAT_NONE;
	__builtin_memset(fv->nat_addr, 0, sizeof(fv->nat_addr));
	if (d->ct_flags & CT_F_HAIRPIN)
		return;
	if (d->nat == EP_NAT_DNAT || d->nat == EP_NAT_DNAT_NEW) {
		__builtin_memcpy(fk->daddr, d->orig_dst, sizeof(fk->daddr));
		__builtin_memcpy(fv->nat_addr, p->l3.dst, sizeof(fv->nat_addr));
		fv->nat = EP_FRAG_NAT_DST;
	} else if (d->nat == EP_NAT_REVNAT && d->dir == EP_DIR_INGRESS &&
		   (be = bpf_map_lookup_elem(&lb_backend, &id))) {
		__builtin_memcpy(fk->saddr, be->addr, sizeof(fk->saddr));
		__builtin_memcpy(fv->nat_addr, p->l3.src, sizeof(fv->nat_addr));
		fv->nat = EP_FRAG_NAT_SRC;
	}
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
		fv._pad[0] = fv._pad[1] = 0;
		ep_frag_nat(&fk, &fv, p, d);
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
	p->l3_off = off;
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
	p->l4_off = off;
	return ep_parse_l4(ctx, off, p);
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

/* The key of the other direction's tuple (addresses and ports swapped). */
static __always_inline void ct_key_reverse(struct ct_key *k)
{
	__u8 a[16];
	__be16 port = k->sport;

	__builtin_memcpy(a, k->saddr, sizeof(a));
	__builtin_memcpy(k->saddr, k->daddr, sizeof(a));
	__builtin_memcpy(k->daddr, a, sizeof(a));
	k->sport = k->dport;
	k->dport = port;
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
	struct pol_val *v;
	__u32 enforced, audit, reason;
	int by_id;

	v = pol_decider(&pol, &k, &by_id);
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
 * The conntrack entries of an IP packet with its ports: a reply of the
 * endpoint's other direction, or a packet of a live connection of this
 * direction. Returns their reason, or 0 for a new connection (*stale: an
 * expired or closed entry of this tuple exists and is to be overwritten).
 * A reply of a translated connection at weir_to_ep sets d->nat REVNAT.
 * Global: called twice from the pod's side, verified once.
 */
__noinline int ct_find(const struct ep_info *ep, const struct ep_cfg *cfg,
		       const struct ep_pkt *p, struct ep_dec *d, int *stale)
{
	struct ct_key k;
	struct ct_val *e;
	__u64 now = bpf_ktime_get_ns();

	if (!ep || !cfg || !p || !d || !stale)
		return REASON_DROP_CT_FULL;	/* not reached */

	ct_key_of(&k, p, ep->ep_id, !d->dir, 1);
	e = bpf_map_lookup_elem(&ct, &k);
	if (e && e->expires_ns > now) {
		ct_refresh(e, cfg, p, 1, now);
		d->is_reply = 1;
		d->peer = e->peer_identity;
		d->rule = e->rule;
		if (d->dir == EP_DIR_INGRESS && (e->flags & CT_F_DNAT)) {
			d->nat = EP_NAT_REVNAT;
			d->ct_flags = e->flags;
			d->svc_id = e->svc_id;
			d->rev_nat_id = e->rev_nat_id;
			d->backend_id = e->backend_id;
		}
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
		*stale = 1;
	}
	return 0;
}

static __always_inline int addr_eq(const __u8 *a, const volatile __u8 *b)
{
	const __u64 *x = (const __u64 *)a;
	__u64 y0, y1;

	__builtin_memcpy(&y0, (const __u8 *)b, 8);
	__builtin_memcpy(&y1, (const __u8 *)b + 8, 8);
	return x[0] == y0 && x[1] == y1;
}

static __always_inline const volatile __u8 *hairpin_addr(__u8 family)
{
	return family == 4 ? lb_hairpin4 : lb_hairpin6;
}

/*
 * The peer of a new connection. A hairpinned packet (the pod reaching a
 * service it backs) arrives at its own weir_to_ep from the hairpin address:
 * when the pod's egress entry of that very tuple says so, the peer is the
 * pod itself (a spoofed hairpin source stays world).
 */
static __always_inline __u32 ep_peer(const struct ep_info *ep,
				     const struct ep_pkt *p, __u8 dir)
{
	struct ct_key k;
	struct ct_val *e;

	if (dir == EP_DIR_EGRESS)
		return ipcache_identity(p->l3.dst);
	if (addr_eq(p->l3.src, hairpin_addr(p->l3.family))) {
		ct_key_of(&k, p, ep->ep_id, EP_DIR_EGRESS, 0);
		e = bpf_map_lookup_elem(&ct, &k);
		if (e && (e->flags & CT_F_HAIRPIN))
			return ep->identity;
	}
	return ipcache_identity(p->l3.src);
}

static __always_inline void ct_new_val(struct ct_val *nv, const struct ep_cfg *cfg,
				       const struct ep_pkt *p,
				       const struct ep_dec *d, __u64 now)
{
	__u8 state;

	__builtin_memset(nv, 0, sizeof(*nv));
	state = ct_first_state(p->l3.proto, p->tcp_flags);
	nv->expires_ns = now + ct_lifetime(cfg, p->l3.proto, state);
	nv->created_ns = now;
	nv->packets_fwd = 1;
	nv->bytes_fwd = p->len;
	nv->peer_identity = d->peer;
	nv->rule = d->rule;
	nv->state = state;
	nv->tcp_flags_seen = p->tcp_flags;
	nv->svc_id = d->svc_id;
	nv->rev_nat_id = d->rev_nat_id;
	nv->backend_id = d->backend_id;
}

/*
 * A new connection: policy decides (for a translated one, against the
 * backend), and a connection that passes is tracked. A connection just
 * translated also gets its service entry: the client's tuple to the
 * frontend, which keeps its later packets on the same backend. Global:
 * its stack is not added to the translation's.
 */
__noinline int ct_create(const struct ep_info *ep, const struct ep_cfg *cfg,
			 const struct ep_pkt *p, struct ep_dec *d, int stale)
{
	struct ct_key k;
	struct ct_val nv;
	__u64 now = bpf_ktime_get_ns();
	__u32 reason;
	__u8 ct_flags = 0;
	int ret;

	if (!ep || !cfg || !p || !d)
		return REASON_DROP_CT_FULL;	/* not reached */
	d->peer = d->carried_peer ? d->carried_peer : ep_peer(ep, p, d->dir);
	reason = pol_decide(ep, p, d, &ct_flags);
	if (reason_is_drop(reason))
		return reason;
	d->event = ct_flags & CT_F_AUDIT ? FLOW_AUDIT : FLOW_FORWARDED;

	ct_new_val(&nv, cfg, p, d, now);
	if (d->nat == EP_NAT_DNAT_NEW) {
		/* the client: hairpinned, the backend itself */
		__builtin_memcpy(k.saddr, d->ct_flags & CT_F_HAIRPIN ? p->l3.dst : p->l3.src,
				 sizeof(k.saddr));
		__builtin_memcpy(k.daddr, d->orig_dst, sizeof(k.daddr));
		k.sport = p->sport;
		k.dport = d->orig_dport;
		k.proto = p->l3.proto;
		k.dir = CT_DIR_SERVICE;
		k._pad = 0;
		k.ep_id = ep->ep_id;
		nv.flags = CT_F_SERVICE | (d->ct_flags & CT_F_HAIRPIN);
		if (bpf_map_update_elem(&ct, &k, &nv, BPF_ANY))
			return REASON_DROP_CT_FULL;
	}
	nv.flags = ct_flags | d->ct_flags;
	ct_key_of(&k, p, ep->ep_id, d->dir, 0);
	/* an expired or closed entry is overwritten; else only a new key is
	 * inserted, and losing a race to another CPU's insert is fine */
	ret = bpf_map_update_elem(&ct, &k, &nv, stale ? BPF_ANY : BPF_NOEXIST);
	if (ret && ret != -EEXIST)
		return REASON_DROP_CT_FULL;
	return reason;
}

/* The nodeport helpers' view of the packet (nodeport.h). */
static __always_inline void ep_np_pkt(struct np_pkt *n, const struct ep_pkt *p)
{
	__builtin_memcpy(n->src, p->l3.src, sizeof(n->src));
	__builtin_memcpy(n->dst, p->l3.dst, sizeof(n->dst));
	n->sport = p->sport;
	n->dport = p->dport;
	n->family = p->l3.family;
	n->proto = p->l3.proto;
	n->tcp_flags = p->tcp_flags;
	n->reject = 0;
	n->l3_off = p->l3_off;
	n->l4_off = p->l4_off;
	n->len = p->len;
	n->svc_id = 0;
	n->rev_nat_id = 0;
	n->frag = p->l3.frag;
	n->frag_proto = p->l3.frag_proto;
	n->frag_id = p->l3.frag_id;
}

static __always_inline void ep_np_back(struct ep_pkt *p, const struct np_pkt *n)
{
	__builtin_memcpy(p->l3.src, n->src, sizeof(p->l3.src));
	__builtin_memcpy(p->l3.dst, n->dst, sizeof(p->l3.dst));
	p->sport = n->sport;
	p->dport = n->dport;
}

static __always_inline struct np_pkt *ep_np_scratch_of(const struct ep_pkt *p)
{
	__u32 zero = 0;
	struct np_pkt *n = bpf_map_lookup_elem(&ep_np_scratch, &zero);

	if (n)
		ep_np_pkt(n, p);
	return n;
}

/*
 * Rewrites the packet's destination (dst) or source address and port with
 * np_nat_rewrite() (checksums fixed incrementally). Updates p. Returns 0, or
 * -1 when the skb could not be written.
 */
static __always_inline int ep_nat_rewrite(struct __sk_buff *ctx, struct ep_pkt *p, int dst,
					  const struct lb_frontend *t)
{
	struct np_pkt *n = ep_np_scratch_of(p);

	if (!n || np_nat_rewrite(ctx, n, dst, t))
		return -1;
	ep_np_back(p, n);
	return 0;
}

static __always_inline int addr_is_v4(const __u8 *a)
{
	const __u32 *w = (const __u32 *)a;

	return w[0] == 0 && w[1] == 0 && w[2] == bpf_htonl(0xffff);
}

/*
 * Backend selection (docs/service-datapath.md, Selection): affinity, else
 * Maglev, else random over slots 1..count of the service's generation.
 * Returns the backend id, 0 when none. Global: verified once.
 */
__noinline __u32 ep_lb_select(const struct lb_svc_val *sv, const struct ep_pkt *p,
			   __u64 now)
{
	struct lb_affinity_key ak;
	struct lb_affinity_val *av, nav;
	struct lb_maglev_key mk;
	struct lb_slot_key sk;
	struct lb_backend *be;
	__u32 *id, backend_id = 0;

	if (!sv || !p || !sv->count)
		return 0;
	if ((sv->flags & LB_F_AFFINITY) && sv->affinity_timeout_s) {
		__builtin_memcpy(ak.client, p->l3.src, sizeof(ak.client));
		ak.svc_id = sv->svc_id;
		av = bpf_map_lookup_elem(&lb_affinity, &ak);
		if (av && now - av->last_ns < (__u64)sv->affinity_timeout_s * 1000000000ULL) {
			backend_id = av->backend_id;
			be = bpf_map_lookup_elem(&lb_backend, &backend_id);
			if (be && be->state == LB_BE_ACTIVE) {
				av->last_ns = now;
				return backend_id;
			}
		}
		backend_id = 0;
	}
	if ((sv->flags & LB_F_MAGLEV) && sv->maglev_m) {
		mk.svc_id = sv->svc_id;
		mk.index = lb_hash_tuple(p->l3.src, p->sport, p->l3.proto) % sv->maglev_m;
		mk.gen = sv->gen;
		mk._pad[0] = mk._pad[1] = mk._pad[2] = 0;
		id = bpf_map_lookup_elem(&lb_maglev, &mk);
		if (id)
			backend_id = *id;
	}
	if (!backend_id) {	/* random, also when a Maglev entry is missing */
		sk.svc_id = sv->svc_id;
		sk.slot = bpf_get_prandom_u32() % sv->count + 1;
		sk.gen = sv->gen;
		sk._pad = 0;
		id = bpf_map_lookup_elem(&lb_slot, &sk);
		if (id)
			backend_id = *id;
	}
	if (backend_id && (sv->flags & LB_F_AFFINITY) && sv->affinity_timeout_s) {
		nav.last_ns = now;
		nav.backend_id = backend_id;
		nav._pad = 0;
		bpf_map_update_elem(&lb_affinity, &ak, &nav, BPF_ANY);
	}
	return backend_id;
}

/*
 * loadBalancerSourceRanges for a pod: kube-proxy filters in-cluster clients
 * too. Global: its stack apart from ep_lb()'s.
 */
__noinline int ep_src_allowed(__u32 rev_nat_id, const struct ep_pkt *p)
{
	if (!p)
		return 0;	/* not reached */
	return np_src_allowed(rev_nat_id, p->l3.src);
}

/*
 * Service DNAT of a packet the pod sends (weir_from_ep, no conntrack entry
 * for its tuple). Not a TCP/UDP packet to a frontend: 0, nothing changed.
 * Else the backend is the one of the live service entry, or a new choice;
 * the packet is rewritten to it (and, hairpinned, from the hairpin address),
 * p holds the translated tuple, d->nat says which: 0. Or a drop reason.
 * Global: verified once.
 */
__noinline int ep_lb(struct __sk_buff *ctx, const struct ep_info *ep,
		     const struct ep_cfg *cfg, struct ep_pkt *p, struct ep_dec *d)
{
	struct lb_svc_key fk;
	struct lb_svc_val *sv;
	struct lb_backend *be = NULL;
	struct lb_frontend t;
	struct ct_key k;
	struct ct_val *e;
	__u32 backend_id;
	__u64 now;

	if (!ctx || !ep || !cfg || !p || !d)
		return REASON_DROP_NAT_FAILED;	/* not reached */
	/* a first fragment is translated (it has the ports; the L4 checksum's
	 * change does not depend on the rest of the datagram), the later ones
	 * follow it (ep_frag_nat()) */
	if ((p->l3.proto != IPPROTO_TCP && p->l3.proto != IPPROTO_UDP) ||
	    p->l3.frag == FRAG_LATER)
		return 0;
	__builtin_memcpy(fk.addr, p->l3.dst, sizeof(fk.addr));
	fk.port = p->dport;
	fk.proto = p->l3.proto;
	fk.scope = LB_SCOPE_LOCAL;	/* the client is on this node */
	sv = bpf_map_lookup_elem(&lb_svc, &fk);
	if (!sv) {
		fk.scope = LB_SCOPE_ANY;
		sv = bpf_map_lookup_elem(&lb_svc, &fk);
		if (!sv)
			return 0;
	}
	d->svc_id = sv->svc_id;
	d->rev_nat_id = sv->rev_nat_id;
	now = bpf_ktime_get_ns();

	ct_key_of(&k, p, ep->ep_id, CT_DIR_SERVICE, 0);
	e = bpf_map_lookup_elem(&ct, &k);
	if (e && e->expires_ns > now && !(e->state == CT_CLOSING && tcp_syn_only(p))) {
		backend_id = e->backend_id;
		be = bpf_map_lookup_elem(&lb_backend, &backend_id);
		if (be) {
			ct_refresh(e, cfg, p, 0, now);
			d->nat = EP_NAT_DNAT;
		}
	}
	if (!be) {
		if ((sv->flags & LB_F_SRC_RANGES) && !ep_src_allowed(sv->rev_nat_id, p))
			return REASON_DROP_LB_SRC_RANGE;
		if (!sv->count) {
			if (sv->flags & LB_F_REJECT)
				d->redirect = EP_REDIRECT_REJECT;
			return REASON_DROP_NO_SERVICE_BACKEND;
		}
		backend_id = ep_lb_select(sv, p, now);
		be = bpf_map_lookup_elem(&lb_backend, &backend_id);
		if (!be)
			return REASON_DROP_NO_SERVICE_BACKEND;
		d->nat = EP_NAT_DNAT_NEW;
		/* a closed connection to this address and port from before it
		 * was a frontend (the client reuses its port) must not shadow
		 * the new translated one: its later packets would pass
		 * untranslated as "established" */
		ct_key_of(&k, p, ep->ep_id, EP_DIR_EGRESS, 0);
		bpf_map_delete_elem(&ct, &k);
	}
	if (addr_is_v4(be->addr) != (p->l3.family == 4))
		return REASON_DROP_NO_SERVICE_BACKEND;	/* no NAT46/64 */
	d->backend_id = backend_id;
	d->ct_flags = CT_F_DNAT;
	__builtin_memcpy(d->orig_dst, p->l3.dst, sizeof(d->orig_dst));
	d->orig_dport = p->dport;

	__builtin_memcpy(t.addr, be->addr, sizeof(t.addr));
	t.port = be->port;
	if (ep_nat_rewrite(ctx, p, 1, &t))
		return REASON_DROP_NAT_FAILED;
	if (addr_eq(p->l3.src, p->l3.dst)) {
		/* hairpin: from the hairpin address, or the pod would answer
		 * itself inside its namespace, from the backend's address */
		__builtin_memcpy(t.addr, (const __u8 *)hairpin_addr(p->l3.family),
				 sizeof(t.addr));
		t.port = p->sport;
		if (ep_nat_rewrite(ctx, p, 0, &t))
			return REASON_DROP_NAT_FAILED;
		d->ct_flags |= CT_F_HAIRPIN;
	}
	return 0;
}

/*
 * A reply from the pod that is not a hairpin: a local backend's reply to an
 * external client (nodeport.h, np_ct) gets the frontend as its source again,
 * and the client as its destination if it was SNATed; the packet then
 * leaves through np_redirect(). Else a plain reply. Global: called from
 * ep_handle()'s level, so that its chain of frames stays short.
 */
__noinline int ep_np_reverse(struct __sk_buff *ctx, const struct ep_cfg *cfg,
			     struct ep_pkt *p, struct ep_dec *d)
{
	struct np_pkt *n;
	int ret;

	if (!ctx || !cfg || !p || !d)
		return REASON_PASS_REPLY;	/* not reached */
	n = ep_np_scratch_of(p);
	if (!n)
		return REASON_PASS_REPLY;
	ret = np_reverse(ctx, cfg, n);
	if (ret < 0)
		return REASON_DROP_NAT_FAILED;
	if (!ret)
		return REASON_PASS_REPLY;
	np_frag_note(n, p->l3.src, p->l3.dst, NP_DIR_REV, REASON_PASS_SERVICE_REVNAT);
	ep_np_back(p, n);
	d->svc_id = n->svc_id;
	d->rev_nat_id = n->rev_nat_id;
	d->redirect = EP_REDIRECT_FIB;
	return REASON_PASS_SERVICE_REVNAT;
}

/*
 * A non-first fragment from the pod of a datagram whose first fragment
 * ep_np_reverse() translated: the same addresses (np_frag_follow()), and out
 * through np_redirect() as that one. 0 when np_frag does not know it, else
 * the reason.
 */
static __always_inline int ep_np_frag_follow(struct __sk_buff *ctx, struct ep_pkt *p,
					     struct ep_dec *d)
{
	struct np_pkt *n = ep_np_scratch_of(p);
	int reason;

	if (!n)
		return 0;
	reason = np_frag_follow(ctx, n, NP_DIR_REV);
	if (reason != REASON_PASS_FRAGMENT)
		return reason;
	ep_np_back(p, n);
	d->svc_id = n->svc_id;
	d->rev_nat_id = n->rev_nat_id;
	d->redirect = EP_REDIRECT_FIB;
	return reason;
}

/*
 * Reverse NAT of a reply of a translated connection: the source back to
 * the frontend (lb_revnat). A hairpin reply (from the pod to the hairpin
 * address, at weir_from_ep) also gets its destination back to the client,
 * the pod itself, and is to be handed back to the pod. Returns the reason.
 * Global: verified once.
 */
__noinline int ep_revnat(struct __sk_buff *ctx, const struct ep_info *ep,
			 const struct ep_cfg *cfg, struct ep_pkt *p, struct ep_dec *d)
{
	struct lb_frontend *fe, t;
	struct ct_key k;
	struct ct_val *e;
	__u32 id;

	if (!ctx || !ep || !cfg || !p || !d)
		return REASON_DROP_NAT_FAILED;	/* not reached */
	if (d->dir == EP_DIR_EGRESS) {
		/* a reply from the pod: hairpinned if to the hairpin address,
		 * where the pod's own egress entry knows the frontend */
		if (!addr_eq(p->l3.dst, hairpin_addr(p->l3.family)))
			return REASON_PASS_REPLY;	/* maybe an external client's: ep_np_reverse() */
		ct_key_of(&k, p, ep->ep_id, EP_DIR_EGRESS, 1);
		e = bpf_map_lookup_elem(&ct, &k);
		if (!e || !(e->flags & CT_F_HAIRPIN))
			return REASON_PASS_REPLY;
		ct_refresh(e, cfg, p, 1, bpf_ktime_get_ns());
		d->svc_id = e->svc_id;
		d->rev_nat_id = e->rev_nat_id;
		d->backend_id = e->backend_id;
		d->ct_flags = e->flags;
	}
	id = d->rev_nat_id;
	fe = bpf_map_lookup_elem(&lb_revnat, &id);
	if (!fe)
		return REASON_PASS_REPLY;	/* the service is gone */
	if (addr_is_v4(fe->addr) != (p->l3.family == 4))
		return REASON_PASS_REPLY;
	if (d->dir == EP_DIR_EGRESS) {	/* hairpin */
		__builtin_memcpy(t.addr, p->l3.src, sizeof(t.addr));
		t.port = p->dport;
		if (ep_nat_rewrite(ctx, p, 1, &t))
			return REASON_DROP_NAT_FAILED;
		d->redirect = EP_REDIRECT_PEER;
	}
	__builtin_memcpy(&t, fe, sizeof(t));
	if (ep_nat_rewrite(ctx, p, 0, &t))
		return REASON_DROP_NAT_FAILED;
	return REASON_PASS_SERVICE_REVNAT;
}

/*
 * Conntrack, service translation and policy for an IP packet with its
 * ports. From the pod, a packet without an entry is first translated if it
 * goes to a frontend; the translated tuple is then looked up again (a live
 * connection whose service entry vanished) and judged as new.
 */
static __always_inline __u32 ep_conntrack(struct __sk_buff *ctx,
					  const struct ep_info *ep,
					  const struct ep_cfg *cfg,
					  struct ep_pkt *p,
					  struct ep_dec *d, const __u8 dir)
{
	__u32 reason;
	int stale = 0;

	reason = ct_find(ep, cfg, p, d, &stale);
	if (reason == REASON_PASS_REPLY && dir == EP_DIR_EGRESS) {
		reason = ep_revnat(ctx, ep, cfg, p, d);
		/*
		 * A client the underlay translated for is the node (SNAT: host or
		 * remote-node) or outside (Local: world or a CIDR identity), never
		 * a pod: replies to pods skip the np_ct lookup.
		 */
		if (reason == REASON_PASS_REPLY && !id_is_endpoint(d->peer))
			reason = ep_np_reverse(ctx, cfg, p, d);
		return reason;
	}
	if (reason == REASON_PASS_REPLY && d->nat == EP_NAT_REVNAT)
		return ep_revnat(ctx, ep, cfg, p, d);
	if (reason || dir != EP_DIR_EGRESS)
		goto create;
	reason = ep_lb(ctx, ep, cfg, p, d);
	if (reason || d->nat == EP_NAT_NONE)
		goto create;
	stale = 0;
	reason = ct_find(ep, cfg, p, d, &stale);
create:
	if (!reason)
		reason = ct_create(ep, cfg, p, d, stale);
	/* a translated packet that passes says so, unless audit mode let it */
	if ((d->nat == EP_NAT_DNAT || d->nat == EP_NAT_DNAT_NEW) &&
	    (reason == REASON_PASS || reason == REASON_PASS_POLICY ||
	     reason == REASON_PASS_ESTABLISHED))
		reason = REASON_PASS_SERVICE_DNAT;
	return reason;
}

/*
 * ICMP errors about a connection of the pod (destination or port unreachable,
 * fragmentation needed / packet too big, time exceeded, parameter problem),
 * sent to it at weir_to_ep: they belong to the connection the quoted packet
 * is from, so they pass as its replies do (RELATED; policy does not judge
 * them again), and when that connection was translated to a backend
 * (CT_F_DNAT), the quote is translated back (its destination to the
 * frontend; the error's source too when it is the backend), so that the
 * pod's socket, connected to the frontend, gets the error: path-MTU
 * discovery works through a service, and a backend's port unreachable
 * refuses the client. Returns 0 when it is none (the packet takes the
 * usual path), else the reason.
 */
static __always_inline int ep_icmp_related(struct __sk_buff *ctx, const struct ep_info *ep,
					   const struct ep_pkt *p, struct ep_dec *d)
{
	struct lb_frontend *fe;
	struct icmp_err q;
	struct ct_key k;
	struct ct_val *e;
	__u8 backend[16];
	__u32 id;
	int v4 = p->l3.family == 4;

	if (p->l3.frag != FRAG_NONE || p->l3.proto != (v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6) ||
	    icmp_err_parse(ctx, p->l3_off, p->l4_off, p->l3.family, &q))
		return 0;	/* not an error about TCP/UDP: the usual path */
	/* the quoted packet's tuple, as the pod sent it */
	__builtin_memset(&k, 0, sizeof(k));
	__builtin_memcpy(k.saddr, q.saddr, sizeof(k.saddr));
	__builtin_memcpy(k.daddr, q.daddr, sizeof(k.daddr));
	k.sport = q.sport;
	k.dport = q.dport;
	k.proto = q.proto;
	k.ep_id = ep->ep_id;
	/* a connection the pod opened (its egress entry), or one it answers (ingress, reversed) */
	k.dir = EP_DIR_EGRESS;
	e = bpf_map_lookup_elem(&ct, &k);
	if (!e) {
		ct_key_reverse(&k);
		k.dir = EP_DIR_INGRESS;
		e = bpf_map_lookup_elem(&ct, &k);
	}
	if (!e || e->expires_ns <= bpf_ktime_get_ns())
		return 0;
	d->is_reply = 1;
	d->peer = e->peer_identity;
	if (k.dir != EP_DIR_EGRESS || !(e->flags & CT_F_DNAT) || (e->flags & CT_F_HAIRPIN))
		return REASON_PASS_REPLY;
	id = e->rev_nat_id;
	fe = bpf_map_lookup_elem(&lb_revnat, &id);
	if (!fe || addr_is_v4(fe->addr) != v4)
		return REASON_PASS_REPLY;
	d->svc_id = e->svc_id;
	d->rev_nat_id = e->rev_nat_id;
	/* the quote's destination: the backend becomes the frontend */
	__builtin_memcpy(backend, q.daddr, sizeof(backend));
	if (icmp_err_set_quote(ctx, &q, 1, fe->addr, fe->port))
		return REASON_DROP_NAT_FAILED;
	/* an error from the backend itself comes from the frontend */
	if (addr_eq(p->l3.src, (const volatile __u8 *)backend) &&
	    icmp_err_set_outer(ctx, &q, 0, backend, fe->addr))
		return REASON_DROP_NAT_FAILED;
	return REASON_PASS_SERVICE_REVNAT;
}

/* ep_icmp_related() into *reason; whether it decided. Global: verified once. */
__noinline int ep_icmp_error(struct __sk_buff *ctx, const struct ep_info *ep,
			     const struct ep_pkt *p, struct ep_dec *d, __u32 *reason)
{
	if (!ctx || !ep || !p || !d || !reason)
		return 0;	/* not reached */
	*reason = ep_icmp_related(ctx, ep, p, d);
	return *reason != 0;
}

/*
 * A non-first fragment follows its first fragment's verdict at this hook,
 * and its translation (ep_frag_nat()): the address rewritten, the IPv4
 * header checksum with it (no L4 header here). From the pod, a fragment of
 * a local backend's reply to an external client follows np_frag instead
 * (ep_np_reverse() noted its first fragment) and leaves as that one did.
 * Global: verified once.
 */
__noinline int ep_frag_follow(struct __sk_buff *ctx, const struct ep_info *ep,
			      struct ep_pkt *p, struct ep_dec *d)
{
	struct ep_frag_key fk;
	struct ep_frag_val *v;
	int dst, reason;

	if (!ctx || !ep || !p || !d)
		return REASON_DROP_FRAG_NOT_FOUND;	/* not reached */
	if (d->dir == EP_DIR_EGRESS) {
		reason = ep_np_frag_follow(ctx, p, d);
		if (reason)
			return reason;
	}
	ep_frag_key_of(&fk, p, ep, d->dir);
	v = bpf_map_lookup_elem(&ep_frag, &fk);
	if (!v)
		return REASON_DROP_FRAG_NOT_FOUND;
	d->peer = v->peer_identity;
	d->rule = v->rule;
	d->is_reply = v->is_reply;
	if (reason_is_drop(v->reason))
		return v->reason;
	if (v->nat != EP_FRAG_NAT_DST && v->nat != EP_FRAG_NAT_SRC)
		return REASON_PASS_FRAGMENT;
	dst = v->nat == EP_FRAG_NAT_DST;
	if (np_addr_rewrite(ctx, p->l3_off, p->l3.family, dst, dst ? p->l3.dst : p->l3.src, v->nat_addr))
		return REASON_DROP_NAT_FAILED;
	return REASON_PASS_FRAGMENT;
}

/*
 * A packet of the pod to a frontend without endpoints (LB_F_REJECT): the
 * ICMP port unreachable of reject.h, handed back to the pod as the hairpin
 * reply is. Global: its stack apart from ep_handle()'s.
 */
__noinline int ep_reject(struct __sk_buff *ctx, const struct ep_pkt *p, __u32 ifindex)
{
	if (!ctx || !p)
		return TC_ACT_SHOT;	/* not reached */
	if (reject_port_unreachable(ctx, p->l3_off, p->l3.family))
		return TC_ACT_SHOT;
	return bpf_redirect_peer(ifindex, 0);
}

/* np_redirect() of the packet. Global: its stack apart from ep_handle()'s. */
__noinline int ep_np_redirect(struct __sk_buff *ctx, const struct ep_pkt *p)
{
	struct np_pkt n;

	if (!ctx || !p)
		return TC_ACT_OK;	/* not reached */
	ep_np_pkt(&n, p);
	return np_redirect(ctx, &n);
}

/*
 * Tunnel mode: a packet the pod sends to a pod on another node leaves
 * encapsulated, the pod's identity as VNI, to the node the ipcache names;
 * anything else goes to the stack as before. Global: its stack apart from
 * ep_handle's.
 */
__noinline int ep_tunnel(struct __sk_buff *ctx, __u32 identity, __u32 tunnel_ifindex,
			 const struct ep_pkt *p)
{
	struct ipcache_key k = { .prefixlen = 128 };
	struct bpf_tunnel_key key;
	struct ipcache_val *v;

	if (!ctx || !p)
		return TC_ACT_OK;	/* not reached */
	__builtin_memcpy(k.addr, p->l3.dst, sizeof(k.addr));
	v = bpf_map_lookup_elem(&ipcache, &k);
	if (!v || !v->tunnel_endpoint)
		return TC_ACT_OK;
	__builtin_memset(&key, 0, sizeof(key));
	key.tunnel_id = identity & WEIR_MARK_ID_MASK;
	key.remote_ipv4 = v->tunnel_endpoint;
	key.tunnel_ttl = 64;
	if (bpf_skb_set_tunnel_key(ctx, &key, sizeof(key), BPF_F_ZERO_CSUM_TX) < 0)
		return TC_ACT_OK;	/* no tunnel metadata: the stack's route decides */
	return bpf_redirect(tunnel_ifindex, 0);
}

/*
 * A capture's record of the packet as it leaves the hook (capture.h). Not
 * inlined: ep_handle's own stack frame is what the deepest call chain has
 * left, so the record's metadata lives in this frame instead.
 */
static __noinline int ep_capture(struct __sk_buff *ctx, const struct ep_info *ep,
				 const struct ep_dec *d, __u32 reason, __u32 verdict)
{
	struct cap_meta m = {
		.ep_id = ep->ep_id,
		.src_identity = d->dir == EP_DIR_EGRESS ? ep->identity : d->peer,
		.dst_identity = d->dir == EP_DIR_EGRESS ? d->peer : ep->identity,
		.reason = reason,
		.hook = d->dir == EP_DIR_EGRESS ? CAP_HOOK_FROM_EP : CAP_HOOK_TO_EP,
		.verdict = verdict,
		.dir = d->dir,
	};

	cap_skb(ctx, &m);
	return 0;
}

/*
 * DNS visibility (dns.h): the message of a UDP or TCP packet from or to
 * port 53, with the packet's verdict (from its reason), unless dns_cfg
 * switches it off. TCP: from the segment's payload (a message starts with
 * its 2-byte length); segments without payload send nothing. Not inlined:
 * its frame apart from ep_handle's.
 */
static __noinline int ep_dns(struct __sk_buff *ctx, const struct ep_info *ep,
			     const struct ep_pkt *p, const struct ep_dec *d, __u32 reason)
{
	struct dns_event *e;
	__u8 doff = 5 << 4;
	__u32 off, end;

	if (!p->l4_off || p->l3.frag == FRAG_LATER ||
	    !dns_candidate(p->l3.proto, p->sport, p->dport))
		return 0;
	off = p->l4_off + 8;
	if (p->l3.proto == IPPROTO_TCP) {
		if (bpf_skb_load_bytes(ctx, p->l4_off + 12, &doff, 1))
			return 0;
		off = p->l4_off + (doff >> 4) * 4;
	}
	end = p->l3_off + p->l3.ip_len;
	if (end <= off || end > ctx->len || end - off > 0xffff)
		return 0;	/* no message: a handshake's or an ACK's segment */
	e = dns_reserve();
	if (!e)
		return 0;
	e->ts_ns = bpf_ktime_get_ns();
	e->ep_id = ep->ep_id;
	e->ifindex = d->ifindex;
	e->src_identity = d->dir == EP_DIR_EGRESS ? ep->identity : d->peer;
	e->dst_identity = d->dir == EP_DIR_EGRESS ? d->peer : ep->identity;
	e->reason = reason;
	e->verdict = reason_is_drop(reason) ? FLOW_DROPPED : FLOW_FORWARDED;
	e->dir = d->dir;
	e->family = p->l3.family;
	e->proto = p->l3.proto;
	e->_pad[0] = e->_pad[1] = 0;
	e->sport = p->sport;
	e->dport = p->dport;
	__builtin_memcpy(e->saddr, p->l3.src, sizeof(e->saddr));
	__builtin_memcpy(e->daddr, p->l3.dst, sizeof(e->daddr));
	return dns_submit(ctx, e, off, end - off);
}

/* Whether the packet may carry DNS (a port is 53): the only cost of DNS visibility for others. */
static __always_inline int ep_dns_port(const struct ep_pkt *p)
{
	return p->sport == bpf_htons(DNS_PORT) || p->dport == bpf_htons(DNS_PORT);
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
	if (dir == EP_DIR_INGRESS && (ctx->mark & WEIR_MARK_MAGIC_MASK) == WEIR_MARK_IDENTITY) {
		d.carried_peer = ctx->mark & WEIR_MARK_ID_MASK;
		ctx->mark = 0;
	}

	reason = ep_parse(ctx, &p);
	if (!reason) {
		if (p.is_nd)
			reason = REASON_PASS_NDP;
		else if (p.l3.frag == FRAG_LATER)
			reason = ep_frag_follow(ctx, &ep, &p, &d);
		else if (dir == EP_DIR_INGRESS &&
			 (p.l3.proto == IPPROTO_ICMP || p.l3.proto == IPPROTO_ICMPV6) &&
			 ep_icmp_error(ctx, &ep, &p, &d, &reason))
			;	/* an error about a connection of the pod: decided */
		else
			reason = ep_conntrack(ctx, &ep, &cfg, &p, &d, dir);
	}
	if (ep_verdict(&ep, &cfg, &p, &d, reason) == TC_ACT_SHOT) {
		ep_capture(ctx, &ep, &d, reason, FLOW_DROPPED);
		if (ep_dns_port(&p))
			ep_dns(ctx, &ep, &p, &d, reason);
		return d.redirect == EP_REDIRECT_REJECT ? ep_reject(ctx, &p, ifindex) : TC_ACT_SHOT;
	}
	ep_capture(ctx, &ep, &d, reason, FLOW_FORWARDED);
	if (ep_dns_port(&p))
		ep_dns(ctx, &ep, &p, &d, reason);
	if (dir == EP_DIR_EGRESS && d.redirect == EP_REDIRECT_PEER)
		return bpf_redirect_peer(ifindex, 0);	/* hairpin reply: back to the pod */
	if (dir == EP_DIR_EGRESS && d.redirect == EP_REDIRECT_FIB)
		return ep_np_redirect(ctx, &p);	/* an external client's reply: out to it */
	if (dir == EP_DIR_EGRESS && cfg.tunnel_ifindex)
		return ep_tunnel(ctx, ep.identity, cfg.tunnel_ifindex, &p);
	return TC_ACT_OK;
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

/*
 * Tunnel mode, on weir_vxlan's ingress: the VNI is the sender's identity
 * (a pod's, or remote-node for what the sending node's stack forwarded),
 * handed to weir_to_ep in the mark. The inner frame was addressed to the
 * sending node's device, so it is taken as the host's, for the stack to
 * route to the pod.
 */
SEC("tc")
int weir_from_overlay(struct __sk_buff *ctx)
{
	struct bpf_tunnel_key key;

	__builtin_memset(&key, 0, sizeof(key));
	if (bpf_skb_get_tunnel_key(ctx, &key, sizeof(key), 0) < 0)
		return TC_ACT_SHOT;	/* not from the tunnel: nothing else comes this way */
	if (key.tunnel_id && key.tunnel_id <= WEIR_MARK_ID_MASK)
		ctx->mark = WEIR_MARK_IDENTITY | key.tunnel_id;
	else
		ctx->mark = 0;
	bpf_skb_change_type(ctx, 0);	/* PACKET_HOST */
	return TC_ACT_UNSPEC;	/* weir_from_netdev may follow (a NodePort reply to restore) */
}

char _license[] SEC("license") = "GPL";
