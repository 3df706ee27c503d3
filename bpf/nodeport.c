// SPDX-License-Identifier: GPL-2.0
/*
 * weir's underlay program: services reached from outside the node.
 *
 *   weir_from_netdev  tcx ingress of the node's underlay interface, and of
 *                     weir_vxlan in tunnel mode (a remote backend's reply to
 *                     the SNAT address comes encapsulated, as everything a
 *                     pod sends to another node does)
 *
 * A TCP/UDP packet to a NodePort, LoadBalancer or external IP frontend
 * (lb_svc, scope 0 only) is DNATed to a backend on any node and, unless the
 * frontend has externalTrafficPolicy Local (LB_F_EXT_LOCAL), SNATed to this
 * node's address and a SNAT port, so that the reply comes back here; np_ct
 * (nodeport.h) remembers both directions. A reply of a remote backend to the
 * SNAT port arrives here too and is restored (frontend -> client); a local
 * backend's reply is restored by weir_from_ep (tc_endpoint.c). Translated
 * packets leave through np_redirect(). Everything else passes untouched.
 *
 * loadBalancerSourceRanges: a frontend with LB_F_SRC_RANGES admits new
 * connections only from sources in lb_src_range[rev_nat_id].
 *
 * Direct server return (np_cfg.mode NP_MODE_DSR, IPv4): the client keeps its
 * source and the frontend travels to the backend's node in an IPv4 option
 * (np_dsr_push); that node's weir_from_netdev records it (np_dsr_recv) so
 * that the backend's reply leaves from there, as the frontend. ICMP errors
 * about translated connections are translated back (np_icmp_error).
 * Fragments: a first fragment is translated like any packet and noted in
 * np_frag; the later ones (no ports) follow it (np_frag_later()).
 *
 * docs/service-datapath.md ("From outside the node") is the contract.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/errno.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "drop_reasons.h"
#include "parsing_skb.h"
#include "counters.h"
#include "ct.h"
#include "ct_timers.h"
#include "lb.h"
#include "nodeport.h"
#include "ipcache.h"
#include "flow.h"
#include "capture.h"
#include "reject.h"
#include "icmp_err.h"

#define NP_SNAT_TRIES		16
#define NP_PACKET_HOST		0	/* skb->pkt_type of a frame to this host (linux/if_packet.h) */
#define NP_SNAT_PORT_MIN	32768	/* above the NodePort range, like Cilium's */
#define NP_SNAT_PORT_MAX	65535

/* np_cfg[0], written by the agent. */
struct np_cfg {
	__u8  snat4[16];		/* this node's IPv4 SNAT address, v4-mapped; zero: none */
	__u8  snat6[16];		/* its IPv6 SNAT address; zero: none */
	__u16 port_min;			/* SNAT ports, host order; 0: the defaults above */
	__u16 port_max;
	__u8  mode;			/* NP_MODE_*: how a remote backend is reached */
	__u8  _pad[3];
};

#define NP_MODE_SNAT	0	/* the client is SNATed to this node, the reply comes back here */
#define NP_MODE_DSR	1	/* IPv4: the client's source is kept, the frontend goes in an option */

/* Per-CPU scratch of a new connection's entries: off the stack, which is short. */
struct np_scratch {
	struct np_ct_key k;		/* FWD */
	struct np_ct_val v;
	struct np_ct_key rk;		/* REV */
	struct np_ct_val rv;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct np_cfg);
} np_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct np_scratch);
} np_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, REASON_MAX);
	__type(key, __u32);
	__type(value, struct weir_counter);
} np_stats SEC(".maps");

/*
 * The endpoint program's flow_events ring (tc_endpoint.c), shared by pin
 * name; the loader gives it that object's size. The underlay reports its
 * drops and the translation of each new connection there (np_emit).
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} flow_events SEC(".maps");

/*
 * A flow event of the underlay (verdict FLOW_DROPPED or FLOW_TRANSLATED):
 * the packet as it arrived (a translation's from the new connection's entry
 * in np_scratch), with the service it was translated through.
 * Global: verified once.
 */
