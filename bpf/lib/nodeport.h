/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Services reached from outside the node (docs/service-datapath.md, "From
 * outside the node"): the NAT table np_ct, shared by the underlay program
 * (nodeport.c, which creates the entries) and the endpoint programs
 * (tc_endpoint.c, which reverse-translates the replies of local backends),
 * and the translation helpers both use. Mirrored by
 * dev.weir.datapath.nodeport (NpCtKey, NpCtVal, ...), checked against BTF.
 *
 * A translated connection has two entries, each keyed by a tuple as it
 * arrives and holding the tuple to rewrite it to:
 *
 *   FWD  client -> frontend                =>  snat|client -> backend
 *   REV  backend -> snat|client            =>  frontend -> client
 *
 * Each entry's partner follows from it (np_pair()); a packet of either
 * refreshes both. With SNAT (externalTrafficPolicy Cluster) the REV entry's key
 * holds the node's address and the SNAT port: inserting it with
 * BPF_NOEXIST is what allocates the port.
 */
#ifndef __WEIR_NODEPORT_H
#define __WEIR_NODEPORT_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "drop_reasons.h"
#include "parsing.h"
#include "ct.h"
#include "ct_timers.h"
#include "ipcache.h"
#include "lb.h"

#define NP_CT_ENTRIES	65536
#define NP_FRAG_ENTRIES	8192
#define LB_SRC_RANGE_ENTRIES	65536

#define NP_DIR_FWD	0	/* client -> frontend, as it arrives on the underlay */
#define NP_DIR_REV	1	/* backend -> client or node:SNAT port, the reply as it arrives */

#define NP_F_SNAT	(1 << 0)	/* the client's source became the node's address and a SNAT port */
#define NP_F_DSR	(1 << 1)	/* direct server return: FWD, the frontend travels in an IPv4 option;
					   REV on the backend's node, made from that option */

/*
 * Direct server return (docs/service-datapath.md): the frontend a client
 * connected to, carried to the backend's node as an IPv4 option right after
 * the fixed header: copied, class 0, number 30 (RFC 4727's experimental
 * option, so no IANA-assigned one is taken over), 8 bytes.
 */
#define NP_DSR_OPT_TYPE		0x9e
#define NP_DSR_OPT_LEN		8
#define NP_IP4_HLEN		20

struct np_dsr_opt {
	__u8   type;			/* NP_DSR_OPT_TYPE */
	__u8   len;			/* NP_DSR_OPT_LEN */
	__be16 port;			/* the frontend's port */
	__be32 addr;			/* the frontend's address */
};

/* np_pkt.reject: how a drop is answered */
#define NP_REJECT_PORT		1	/* ICMP port unreachable (no endpoints) */
#define NP_REJECT_FRAG		2	/* ICMP fragmentation needed, next-hop MTU np_pkt.mtu (DSR: no room) */

#define NP_AF_INET	2
#define NP_AF_INET6	10

#define NP_TCP_CSUM_OFF		16
#define NP_UDP_CSUM_OFF		6
#define NP_IP4_CSUM_OFF		10
#define NP_IP4_SADDR_OFF	12
#define NP_IP4_DADDR_OFF	16
#define NP_IP6_SADDR_OFF	8
#define NP_IP6_DADDR_OFF	24

struct np_ct_key {
	__u8   saddr[16];		/* IPv4 v4-mapped */
	__u8   daddr[16];
	__be16 sport;
	__be16 dport;
	__u8   proto;			/* IPPROTO_TCP / IPPROTO_UDP */
	__u8   dir;			/* NP_DIR_* */
	__u16  _pad;
};

struct np_ct_val {
	__u64  expires_ns;		/* bpf_ktime_get_ns() deadline, the same in both entries */
	__u64  created_ns;
	__u64  packets;			/* packets and bytes of this entry's direction */
	__u64  bytes;
	__u8   nat_saddr[16];		/* the new source: FWD node address (SNAT) or the client, REV the frontend */
	__u8   nat_daddr[16];		/* the new destination: FWD the backend, REV the client */
	__be16 nat_sport;		/* FWD SNAT port or the client's, REV the frontend port */
	__be16 nat_dport;		/* FWD backend port, REV the client's port */
	__u8   state;			/* CT_* of ct.h, the same in both entries */
	__u8   flags;			/* NP_F_* */
	__u8   tcp_flags_seen;		/* both directions */
	__u8   _pad;
	__u32  svc_id;
	__u32  rev_nat_id;
	__u32  backend_id;
	__u32  _pad2;
};

/* What the helpers need of a parsed TCP/UDP packet. */
struct np_pkt {
	__u8   src[16];			/* IPv4 v4-mapped */
	__u8   dst[16];
	__be16 sport;
	__be16 dport;
	__u8   family;			/* 4 or 6 */
	__u8   proto;
	__u8   tcp_flags;
	__u8   reject;			/* out: a drop to answer with ICMP (NP_REJECT_*, reject.h) */
	__u32  l3_off;
	__u32  l4_off;
	__u32  len;			/* skb->len */
	__u32  svc_id;			/* out: the translated connection's service */
	__u32  rev_nat_id;		/* and frontend */
	__u32  mtu;			/* out: NP_REJECT_FRAG's next-hop MTU */
	__u32  frag_id;			/* IPv4 id or IPv6 fragment id, host order */
	__u8   frag;			/* enum frag_kind (parsing.h) */
	__u8   frag_proto;		/* the fragment key's protocol */
	__u16  _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NP_CT_ENTRIES);
	__type(key, struct np_ct_key);
	__type(value, struct np_ct_val);
} np_ct SEC(".maps");

