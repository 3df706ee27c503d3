/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The prefilter's redirect stage (PF_CFG_REDIRECT; docs/prefilter-datapath.md
 * "Redirect to local pods"): a packet the prefilter passes, arriving at the
 * node's underlay for a pod of this node, goes straight to the pod's veth
 * with XDP_REDIRECT through pf_devmap, skipping the host stack and the TC hook
 * on the pod's lxc (weir_to_ep) that enforces its ingress policy.
 *
 * So policy is never bypassed, only packets of a connection weir_to_ep or
 * weir_from_ep already allowed are redirected, and only while:
 *  - the frame is sent to the interface's own address (pf_rdr_if), untagged,
 *    IPv4 without options (DSR carries its frontend in one) or IPv6 without
 *    extension headers, not a fragment, TCP without SYN, FIN or RST (state
 *    changes happen at TC, where conntrack sees them);
 *  - the pod's conntrack holds the connection live and established: its
 *    ingress entry (a connection to the pod) or its egress entry (the packet
 *    is a reply), neither audit-only nor translated (DNAT, hairpin: those
 *    need TC's reverse translation);
 *  - the pod's current policy still allows it (pol_allows_now, as sockmap.c).
 *    TC lets an established connection live after a policy change until
 *    conntrack forgets it; the redirect is stricter: such packets take the
 *    TC path again, where they still pass. `weir bpf ct flush` ends every
 *    redirect: no entry, no redirect.
 * Anything else takes the TC path, counted in pf_rdr_stats by why. A
 * redirected packet refreshes its conntrack entry (lifetime, counters) as
 * weir_to_ep would, has its TTL / hop limit decremented (it is routed) and
 * its Ethernet addresses set to lxc -> pod.
 *
 * Tunnelled (VXLAN) packets are addressed to the node, not a pod, and so are
 * NodePort ones before nodeport.c translates them: neither finds a pod here.
 */
#ifndef __WEIR_XDP_REDIRECT_H
#define __WEIR_XDP_REDIRECT_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "endpoint.h"
#include "policy.h"
#include "ct.h"
#include "ct_timers.h"
#include "prefilter.h"

#define PF_RDR_ENDPOINTS	4096
#define PF_RDR_IFACES		64
/* tc_endpoint's maps are reused from the node's pins (the loader copies their sizes) */
#define PF_RDR_TC_ENTRIES	256

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PF_RDR_ENDPOINTS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u8[16]);
	__type(value, struct pf_rdr_ep);
} pf_rdr_ep SEC(".maps");

/* The lxc veths, keyed and valued by ifindex. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, PF_RDR_ENDPOINTS);
	__type(key, __u32);
	__type(value, __u32);
} pf_devmap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PF_RDR_IFACES);
	__type(key, __u32);
	__type(value, struct pf_rdr_if);
} pf_rdr_if SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PF_RDR_COUNTERS);
	__type(key, __u32);
	__type(value, struct pf_counter);
} pf_rdr_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PF_RDR_TC_ENTRIES);
	__type(key, __u32);
	__type(value, struct ep_info);
} ep_by_ifindex SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, PF_RDR_TC_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pol_key);
	__type(value, struct pol_val);
} pol SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PF_RDR_TC_ENTRIES);
	__type(key, struct ct_key);
	__type(value, struct ct_val);
} ct SEC(".maps");

/* What the redirect stage needs of a packet the prefilter parsed. */
struct pf_rdr_pkt {
	__u8  src[16];		/* IPv4 v4-mapped */
	__u8  dst[16];
	__u32 len;
	__u32 l3_len;		/* bytes of IP header(s) */
	__u16 sport;		/* host order */
	__u16 dport;
	__u8  family;
	__u8  tcp;		/* TCP and not a fragment */
	__u8  tcp_flags;
	__u8  vlans;
};

static __always_inline int pf_rdr_mac_eq(const __u8 *a, const __u8 *b)
{
	return *(const __u32 *)a == *(const __u32 *)b &&
	       *(const __u16 *)(a + 4) == *(const __u16 *)(b + 4);
}

static __always_inline void pf_rdr_count(__u32 what, __u32 len)
{
	struct pf_counter *c = bpf_map_lookup_elem(&pf_rdr_stats, &what);

	if (c) {
		c->packets++;
		c->bytes += len;
	}
}

/* Whether ep's current policy allows a TCP connection in dir with this peer and port (audit counts as no). */
static __always_inline int pf_rdr_policy(const struct ep_info *ep, __u8 dir, __u32 peer,
					 __u8 family, __u16 dport)
{
	__u32 enforced = dir == EP_DIR_EGRESS ? EP_F_EGRESS_ENFORCED : EP_F_INGRESS_ENFORCED;

	return pol_allows_now(&pol, ep->ep_id, ep->pol_gen, dir, peer, family, IPPROTO_TCP,
			      bpf_htons(dport), ep->flags & enforced);
}

/*
 * The pod's live established entry of the packet's connection, reply (the
 * pod's egress entry) first, as weir_to_ep looks; NULL when none.
 */