__noinline int np_emit(struct __sk_buff *ctx, const struct np_pkt *p, __u32 reason, __u32 verdict)
{
	struct flow_event *e;
	struct np_scratch *s;
	__u32 zero = 0;

	if (!ctx || !p)
		return 0;	/* not reached */
	e = bpf_ringbuf_reserve(&flow_events, sizeof(*e), 0);
	if (!e) {
		count_packet(&np_stats, REASON_EVENTS_LOST, sizeof(*e));
		return 0;
	}
	s = bpf_map_lookup_elem(&np_scratch, &zero);
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->ifindex = ctx->ifindex;
	e->src_identity = p->family ? ipcache_identity(p->src) : 0;
	e->dst_identity = p->family ? ipcache_identity(p->dst) : 0;
	e->reason = reason;
	e->verdict = verdict;
	e->family = p->family;
	e->proto = p->proto;
	e->tcp_flags = p->tcp_flags;
	e->sport = p->sport;
	e->dport = p->dport;
	__builtin_memcpy(e->saddr, p->src, sizeof(e->saddr));
	__builtin_memcpy(e->daddr, p->dst, sizeof(e->daddr));
	if (verdict == FLOW_TRANSLATED && s) {
		/* p is the packet as translated; the new entry's key is the packet as it arrived */
		e->sport = s->k.sport;
		e->dport = s->k.dport;
		__builtin_memcpy(e->saddr, s->k.saddr, sizeof(e->saddr));
		__builtin_memcpy(e->daddr, s->k.daddr, sizeof(e->daddr));
	}
	e->len = p->len;
	e->svc_id = p->svc_id;
	e->rev_nat_id = p->rev_nat_id;
	bpf_ringbuf_submit(e, 0);
	count_packet(&np_stats, REASON_EVENTS_SENT, sizeof(*e));
	return 0;
}

/*
 * Parses a frame: 0 for a TCP/UDP packet the translation may concern, else
 * the reason to count (a pass for what is not ours, a drop for malformed
 * headers). Global: verified once.
 */
__noinline int np_parse(struct __sk_buff *ctx, struct np_pkt *p)
{
	struct l3_info l3 = {};
	__be16 eth_proto;
	__u16 sport = 0, dport = 0;
	__u32 off = 0;
	int ret;

	if (!ctx || !p)
		return REASON_DROP_ETH_TRUNC;	/* not reached */
	ret = skb_parse_ethhdr(ctx, &off, &eth_proto);
	if (ret)
		return ret;
	p->l3_off = off;
	if (eth_proto == bpf_htons(ETH_P_IP))
		ret = skb_parse_iphdr(ctx, &off, &l3);
	else if (eth_proto == bpf_htons(ETH_P_IPV6))
		ret = skb_parse_ip6hdr(ctx, &off, &l3);
	else
		return REASON_PASS_NOT_IP;
	if (ret)
		return ret;
	p->l4_off = off;
	__builtin_memcpy(p->src, l3.src, sizeof(p->src));
	__builtin_memcpy(p->dst, l3.dst, sizeof(p->dst));
	p->family = l3.family;
	p->proto = l3.proto;
	p->frag = l3.frag;
	p->frag_proto = l3.frag_proto;
	p->frag_id = l3.frag_id;
	if (l3.frag == FRAG_LATER)
		return 0;	/* maybe a translated datagram's: np_frag_later() */
	if (l3.frag == FRAG_FIRST && l3.proto != IPPROTO_TCP && l3.proto != IPPROTO_UDP)
		return REASON_PASS;
	if (l3.proto == (l3.family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6))
		return 0;	/* maybe an error about a translated connection: np_icmp_error() */
	if (l3.proto != IPPROTO_TCP && l3.proto != IPPROTO_UDP)
		return REASON_PASS;
	if (l3.proto == IPPROTO_TCP) {
		ret = skb_parse_tcphdr(ctx, &off, &l3, &sport, &dport, &p->tcp_flags);
		p->tcp_flags &= TCP_FLAGS_MASK;
	} else {
		ret = skb_parse_udphdr(ctx, &off, &l3, &sport, &dport);
	}
	if (ret)
		return ret;
	p->sport = bpf_htons(sport);
	p->dport = bpf_htons(dport);
	return 0;
}

static __always_inline int np_addr_zero(const __u8 *a)
{
	const __u32 *w = (const __u32 *)a;

	return !(w[0] | w[1] | w[2] | w[3]);
}

/*
 * Allocates a SNAT port in [min, max] for the new entry (s->k, s->v): the
 * REV entry of each candidate port is inserted with BPF_NOEXIST (over an
 * expired one with BPF_ANY) until one is free; the client's own port first
 * if it is in the range, then random ones. Sets s->v.nat_sport. 0, or -1
 * when none was free. Global: its stack apart from its caller's.
 */
