/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parsers of parsing.h for TC programs (struct __sk_buff): same checks,
 * same drop reasons, same struct l3_info, but every header is copied with
 * bpf_skb_load_bytes() from a scalar offset instead of read in place.
 *
 * Why a variant:
 *  - an skb is often non-linear (GSO/GRO packets keep their payload, and
 *    sometimes headers, in page fragments): parsing.h's checks against
 *    data_end (tot_len, payload_len, L4 within the datagram) would call such
 *    packets truncated. Lengths here are checked against skb->len, and
 *    bpf_skb_load_bytes() reads the non-linear part too, so no
 *    bpf_skb_pull_data() (which may copy a cloned skb's head) is needed;
 *  - the verifier does not track an offset given to a helper as precisely
 *    as a packet pointer, so the many ways through the IPv6 extension
 *    header chain collapse into few states (the direct-access parser costs
 *    the verifier over 100k instructions in a TC program).
 *
 * The cursor is an offset from the start of the frame; helpers advance it
 * on success and leave it alone on failure. Lengths are skb->len based.
 */
#ifndef __WEIR_PARSING_SKB_H
#define __WEIR_PARSING_SKB_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "parsing.h"

/* Ethernet with up to VLAN_MAX_DEPTH tags; *proto is the innermost EtherType. */
static __always_inline int skb_parse_ethhdr(struct __sk_buff *skb, __u32 *off,
					    __be16 *proto)
{
	struct ethhdr eth;
	struct vlan_hdr vlh;
	__be16 h_proto;
	int i;

	if (bpf_skb_load_bytes(skb, 0, &eth, sizeof(eth)) < 0)
		return REASON_DROP_ETH_TRUNC;
	h_proto = eth.h_proto;
	*off = sizeof(eth);

#pragma unroll
	for (i = 0; i < VLAN_MAX_DEPTH; i++) {
		if (!proto_is_vlan(h_proto))
			break;
		if (bpf_skb_load_bytes(skb, *off, &vlh, sizeof(vlh)) < 0)
			return REASON_DROP_VLAN_TRUNC;
		h_proto = vlh.h_vlan_encapsulated_proto;
		*off += sizeof(vlh);
	}
	if (proto_is_vlan(h_proto))
		return REASON_DROP_VLAN_DEPTH;
	*proto = h_proto;
	return 0;
}

/* IPv4 with options: as parse_iphdr(), lengths against skb->len. */
static __always_inline int skb_parse_iphdr(struct __sk_buff *skb, __u32 *off,
					   struct l3_info *l3)
{
	struct iphdr iph;
	__u32 hdrsize, tot_len;
	__u16 frag_off;

	if (bpf_skb_load_bytes(skb, *off, &iph, sizeof(iph)) < 0)
		return REASON_DROP_IP4_TRUNC;

	l3->family = 4;
	v4_mapped(l3->src, iph.saddr);
	v4_mapped(l3->dst, iph.daddr);
	l3->proto = iph.protocol;

	if (iph.version != 4)
		return REASON_DROP_IP4_HDR;
	hdrsize = iph.ihl * 4;
	if (hdrsize < sizeof(iph) || *off + hdrsize > skb->len)
		return REASON_DROP_IP4_IHL;
	tot_len = bpf_ntohs(iph.tot_len);
	if (tot_len < hdrsize || *off + tot_len > skb->len)
		return REASON_DROP_IP4_HDR;

	frag_off = bpf_ntohs(iph.frag_off);
	if (frag_off & IP_OFFSET)
		l3->frag = FRAG_LATER;
	else if (frag_off & IP_MF)
		l3->frag = FRAG_FIRST;
	else
		l3->frag = FRAG_NONE;
	l3->frag_id = bpf_ntohs(iph.id);
	l3->frag_proto = iph.protocol;
	l3->l3_len = hdrsize;
	l3->ip_len = tot_len;

	*off += hdrsize;
	return 0;
}

/* One IPv6 extension header: as parse_ip6_ext() (1: non-first fragment). */
static __always_inline int skb_parse_ip6_ext(struct __sk_buff *skb, __u32 *off,
					     __u8 *nexthdr, struct l3_info *l3)
{
	struct ip6_frag_hdr fh;	/* 8 bytes: also the shortest other header */
	struct ip6_ext_hdr *ext = (void *)&fh;
	__u32 len;
	__u16 frag;

	if (bpf_skb_load_bytes(skb, *off, &fh, sizeof(fh)) < 0)
		return REASON_DROP_IP6_EXT;

	if (*nexthdr == IPPROTO_FRAGMENT) {
		if (l3->frag != FRAG_NONE)
			return REASON_DROP_IP6_EXT;	/* two fragment headers */
		frag = bpf_ntohs(fh.frag_off);
		l3->frag_id = bpf_ntohl(fh.identification);
		l3->frag_proto = fh.nexthdr;
		*nexthdr = fh.nexthdr;
		l3->l3_len += sizeof(fh);
		*off += sizeof(fh);
		if (frag & IP6_OFFSET) {
			l3->frag = FRAG_LATER;
			return 1;
		}
		/* offset 0 without M is an atomic fragment: a whole packet */
		l3->frag = (frag & IP6_MF) ? FRAG_FIRST : FRAG_NONE;
		return 0;
	}

	if (*nexthdr == IPPROTO_AH)
		len = (ext->hdrlen + 2) * 4;
	else
		len = (ext->hdrlen + 1) * 8;
	if (*off + len > skb->len)
		return REASON_DROP_IP6_EXT;
	*nexthdr = ext->nexthdr;
	l3->l3_len += len;
	*off += len;
	return 0;
}

/* IPv6 and its extension headers: as parse_ip6hdr(), lengths against skb->len. */
static __always_inline int skb_parse_ip6hdr(struct __sk_buff *skb, __u32 *off,
					    struct l3_info *l3)
{
	struct ipv6hdr ip6h;
	__u8 nexthdr;
	int i, ret;

	if (bpf_skb_load_bytes(skb, *off, &ip6h, sizeof(ip6h)) < 0)
		return REASON_DROP_IP6_TRUNC;

	l3->family = 6;
	__builtin_memcpy(l3->src, &ip6h.saddr, 16);
	__builtin_memcpy(l3->dst, &ip6h.daddr, 16);
	nexthdr = ip6h.nexthdr;
	l3->proto = nexthdr;
	l3->frag = FRAG_NONE;

	if (ip6h.version != 6)
		return REASON_DROP_IP6_HDR;
	l3->ip_len = sizeof(ip6h) + bpf_ntohs(ip6h.payload_len);
	if (*off + l3->ip_len > skb->len)
		return REASON_DROP_IP6_HDR;
	l3->l3_len = sizeof(ip6h);
	*off += sizeof(ip6h);

	for (i = 0; i < IPV6_EXT_MAX_CHAIN; i++) {
		if (!ip6_is_ext(nexthdr))
			break;
		ret = skb_parse_ip6_ext(skb, off, &nexthdr, l3);
		if (ret > 1)
			return ret;
		if (l3->l3_len > l3->ip_len)
			return REASON_DROP_IP6_EXT;	/* beyond payload_len */
		l3->proto = nexthdr;
		if (ret == 1)
			return 0;			/* non-first fragment */
	}
	if (ip6_is_ext(nexthdr))
		return REASON_DROP_IP6_EXT_DEPTH;
	return 0;
}

/* An L4 header of len bytes at off must lie in the packet and the datagram. */
static __always_inline int skb_l4_fits(struct __sk_buff *skb, __u32 off,
				       const struct l3_info *l3, __u32 len)
{
	return off + len <= skb->len && l3->l3_len + len <= l3->ip_len;
}

/* TCP: 20 bytes at least, doff >= 5, doff * 4 within the datagram. */
static __always_inline int skb_parse_tcphdr(struct __sk_buff *skb, __u32 *off,
					    const struct l3_info *l3,
					    __u16 *sport, __u16 *dport,
					    __u8 *flags)
{
	struct tcphdr th;
	__u32 len;

	if (bpf_skb_load_bytes(skb, *off, &th, sizeof(th)) < 0)
		return REASON_DROP_L4_TRUNC;
	len = th.doff * 4;
	if (len < sizeof(th) || !skb_l4_fits(skb, *off, l3, len))
		return REASON_DROP_L4_TRUNC;
	*sport = bpf_ntohs(th.source);
	*dport = bpf_ntohs(th.dest);
	*flags = ((__u8 *)&th)[13];
	*off += len;
	return 0;
}

static __always_inline int skb_parse_udphdr(struct __sk_buff *skb, __u32 *off,
					    const struct l3_info *l3,
					    __u16 *sport, __u16 *dport)
{
	struct udphdr uh;

	if (bpf_skb_load_bytes(skb, *off, &uh, sizeof(uh)) < 0 ||
	    !skb_l4_fits(skb, *off, l3, sizeof(uh)))
		return REASON_DROP_L4_TRUNC;
	*sport = bpf_ntohs(uh.source);
	*dport = bpf_ntohs(uh.dest);
	*off += sizeof(uh);
	return 0;
}

static __always_inline int skb_parse_sctphdr(struct __sk_buff *skb, __u32 *off,
					     const struct l3_info *l3,
					     __u16 *sport, __u16 *dport)
{
	struct sctp_common_hdr sh;

	if (bpf_skb_load_bytes(skb, *off, &sh, sizeof(sh)) < 0 ||
	    !skb_l4_fits(skb, *off, l3, sizeof(sh)))
		return REASON_DROP_L4_TRUNC;
	*sport = bpf_ntohs(sh.source);
	*dport = bpf_ntohs(sh.dest);
	*off += sizeof(sh);
	return 0;
}

#endif /* __WEIR_PARSING_SKB_H */