static __always_inline struct ct_val *pf_rdr_ct(const struct pf_rdr_pkt *p, __u32 ep_id,
						__u64 now, int *reply)
{
	struct ct_key k = {};
	struct ct_val *e;

	__builtin_memcpy(k.saddr, p->dst, 16);
	__builtin_memcpy(k.daddr, p->src, 16);
	k.sport = bpf_htons(p->dport);
	k.dport = bpf_htons(p->sport);
	k.proto = IPPROTO_TCP;
	k.dir = EP_DIR_EGRESS;
	k.ep_id = ep_id;
	e = bpf_map_lookup_elem(&ct, &k);
	if (e && e->expires_ns > now) {
		*reply = 1;
		return e;
	}
	__builtin_memcpy(k.saddr, p->src, 16);
	__builtin_memcpy(k.daddr, p->dst, 16);
	k.sport = bpf_htons(p->sport);
	k.dport = bpf_htons(p->dport);
	k.dir = EP_DIR_INGRESS;
	e = bpf_map_lookup_elem(&ct, &k);
	if (e && e->expires_ns > now) {
		*reply = 0;
		return e;
	}
	return NULL;
}

/* Decrements the TTL / hop limit; 0 when it would expire here (the stack answers that). */
static __always_inline int pf_rdr_hop(void *l3, void *data_end, __u8 family)
{
	struct iphdr *iph = l3;
	struct ipv6hdr *ip6h = l3;
	__u32 check;

	if (family == 4) {
		if ((void *)(iph + 1) > data_end || iph->ttl <= 1)
			return 0;
		/* as the kernel's ip_decrease_ttl */
		check = iph->check;
		check += bpf_htons(0x0100);
		iph->check = (__sum16)(check + (check >= 0xffff));
		iph->ttl--;
		return 1;
	}
	if ((void *)(ip6h + 1) > data_end || ip6h->hop_limit <= 1)
		return 0;
	ip6h->hop_limit--;
	return 1;
}

/*
 * Why a packet for local pod ep (entry r) takes the TC path, or 0 when it may
 * be redirected (*reply: as a reply). An allowed packet's conntrack entry is
 * refreshed.
 */
static __always_inline __u32 pf_rdr_check(const struct pf_rdr_pkt *p, const struct pf_rdr_ep *r,
					  int *reply)
{
	const __u8 ct_bad = CT_F_AUDIT | CT_F_DNAT | CT_F_SERVICE | CT_F_HAIRPIN;
	__u32 ifindex = r->ifindex;
	struct ep_info *ep;
	struct ct_val *e;
	struct ep_cfg cfg;
	__u64 now;

	if (!p->tcp)
		return PF_RDR_NOT_TCP;
	if (p->vlans || p->l3_len != (p->family == 4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr)))
		return PF_RDR_SHAPE;
	if (p->tcp_flags & (TCP_SYN | TCP_FIN | TCP_RST))
		return PF_RDR_FLAGS;
	ep = bpf_map_lookup_elem(&ep_by_ifindex, &ifindex);
	if (!ep || ep->ep_id != r->ep_id || !bpf_map_lookup_elem(&pf_devmap, &ifindex))
		return PF_RDR_NO_DEV;
	now = bpf_ktime_get_ns();
	e = pf_rdr_ct(p, ep->ep_id, now, reply);
	if (!e || e->state != CT_ESTABLISHED)
		return PF_RDR_NO_CT;
	if (e->flags & ct_bad)
		return PF_RDR_CT_FLAGS;
	if (*reply ? !pf_rdr_policy(ep, EP_DIR_EGRESS, e->peer_identity, p->family, p->sport)
		   : !pf_rdr_policy(ep, EP_DIR_INGRESS, e->peer_identity, p->family, p->dport))
		return PF_RDR_POLICY;
	ep_load_cfg(&cfg);
	if (*reply) {
		__sync_fetch_and_add(&e->packets_rev, 1);
		__sync_fetch_and_add(&e->bytes_rev, p->len);
	} else {
		__sync_fetch_and_add(&e->packets_fwd, 1);
		__sync_fetch_and_add(&e->bytes_fwd, p->len);
	}
	e->expires_ns = now + cfg.ct_established_ns;
	return 0;
}

/*
 * The redirect stage for a packet the prefilter passed:
 * XDP_REDIRECT when it went to a local pod's veth, else XDP_PASS (the TC
 * path; also for packets to no local pod, uncounted). Global: verified once,
 * apart from the prefilter's many paths.
 */
__noinline int pf_redirect(struct xdp_md *ctx, const struct pf_rdr_pkt *p)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct pf_rdr_if *rif;
	struct pf_rdr_ep *r;
	__u32 ifindex = ctx->ingress_ifindex, why;
	int reply = 0;

	if (!p)
		return XDP_PASS;
	r = bpf_map_lookup_elem(&pf_rdr_ep, p->dst);
	if (!r)
		return XDP_PASS;
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	rif = bpf_map_lookup_elem(&pf_rdr_if, &ifindex);
	if (!rif || !pf_rdr_mac_eq(eth->h_dest, rif->mac))
		return XDP_PASS;	/* not for this host: not ours to route */
	why = pf_rdr_check(p, r, &reply);
	if (!why && !pf_rdr_hop(data + sizeof(*eth), data_end, p->family))
		why = PF_RDR_TTL;
	if (why) {
		pf_rdr_count(why, p->len);
		return XDP_PASS;
	}
	__builtin_memcpy(eth->h_dest, r->pod_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, r->lxc_mac, ETH_ALEN);
	pf_rdr_count(reply ? PF_RDR_REPLY : PF_RDR_ESTABLISHED, p->len);
	return bpf_redirect_map(&pf_devmap, r->ifindex, XDP_PASS);
}

#endif /* __WEIR_XDP_REDIRECT_H */