__noinline int np_snat_port(struct np_scratch *s, __u64 now, __u32 min, __u32 max)
{
	struct np_ct_val *old;
	__u32 port, span;
	int i;

	if (!s || min == 0 || min > max || max > 65535)
		return -1;
	span = max - min + 1;
	port = bpf_ntohs(s->k.sport);
	for (i = 0; i < NP_SNAT_TRIES; i++) {
		if (i > 0 || port < min || port > max)
			port = min + bpf_get_prandom_u32() % span;
		s->v.nat_sport = bpf_htons(port);
		np_pair(&s->k, &s->v, &s->rk, &s->rv);
		old = bpf_map_lookup_elem(&np_ct, &s->rk);
		if (old && old->expires_ns > now)
			continue;
		if (!bpf_map_update_elem(&np_ct, &s->rk, &s->rv, old ? BPF_ANY : BPF_NOEXIST))
			return 0;
	}
	return -1;
}

/* The SNAT address of the family into addr, and the port range. 0, or -1: none configured. */
static __always_inline int np_snat_of(__u8 family, __u8 *addr, __u32 *min, __u32 *max)
{
	__u32 zero = 0;
	struct np_cfg *c = bpf_map_lookup_elem(&np_cfg, &zero);

	if (!c)
		return -1;
	__builtin_memcpy(addr, family == 4 ? c->snat4 : c->snat6, 16);
	*min = c->port_min;
	*max = c->port_max;
	if (!*min || !*max || *min > *max) {
		*min = NP_SNAT_PORT_MIN;
		*max = NP_SNAT_PORT_MAX;
	}
	return np_addr_zero(addr) ? -1 : 0;
}

/* The new entry's value: the backend as destination, the client as source (until SNAT). */
static __always_inline void np_new_val(struct np_ct_val *v, const struct ep_cfg *cfg,
				       const struct np_pkt *p, const struct lb_svc_val *sv,
				       const struct lb_backend *be, __u32 backend_id, __u64 now)
{
	__builtin_memset(v, 0, sizeof(*v));
	v->state = ct_first_state(p->proto, p->tcp_flags);
	v->tcp_flags_seen = p->tcp_flags;
	v->created_ns = now;
	v->expires_ns = now + ct_lifetime(cfg, p->proto, v->state);
	v->packets = 1;
	v->bytes = p->len;
	__builtin_memcpy(v->nat_daddr, be->addr, sizeof(v->nat_daddr));
	v->nat_dport = be->port;
	__builtin_memcpy(v->nat_saddr, p->src, sizeof(v->nat_saddr));
	v->nat_sport = p->sport;
	v->svc_id = sv->svc_id;
	v->rev_nat_id = sv->rev_nat_id;
	v->backend_id = backend_id;
}

/*
 * Whether a new connection is sent with direct server return: the node is
 * in dsr mode, the packet is IPv4 and carries no IP options of its own (the
 * DSR option goes right after the fixed header). IPv6 and packets with
 * options are SNATed as in snat mode.
 */
static __always_inline int np_dsr_mode(const struct np_pkt *p)
{
	__u32 zero = 0;
	struct np_cfg *c = bpf_map_lookup_elem(&np_cfg, &zero);

	return c && c->mode == NP_MODE_DSR && p->family == 4 && p->l4_off - p->l3_off == NP_IP4_HLEN;
}