/*
 * np_frag: a translated datagram's first fragment, for its later fragments
 * (they have no ports, so np_ct cannot find them). Keyed by the datagram as
 * it arrives (ct.h's struct ep_frag_key, ep_id 0, dir NP_DIR_*), it holds
 * the addresses the first fragment was given, or its drop reason. Shared
 * like np_ct: the underlay writes requests' and remote backends' replies'
 * first fragments, weir_from_ep local backends' (and DSR) replies'.
 */
struct np_frag_val {
	__u8   nat_saddr[16];		/* the later fragments' new source, IPv4 v4-mapped */
	__u8   nat_daddr[16];		/* and destination */
	__u32  reason;			/* the first fragment's: REASON_PASS_SERVICE_* or a drop */
	__u32  svc_id;
	__u32  rev_nat_id;
	__u32  _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NP_FRAG_ENTRIES);
	__type(key, struct ep_frag_key);
	__type(value, struct np_frag_val);
} np_frag SEC(".maps");

/*
 * loadBalancerSourceRanges: LPM over (rev_nat_id, source); prefixlen = 32 +
 * address bits (IPv4: 96 + n). Checked for new connections to a frontend
 * with LB_F_SRC_RANGES from outside (nodeport.c) and from pods (tc_endpoint.c):
 * kube-proxy filters in-cluster clients too.
 */
struct lb_src_range_key {
	__u32 prefixlen;
	__u32 rev_nat_id;		/* big-endian: exact, the frontend */
	__u8  addr[16];			/* IPv4 v4-mapped */
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, LB_SRC_RANGE_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lb_src_range_key);
	__type(value, __u8);
} lb_src_range SEC(".maps");

/* Whether a new connection's source is within the frontend's source ranges. */
static __always_inline int np_src_allowed(__u32 rev_nat_id, const __u8 *src)
{
	struct lb_src_range_key k = {
		.prefixlen = 32 + 128,
		.rev_nat_id = bpf_htonl(rev_nat_id),
	};

	__builtin_memcpy(k.addr, src, sizeof(k.addr));
	return bpf_map_lookup_elem(&lb_src_range, &k) != NULL;
}

static __always_inline void np_key_of(struct np_ct_key *k, const struct np_pkt *p, __u8 dir)
{
	__builtin_memcpy(k->saddr, p->src, sizeof(k->saddr));
	__builtin_memcpy(k->daddr, p->dst, sizeof(k->daddr));
	k->sport = p->sport;
	k->dport = p->dport;
	k->proto = p->proto;
	k->dir = dir;
	k->_pad = 0;
}

/* The key of the partner of entry (k, v): the tuple v rewrites to, seen from the other side. */
static __always_inline void np_pair_key(const struct np_ct_key *k, const struct np_ct_val *v,
					struct np_ct_key *pk)
{
	__builtin_memcpy(pk->saddr, v->nat_daddr, sizeof(pk->saddr));
	__builtin_memcpy(pk->daddr, v->nat_saddr, sizeof(pk->daddr));
	pk->sport = v->nat_dport;
	pk->dport = v->nat_sport;
	pk->proto = k->proto;
	pk->dir = k->dir == NP_DIR_FWD ? NP_DIR_REV : NP_DIR_FWD;
	pk->_pad = 0;
}