/* Whether a packet of a DSR connection carries the option: every UDP one, a TCP SYN (the backend's node needs no more). */
static __always_inline int np_dsr_carries(const struct np_pkt *p)
{
	return p->proto == IPPROTO_UDP ||
	       (p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
}

/*
 * Whether the packet still fits the underlay's MTU with the DSR option. If
 * not, it is to be answered with fragmentation needed for an MTU the option
 * fits in (set in p): the client's path-MTU discovery makes room. Global:
 * verified once.
 */
__noinline int np_dsr_fits(struct __sk_buff *ctx, struct np_pkt *p)
{
	__u32 mtu = 0;

	if (!ctx || !p)
		return 0;	/* not reached */
	if (bpf_check_mtu(ctx, 0, &mtu, NP_DSR_OPT_LEN, 0) == BPF_MTU_CHK_RET_SUCCESS)
		return 1;
	p->reject = NP_REJECT_FRAG;
	p->mtu = mtu > NP_DSR_OPT_LEN ? mtu - NP_DSR_OPT_LEN : 0;
	return 0;
}

/*
 * Inserts the DSR option (the frontend fe_addr:fe_port, network order)
 * after the fixed IPv4 header of the translated packet: the header length,
 * total length and header checksum follow; the L4 checksum does not change
 * (its pseudo header has no IP length). Updates p. 0, or -1. Global:
 * verified once.
 */
__noinline int np_dsr_push(struct __sk_buff *ctx, struct np_pkt *p, __be32 fe_addr, __be16 fe_port)
{
	struct np_dsr_opt opt = {
		.type = NP_DSR_OPT_TYPE,
		.len = NP_DSR_OPT_LEN,
		.port = fe_port,
		.addr = fe_addr,
	};
	__u8 hdr[4];
	__be32 old, new;
	__u32 tot_len;
	__s64 diff;

	if (!ctx || !p)
		return -1;	/* not reached */
	if (bpf_skb_load_bytes(ctx, p->l3_off, hdr, sizeof(hdr)))
		return -1;
	__builtin_memcpy(&old, hdr, sizeof(old));
	hdr[0] += NP_DSR_OPT_LEN / 4;	/* ihl 5 -> 7 */
	tot_len = ((__u32)hdr[2] << 8 | hdr[3]) + NP_DSR_OPT_LEN;
	hdr[2] = tot_len >> 8;
	hdr[3] = tot_len & 0xff;
	__builtin_memcpy(&new, hdr, sizeof(new));
	diff = bpf_csum_diff(&old, sizeof(old), &new, sizeof(new), 0);
	diff = bpf_csum_diff(NULL, 0, (__be32 *)&opt, sizeof(opt), (__wsum)diff);
	if (bpf_skb_adjust_room(ctx, NP_DSR_OPT_LEN, BPF_ADJ_ROOM_NET, 0) ||
	    bpf_skb_store_bytes(ctx, p->l3_off, hdr, sizeof(hdr), 0) ||
	    bpf_skb_store_bytes(ctx, p->l3_off + NP_IP4_HLEN, &opt, sizeof(opt), 0) ||
	    bpf_l3_csum_replace(ctx, p->l3_off + NP_IP4_CSUM_OFF, 0, diff, 0))
		return -1;
	p->l4_off += NP_DSR_OPT_LEN;
	p->len += NP_DSR_OPT_LEN;
	return 0;
}

/*
 * The backend's side of DSR: a packet that arrives with the DSR option (it
 * was DNATed by the node the client reached) makes the REV entry that gives
 * the backend's replies the frontend as their source, so that they go from
 * this node straight to the client (weir_from_ep, np_reverse()). 0 when the
 * packet has no DSR option, REASON_PASS when it was recorded (the packet
 * goes on to the stack, option and all: a pod's stack ignores an option it
 * does not know), else a drop reason. Global: verified once.
 */
__noinline int np_dsr_recv(struct __sk_buff *ctx, const struct ep_cfg *cfg, const struct np_pkt *p)
{
	struct np_dsr_opt opt;
	struct lb_svc_key fk = {};
	struct lb_svc_val *sv;
	struct np_ct_key k;
	struct np_ct_val v, *old;
	__u64 now = bpf_ktime_get_ns();

	if (!ctx || !cfg || !p)
		return 0;	/* not reached */
	if (bpf_skb_load_bytes(ctx, p->l3_off + NP_IP4_HLEN, &opt, sizeof(opt)) ||
	    opt.type != NP_DSR_OPT_TYPE)
		return 0;
	if (opt.len != NP_DSR_OPT_LEN)
		return REASON_DROP_DSR_OPT;
	__builtin_memset(&k, 0, sizeof(k));
	__builtin_memcpy(k.saddr, p->dst, sizeof(k.saddr));
	__builtin_memcpy(k.daddr, p->src, sizeof(k.daddr));
	k.sport = p->dport;
	k.dport = p->sport;
	k.proto = p->proto;
	k.dir = NP_DIR_REV;
	__builtin_memset(&v, 0, sizeof(v));
	v.nat_saddr[10] = v.nat_saddr[11] = 0xff;
	__builtin_memcpy(v.nat_saddr + 12, &opt.addr, 4);
	v.nat_sport = opt.port;
	old = bpf_map_lookup_elem(&np_ct, &k);
	if (old && old->expires_ns > now && lb_addr_eq(old->nat_saddr, v.nat_saddr) &&
	    old->nat_sport == v.nat_sport && !(p->tcp_flags & TCP_SYN)) {
		old->expires_ns = now + ct_lifetime(cfg, p->proto, old->state);
		return REASON_PASS;	/* UDP: every datagram carries it */
	}
	__builtin_memcpy(v.nat_daddr, p->src, sizeof(v.nat_daddr));
	v.nat_dport = p->sport;
	v.state = ct_first_state(p->proto, p->tcp_flags);
	v.tcp_flags_seen = p->tcp_flags;
	v.created_ns = now;
	v.expires_ns = now + ct_lifetime(cfg, p->proto, v.state);
	v.flags = NP_F_DSR;
	/* the frontend's service, where this node knows it (for flows and weir bpf nodeport list) */
	__builtin_memcpy(fk.addr, v.nat_saddr, sizeof(fk.addr));
	fk.port = opt.port;
	fk.proto = p->proto;
	fk.scope = LB_SCOPE_ANY;
	sv = bpf_map_lookup_elem(&lb_svc, &fk);
	if (sv) {
		v.svc_id = sv->svc_id;
		v.rev_nat_id = sv->rev_nat_id;
	}
	if (bpf_map_update_elem(&np_ct, &k, &v, BPF_ANY))
		return REASON_DROP_CT_FULL;
	return REASON_PASS;
}

/*
 * An ICMP error from outside about a connection this node translated: the
 * quoted packet is one the node sent, translated (to a backend, or a reply
 * to the client); the entry of its reverse (REV, else FWD) holds the tuple
 * the other side knows. The quote becomes the packet as that side sent it,
 * the error goes to that side (an error from the quoted destination itself
 * comes from the address that side knows it by), and leaves through
 * np_redirect(): a node on the backend's path that needs fragmentation, or
 * a backend's port unreachable, reaches the outside client, whose socket
 * knows the frontend. REASON_PASS when it is none of ours. Global:
 * verified once.
 */
__noinline int np_icmp_error(struct __sk_buff *ctx, struct np_pkt *p)
{
	struct icmp_err q;
	struct np_ct_key k;
	struct np_ct_val *e;
	__u8 qdst[16];

	if (!ctx || !p)
		return REASON_PASS;	/* not reached */
	if (icmp_err_parse(ctx, p->l3_off, p->l4_off, p->family, &q))
		return REASON_PASS;
	__builtin_memcpy(k.saddr, q.daddr, sizeof(k.saddr));
	__builtin_memcpy(k.daddr, q.saddr, sizeof(k.daddr));
	k.sport = q.dport;
	k.dport = q.sport;
	k.proto = q.proto;
	k.dir = NP_DIR_REV;
	k._pad = 0;
	e = bpf_map_lookup_elem(&np_ct, &k);
	if (!e) {
		k.dir = NP_DIR_FWD;
		e = bpf_map_lookup_elem(&np_ct, &k);
	}
	if (!e || e->expires_ns <= bpf_ktime_get_ns() || (e->flags & NP_F_DSR))
		return REASON_PASS;
	__builtin_memcpy(qdst, q.daddr, sizeof(qdst));
	if (icmp_err_set_quote(ctx, &q, 0, e->nat_daddr, e->nat_dport) ||
	    icmp_err_set_quote(ctx, &q, 1, e->nat_saddr, e->nat_sport))
		return REASON_DROP_NAT_FAILED;
	if (lb_addr_eq(p->src, qdst)) {
		if (icmp_err_set_outer(ctx, &q, 0, p->src, e->nat_saddr))
			return REASON_DROP_NAT_FAILED;
		__builtin_memcpy(p->src, e->nat_saddr, sizeof(p->src));
	}
	if (icmp_err_set_outer(ctx, &q, 1, p->dst, e->nat_daddr))
		return REASON_DROP_NAT_FAILED;
	__builtin_memcpy(p->dst, e->nat_daddr, sizeof(p->dst));
	p->svc_id = e->svc_id;
	p->rev_nat_id = e->rev_nat_id;
	return REASON_PASS_SERVICE_REVNAT;
}

/*
 * A new connection from outside, first half: frontend, source range,
 * backend; the FWD entry goes to the scratch (NP_F_SNAT set when the client
 * is to be SNATed). 0 when the packet goes to no external frontend,
 * REASON_PASS_SERVICE_DNAT to go on with np_commit(), else a drop reason.
 * Global: verified once.
 */
__noinline int np_new(const struct ep_cfg *cfg, struct np_pkt *p)
{
	struct lb_svc_key fk;
	struct lb_svc_val *sv;
	struct lb_affinity_key ak;
	struct lb_backend *be;
	struct np_scratch *s;
	__u32 zero = 0, backend_id;
	__u64 now = bpf_ktime_get_ns();

	if (!cfg || !p)
		return REASON_DROP_NAT_FAILED;	/* not reached */
	__builtin_memcpy(fk.addr, p->dst, sizeof(fk.addr));
	fk.port = p->dport;
	fk.proto = p->proto;
	fk.scope = LB_SCOPE_ANY;	/* the client is outside the node */
	sv = bpf_map_lookup_elem(&lb_svc, &fk);
	if (!sv || !(sv->flags & (LB_F_NODEPORT | LB_F_LOADBALANCER | LB_F_EXTERNAL_IP)))
		return 0;
	p->svc_id = sv->svc_id;
	p->rev_nat_id = sv->rev_nat_id;
	if ((sv->flags & LB_F_SRC_RANGES) && !np_src_allowed(sv->rev_nat_id, p->src))
		return REASON_DROP_LB_SRC_RANGE;
	if (!sv->count) {
		p->reject = (sv->flags & LB_F_REJECT) ? NP_REJECT_PORT : 0;
		return REASON_DROP_NO_SERVICE_BACKEND;
	}
	__builtin_memcpy(ak.client, p->src, sizeof(ak.client));
	ak.svc_id = sv->svc_id;
	backend_id = lb_select(sv, lb_hash_tuple(p->src, p->sport, p->proto), &ak);
	be = bpf_map_lookup_elem(&lb_backend, &backend_id);
	if (!be || lb_addr_is_mapped4(be->addr) != (p->family == 4))
		return REASON_DROP_NO_SERVICE_BACKEND;	/* no NAT46/64 */
	s = bpf_map_lookup_elem(&np_scratch, &zero);
	if (!s)
		return REASON_DROP_NAT_FAILED;	/* not reached */
	np_key_of(&s->k, p, NP_DIR_FWD);
	np_new_val(&s->v, cfg, p, sv, be, backend_id, now);
	if (!(sv->flags & LB_F_EXT_LOCAL))
		s->v.flags = np_dsr_mode(p) ? NP_F_DSR : NP_F_SNAT;
	return REASON_PASS_SERVICE_DNAT;
}

/*
 * A client's packet of entry (k, e), translated: with DSR, and the option
 * to carry, after checking it fits (else NP_REJECT_FRAG), the option with
 * the frontend (the FWD key's destination) pushed. Returns the reason.
 */
static __always_inline int np_send(struct __sk_buff *ctx, struct np_pkt *p,
				   const struct np_ct_key *k, const struct np_ct_val *e)
{
	int dsr = (e->flags & NP_F_DSR) && np_dsr_carries(p);
	__be32 fe_addr;

	if (dsr && !np_dsr_fits(ctx, p))
		return REASON_DROP_DSR_NO_ROOM;
	__builtin_memcpy(&fe_addr, k->daddr + 12, 4);
	if (np_translate(ctx, p, e))
		return REASON_DROP_NAT_FAILED;
	if (dsr && np_dsr_push(ctx, p, fe_addr, k->dport))
		return REASON_DROP_NAT_FAILED;
	return REASON_PASS_SERVICE_DNAT;
}

/*
 * A new connection from outside, second half (the entry np_new() left in
 * the scratch): the SNAT address and port unless the client keeps its
 * source (externalTrafficPolicy Local), the two np_ct entries, the rewrite.
 * Returns the reason. Global: verified once.
 */
__noinline int np_commit(struct __sk_buff *ctx, struct np_pkt *p)
{
	struct np_scratch *s;
	__u32 zero = 0, min, max;

	if (!ctx || !p)
		return REASON_DROP_NAT_FAILED;	/* not reached */
	s = bpf_map_lookup_elem(&np_scratch, &zero);
	if (!s)
		return REASON_DROP_NAT_FAILED;	/* not reached */
	if (s->v.flags & NP_F_SNAT) {
		if (np_snat_of(p->family, s->v.nat_saddr, &min, &max))
			return REASON_DROP_SNAT_FAILED;
		if (np_snat_port(s, s->v.created_ns, min, max))
			return REASON_DROP_SNAT_FAILED;
	} else {
		/* the backend is on this node */
		np_pair(&s->k, &s->v, &s->rk, &s->rv);
		if (bpf_map_update_elem(&np_ct, &s->rk, &s->rv, BPF_ANY))
			return REASON_DROP_CT_FULL;
	}
	if (bpf_map_update_elem(&np_ct, &s->k, &s->v, BPF_ANY)) {
		bpf_map_delete_elem(&np_ct, &s->rk);
		return REASON_DROP_CT_FULL;
	}
	return np_send(ctx, p, &s->k, &s->v);
}

/*
 * A new connection to a frontend without endpoints (LB_F_REJECT): the ICMP
 * port unreachable of reject.h, sent back out the interface it came in
 * by. Global: its stack apart from the program's.
 */
__noinline int np_reject(struct __sk_buff *ctx, const struct np_pkt *p)
{
	if (!ctx || !p)
		return TC_ACT_SHOT;	/* not reached */
	if (p->reject == NP_REJECT_FRAG ? reject_frag_needed4(ctx, p->l3_off, p->mtu) :
	    reject_port_unreachable(ctx, p->l3_off, p->family))
		return TC_ACT_SHOT;
	return bpf_redirect(ctx->ifindex, 0);
}

/* np_redirect(). Global: its stack apart from the program's. */
__noinline int np_out(struct __sk_buff *ctx, const struct np_pkt *p)
{
	if (!ctx || !p)
		return TC_ACT_OK;	/* not reached */
	return np_redirect(ctx, p);
}

/*
 * A packet from outside of a live translated connection: the FWD entry's
 * translation (its backend must still exist). 0 when there is none (maybe a
 * new connection), else the reason. Global: verified once.
 */
__noinline int np_forward(struct __sk_buff *ctx, const struct ep_cfg *cfg, struct np_pkt *p)
{
	struct np_ct_key k;
	struct np_ct_val *e;
	__u32 backend_id;
	__u64 now = bpf_ktime_get_ns();

	if (!ctx || !cfg || !p)
		return REASON_DROP_NAT_FAILED;	/* not reached */
	np_key_of(&k, p, NP_DIR_FWD);
	e = bpf_map_lookup_elem(&np_ct, &k);
	if (!e || !np_live(e, p, now))
		return 0;
	backend_id = e->backend_id;
	if (!bpf_map_lookup_elem(&lb_backend, &backend_id))
		return 0;	/* the backend is gone: a new one */
	np_refresh(&k, e, cfg, p, now);
	return np_send(ctx, p, &k, e);
}

/* Whether dst is this node's SNAT address of its family (a reply may be for a SNAT port). */
static __always_inline int np_to_snat_addr(const struct np_pkt *p)
{
	__u8 addr[16];
	__u32 min, max;

	return !np_snat_of(p->family, addr, &min, &max) && lb_addr_eq(p->dst, addr);
}

/* Whether the packet goes to a frontend for external clients (lb_svc, scope 0, an external kind). */
static __always_inline int np_frontend(const struct np_pkt *p)
{
	struct lb_svc_key fk;
	struct lb_svc_val *sv;

	__builtin_memcpy(fk.addr, p->dst, sizeof(fk.addr));
	fk.port = p->dport;
	fk.proto = p->proto;
	fk.scope = LB_SCOPE_ANY;
	sv = bpf_map_lookup_elem(&lb_svc, &fk);
	return sv && (sv->flags & (LB_F_NODEPORT | LB_F_LOADBALANCER | LB_F_EXTERNAL_IP));
}

/* A TCP/UDP packet from outside: a reply to restore, a connection's next packet, a new one, or none of ours. */
static __always_inline int np_handle(struct __sk_buff *ctx, struct np_pkt *p)
{
	struct ep_cfg cfg;
	int ret, reason;

	if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6)
		return np_icmp_error(ctx, p);
	ep_load_cfg(&cfg);
	if (p->family == 4 && p->l4_off - p->l3_off > NP_IP4_HLEN) {
		reason = np_dsr_recv(ctx, &cfg, p);
		if (reason)
			return reason;
	}
	if (np_to_snat_addr(p)) {
		ret = np_reverse(ctx, &cfg, p);
		if (ret > 0)
			return REASON_PASS_SERVICE_REVNAT;
		if (ret < 0)
			return REASON_DROP_NAT_FAILED;
	}
	if (!np_frontend(p))
		return REASON_PASS;	/* most packets: one lookup */
	reason = np_forward(ctx, &cfg, p);
	if (reason)
		return reason;
	reason = np_new(&cfg, p);
	if (reason == REASON_PASS_SERVICE_DNAT) {
		reason = np_commit(ctx, p);
		if (reason == REASON_PASS_SERVICE_DNAT)
			np_emit(ctx, p, reason, FLOW_TRANSLATED);	/* a new connection */
		return reason;
	}
	return reason ?: REASON_PASS;
}

/*
 * A non-first fragment (no ports): a request's (FWD) or a reply's (REV)
 * whose first fragment was translated here gets the same addresses
 * (REASON_PASS_FRAGMENT), or the first fragment's drop. One np_frag does
 * not know passes untouched (REASON_PASS): it may be the host's own (a
 * fragment to the node's address cannot be told from a service's without
 * its ports), or one that arrived before its first fragment.
 * Global: verified once.
 */
__noinline int np_frag_later(struct __sk_buff *ctx, struct np_pkt *p)
{
	int reason;

	if (!ctx || !p)
		return REASON_PASS;	/* not reached */
	reason = np_frag_follow(ctx, p, NP_DIR_FWD);
	if (reason == REASON_PASS_FRAGMENT)
		ctx->mark = WEIR_MARK_IDENTITY | ID_WORLD;	/* as its first fragment */
	if (!reason)
		reason = np_frag_follow(ctx, p, NP_DIR_REV);
	return reason ?: REASON_PASS;
}

/* A packet's addresses as it arrived. */
struct np_addrs {
	__u8 src[16];
	__u8 dst[16];
};

/*
 * The first fragment of a datagram, as it arrived (a) and with the reason
 * np_handle() gave it: a translation or a drop is noted in np_frag for the
 * later fragments. Global: its stack apart from the program's.
 */