/* The partner entry of (k, v): key and value. */
static __always_inline void np_pair(const struct np_ct_key *k, const struct np_ct_val *v,
				    struct np_ct_key *pk, struct np_ct_val *pv)
{
	np_pair_key(k, v, pk);
	__builtin_memcpy(pv, v, sizeof(*pv));
	__builtin_memcpy(pv->nat_saddr, k->daddr, sizeof(pv->nat_saddr));
	__builtin_memcpy(pv->nat_daddr, k->saddr, sizeof(pv->nat_daddr));
	pv->nat_sport = k->dport;
	pv->nat_dport = k->sport;
	pv->packets = 0;
	pv->bytes = 0;
}

static __always_inline int np_live(const struct np_ct_val *e, const struct np_pkt *p, __u64 now)
{
	/* a bare SYN on a closing connection opens a new one (port reuse) */
	return e->expires_ns > now &&
	       !(e->state == CT_CLOSING && p->proto == IPPROTO_TCP &&
		 (p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN);
}

/*
 * A packet of entry (k, e): counters, TCP state and lifetime, carried over
 * to the partner entry. A partner that went missing (evicted) is not
 * recreated: that direction is no longer translated, like a lost ct entry.
 */
static __always_inline void np_refresh(const struct np_ct_key *k, struct np_ct_val *e,
				       const struct ep_cfg *cfg, const struct np_pkt *p,
				       __u64 now)
{
	struct np_ct_key pk;
	struct np_ct_val *peer;
	__u8 state = e->state;

	__sync_fetch_and_add(&e->packets, 1);
	__sync_fetch_and_add(&e->bytes, p->len);
	if (p->proto == IPPROTO_TCP) {
		e->tcp_flags_seen |= p->tcp_flags;
		state = ct_next_state(state, p->tcp_flags);
		e->state = state;
	}
	e->expires_ns = now + ct_lifetime(cfg, p->proto, state);
	np_pair_key(k, e, &pk);
	peer = bpf_map_lookup_elem(&np_ct, &pk);
	if (peer) {
		peer->state = state;
		peer->tcp_flags_seen |= p->tcp_flags;
		peer->expires_ns = e->expires_ns;
	}
}

/*
 * Rewrites the packet's destination (dst) or source address and port to t,
 * with the IPv4 header checksum and the TCP/UDP checksum (pseudo header)
 * fixed incrementally; a zero UDP checksum (none, IPv4) stays zero. Updates
 * p. Returns 0, or -1 when the skb could not be written. Global: verified
 * once. The endpoint programs' service NAT uses it too.
 */
__noinline int np_nat_rewrite(struct __sk_buff *ctx, struct np_pkt *p, int dst,
			      const struct lb_frontend *t)
{
	__u32 csum_off;
	__u64 l4f;
	__u8 *cur;
	__be16 *cur_port, port;
	__be32 from[4], to[4];
	__s64 diff;

	if (!ctx || !p || !t)
		return -1;	/* not reached */
	csum_off = p->l4_off + (p->proto == IPPROTO_TCP ? NP_TCP_CSUM_OFF : NP_UDP_CSUM_OFF);
	l4f = p->proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
	cur = dst ? p->dst : p->src;
	cur_port = dst ? &p->dport : &p->sport;
	port = t->port;
	__builtin_memcpy(from, cur, 16);
	__builtin_memcpy(to, t->addr, 16);
	if (p->family == 4) {
		diff = bpf_csum_diff(&from[3], 4, &to[3], 4, 0);
		if (bpf_skb_store_bytes(ctx, p->l3_off + (dst ? NP_IP4_DADDR_OFF : NP_IP4_SADDR_OFF),
					&to[3], 4, 0) ||
		    bpf_l3_csum_replace(ctx, p->l3_off + NP_IP4_CSUM_OFF, 0, diff, 0))
			return -1;
	} else {
		diff = bpf_csum_diff(from, 16, to, 16, 0);
		if (bpf_skb_store_bytes(ctx, p->l3_off + (dst ? NP_IP6_DADDR_OFF : NP_IP6_SADDR_OFF),
					to, 16, 0))
			return -1;
	}
	if (bpf_l4_csum_replace(ctx, csum_off, 0, diff, l4f | BPF_F_PSEUDO_HDR))
		return -1;
	if (*cur_port != port) {
		if (bpf_l4_csum_replace(ctx, csum_off, *cur_port, port, l4f | sizeof(port)) ||
		    bpf_skb_store_bytes(ctx, p->l4_off + (dst ? 2 : 0), &port, sizeof(port), 0))
			return -1;
		*cur_port = port;
	}
	__builtin_memcpy(cur, to, 16);
	return 0;
}

/*
 * Rewrites the packet's destination (dst) or source address from to to, and
 * nothing else: for a non-first fragment (no L4 header; the datagram's L4
 * checksum was fixed in the first fragment). IPv4: the header checksum
 * follows. 0, or -1.
 */
static __always_inline int np_addr_rewrite(struct __sk_buff *ctx, __u32 l3_off, __u8 family,
					   int dst, const __u8 *from, const __u8 *to)
{
	__s64 diff;

	if (family == 4) {
		diff = bpf_csum_diff((__be32 *)(from + 12), 4, (__be32 *)(to + 12), 4, 0);
		return bpf_skb_store_bytes(ctx, l3_off + (dst ? NP_IP4_DADDR_OFF : NP_IP4_SADDR_OFF),
					   to + 12, 4, 0) ||
		       bpf_l3_csum_replace(ctx, l3_off + NP_IP4_CSUM_OFF, 0, diff, 0) ? -1 : 0;
	}
	return bpf_skb_store_bytes(ctx, l3_off + (dst ? NP_IP6_DADDR_OFF : NP_IP6_SADDR_OFF),
				   to, 16, 0) ? -1 : 0;
}

static __always_inline void np_frag_key_of(struct ep_frag_key *k, const __u8 *src, const __u8 *dst,
					   const struct np_pkt *p, __u8 dir)
{
	__builtin_memcpy(k->saddr, src, sizeof(k->saddr));
	__builtin_memcpy(k->daddr, dst, sizeof(k->daddr));
	k->id = p->frag_id;
	k->ep_id = 0;
	k->proto = p->frag_proto;
	k->family = p->family;
	k->dir = dir;
	k->_pad = 0;
}

/*
 * A first fragment that arrived as (src, dst) and left as p (translated),
 * or was dropped for reason: remembered in np_frag for its later fragments.
 */
static __always_inline void np_frag_note(const struct np_pkt *p, const __u8 *src, const __u8 *dst,
					 __u8 dir, __u32 reason)
{
	struct ep_frag_key k;
	struct np_frag_val v;

	if (p->frag != FRAG_FIRST)
		return;
	np_frag_key_of(&k, src, dst, p, dir);
	__builtin_memcpy(v.nat_saddr, p->src, sizeof(v.nat_saddr));
	__builtin_memcpy(v.nat_daddr, p->dst, sizeof(v.nat_daddr));
	v.reason = reason;
	v.svc_id = p->svc_id;
	v.rev_nat_id = p->rev_nat_id;
	v._pad = 0;
	bpf_map_update_elem(&np_frag, &k, &v, BPF_ANY);
}

/*
 * A non-first fragment of a datagram np_frag knows in direction dir: it
 * gets its first fragment's addresses (p follows), or its drop reason.
 * Returns 0 when np_frag does not know it, the first fragment's drop
 * reason, REASON_DROP_NAT_FAILED, or REASON_PASS_FRAGMENT (translated).
 * Global: verified once per object.
 */
__noinline int np_frag_follow(struct __sk_buff *ctx, struct np_pkt *p, __u8 dir)
{
	struct ep_frag_key k;
	struct np_frag_val *v;

	if (!ctx || !p)
		return 0;	/* not reached */
	np_frag_key_of(&k, p->src, p->dst, p, dir);
	v = bpf_map_lookup_elem(&np_frag, &k);
	if (!v)
		return 0;
	p->svc_id = v->svc_id;
	p->rev_nat_id = v->rev_nat_id;
	if (reason_is_drop(v->reason))
		return v->reason;
	if ((!lb_addr_eq(p->dst, v->nat_daddr) &&
	     np_addr_rewrite(ctx, p->l3_off, p->family, 1, p->dst, v->nat_daddr)) ||
	    (!lb_addr_eq(p->src, v->nat_saddr) &&
	     np_addr_rewrite(ctx, p->l3_off, p->family, 0, p->src, v->nat_saddr)))
		return REASON_DROP_NAT_FAILED;
	__builtin_memcpy(p->dst, v->nat_daddr, sizeof(p->dst));
	__builtin_memcpy(p->src, v->nat_saddr, sizeof(p->src));
	return REASON_PASS_FRAGMENT;
}

/* Rewrites the packet to the entry's tuple (what differs). 0, or -1. */
static __always_inline int np_translate(struct __sk_buff *ctx, struct np_pkt *p,
					const struct np_ct_val *e)
{
	struct lb_frontend t = {};

	__builtin_memcpy(t.addr, e->nat_daddr, sizeof(t.addr));
	t.port = e->nat_dport;
	if ((!lb_addr_eq(p->dst, t.addr) || p->dport != t.port) &&
	    np_nat_rewrite(ctx, p, 1, &t))
		return -1;
	__builtin_memcpy(t.addr, e->nat_saddr, sizeof(t.addr));
	t.port = e->nat_sport;
	if ((!lb_addr_eq(p->src, t.addr) || p->sport != t.port) &&
	    np_nat_rewrite(ctx, p, 0, &t))
		return -1;
	p->svc_id = e->svc_id;
	p->rev_nat_id = e->rev_nat_id;
	return 0;
}

/*
 * A reply of a translated connection (a backend's packet to the client, or
 * to the node's SNAT port): the source becomes the frontend, the
 * destination the client. 1 translated, 0 no live entry (not ours), -1 the
 * rewrite failed. Global: verified once per object.
 */
__noinline int np_reverse(struct __sk_buff *ctx, const struct ep_cfg *cfg, struct np_pkt *p)
{
	struct np_ct_key k;
	struct np_ct_val *e;
	__u64 now = bpf_ktime_get_ns();

	if (!ctx || !cfg || !p)
		return 0;	/* not reached */
	if (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP)
		return 0;
	np_key_of(&k, p, NP_DIR_REV);
	e = bpf_map_lookup_elem(&np_ct, &k);
	if (!e || e->expires_ns <= now)
		return 0;
	if (np_translate(ctx, p, e))
		return -1;
	np_refresh(&k, e, cfg, p, now);
	return 1;
}

/*
 * Sends a translated packet on its way without the stack's input path: its
 * source may now be this node's own address (a NodePort frontend, or the
 * SNAT address), which the IPv4 input route would drop as a martian. A FIB
 * lookup finds the interface, bpf_redirect_neigh() the next hop's address.
 * No route: TC_ACT_OK, the stack decides.
 */
/*
 * Tunnel mode: a translated packet for a pod on another node (the stack's
 * route would encapsulate it, but the stack would drop it first: its source
 * is now this node's own address) leaves through weir_vxlan from here, to
 * the node the ipcache names, with the outside client's identity (world) as
 * VNI. TC_ACT_OK when there is no tunnel to take.
 */
static __always_inline int np_tunnel(struct __sk_buff *ctx, const struct np_pkt *p)
{
	struct ipcache_key k = { .prefixlen = 128 };
	struct bpf_tunnel_key key;
	struct ipcache_val *v;
	struct ep_cfg *cfg;
	__u32 zero = 0;

	__builtin_memcpy(k.addr, p->dst, sizeof(k.addr));
	v = bpf_map_lookup_elem(&ipcache, &k);
	cfg = bpf_map_lookup_elem(&ep_cfg, &zero);
	if (!v || !v->tunnel_endpoint || !cfg || !cfg->tunnel_ifindex)
		return TC_ACT_OK;
	__builtin_memset(&key, 0, sizeof(key));
	key.tunnel_id = ID_WORLD;
	key.remote_ipv4 = v->tunnel_endpoint;
	key.tunnel_ttl = 64;
	if (bpf_skb_set_tunnel_key(ctx, &key, sizeof(key), BPF_F_ZERO_CSUM_TX) < 0)
		return TC_ACT_OK;
	return bpf_redirect(cfg->tunnel_ifindex, 0);
}

static __always_inline int np_redirect(struct __sk_buff *ctx, const struct np_pkt *p)
{
	struct bpf_fib_lookup fib;
	long ret;

	__builtin_memset(&fib, 0, sizeof(fib));
	fib.ifindex = ctx->ifindex;
	fib.l4_protocol = p->proto;
	fib.sport = p->sport;
	fib.dport = p->dport;
	if (p->family == 4) {
		fib.family = NP_AF_INET;
		__builtin_memcpy(&fib.ipv4_src, p->src + 12, 4);
		__builtin_memcpy(&fib.ipv4_dst, p->dst + 12, 4);
	} else {
		fib.family = NP_AF_INET6;
		__builtin_memcpy(fib.ipv6_src, p->src, 16);
		__builtin_memcpy(fib.ipv6_dst, p->dst, 16);
	}
	ret = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	if (ret == BPF_FIB_LKUP_RET_UNSUPP_LWT)
		return np_tunnel(ctx, p);
	if (ret != BPF_FIB_LKUP_RET_SUCCESS && ret != BPF_FIB_LKUP_RET_NO_NEIGH)
		return TC_ACT_OK;
	return bpf_redirect_neigh(fib.ifindex, NULL, 0, 0);
}

#endif /* __WEIR_NODEPORT_H */