__noinline int np_frag_first(const struct np_pkt *p, const struct np_addrs *a, __u32 reason)
{
	if (!p || !a)
		return 0;	/* not reached */
	if (reason == REASON_PASS_SERVICE_REVNAT)
		np_frag_note(p, a->src, a->dst, NP_DIR_REV, reason);
	else if (reason == REASON_PASS_SERVICE_DNAT || reason_is_drop(reason))
		np_frag_note(p, a->src, a->dst, NP_DIR_FWD, reason);
	return 0;
}

/*
 * Whether the frame is for this host: the bridge floods others' unicast to
 * the underlay too; what weir_vxlan decapsulated is always for this node,
 * whatever inner MAC address it carries.
 */
static __always_inline int np_for_host(struct __sk_buff *ctx)
{
	struct ep_cfg cfg;

	if (ctx->pkt_type == NP_PACKET_HOST)
		return 1;
	ep_load_cfg(&cfg);
	return cfg.tunnel_ifindex && ctx->ifindex == cfg.tunnel_ifindex;
}

/* A capture's record of a frame for this host, as it leaves the hook (capture.h). */
static __always_inline void np_capture(struct __sk_buff *ctx, __u32 reason)
{
	struct cap_meta m = {
		.reason = reason,
		.hook = CAP_HOOK_FROM_NETDEV,
		.verdict = reason_is_drop(reason) ? FLOW_DROPPED : FLOW_FORWARDED,
	};

	cap_skb(ctx, &m);
}

SEC("tc")
int weir_from_netdev(struct __sk_buff *ctx)
{
	struct np_pkt p = {};
	struct np_addrs a;
	int reason, for_host;

	p.len = ctx->len;
	for_host = np_for_host(ctx);
	if (!for_host)
		reason = REASON_PASS;
	else
		reason = np_parse(ctx, &p);
	if (!reason && p.frag == FRAG_LATER) {
		reason = np_frag_later(ctx, &p);
	} else if (!reason) {
		__builtin_memcpy(a.src, p.src, sizeof(a.src));
		__builtin_memcpy(a.dst, p.dst, sizeof(a.dst));
		reason = np_handle(ctx, &p);
		if (p.frag == FRAG_FIRST)
			np_frag_first(&p, &a, reason);
	}
	count_packet(&np_stats, reason, p.len);
	if (reason_is_drop(reason))
		np_emit(ctx, &p, reason, FLOW_DROPPED);
	if (for_host)
		np_capture(ctx, reason);
	if (reason_is_drop(reason))
		return p.reject ? np_reject(ctx, &p) : TC_ACT_SHOT;
	if (reason == REASON_PASS_SERVICE_DNAT) {
		/*
		 * To a backend on this node the packet comes from the node's
		 * SNAT address, which the ipcache calls the host: the backend's
		 * policy is to judge the outside client instead (weir_to_ep
		 * takes the identity from the mark, as from the tunnel).
		 */
		ctx->mark = WEIR_MARK_IDENTITY | ID_WORLD;
		return np_out(ctx, &p);
	}
	if (reason == REASON_PASS_SERVICE_REVNAT || reason == REASON_PASS_FRAGMENT)
		return np_out(ctx, &p);	/* a translated datagram's later fragment: as its first */
	/*
	 * Not ours: the next program on the hook decides, or the stack (on
	 * weir_vxlan, weir_from_overlay shares the ingress hook with this one).
	 */
	return TC_ACT_UNSPEC;
}

char _license[] SEC("license") = "GPL";
