/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Header cursor parsing, after xdp-tools' parsing_helpers.h.
 *
 * Every parse_* helper reads only behind a bounds proof against data_end,
 * advances the cursor past the header it parsed, and returns 0 or the drop
 * reason (drop_reasons.h) that describes what was wrong. The cursor is left
 * where it was when a helper fails.
 */
#ifndef __WEIR_PARSING_H
#define __WEIR_PARSING_H

#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>

#include "drop_reasons.h"

#ifndef ETH_P_8021Q
#define ETH_P_8021Q	0x8100
#endif
#ifndef ETH_P_8021AD
#define ETH_P_8021AD	0x88A8
#endif

#define VLAN_MAX_DEPTH		2
#define IPV6_EXT_MAX_CHAIN	8

/* TCP flag bits, in the header's 14th byte */
#define TCP_FIN		0x01
#define TCP_SYN		0x02
#define TCP_RST		0x04
#define TCP_PSH		0x08
#define TCP_ACK		0x10
#define TCP_URG		0x20
#define TCP_FLAGS_MASK	0x3f	/* the six of RFC 793, without ECE and CWR */

#define IP_MF		0x2000
#define IP_OFFSET	0x1fff
#define IP6_MF		0x0001
#define IP6_OFFSET	0xfff8

struct hdr_cursor {
	void *pos;
};

struct vlan_hdr {
	__be16 h_vlan_TCI;
	__be16 h_vlan_encapsulated_proto;
};

/* IPv6 fragment extension header (RFC 8200 4.5) */
struct ip6_frag_hdr {
	__u8	nexthdr;
	__u8	reserved;
	__be16	frag_off;	/* offset in 8-octet units << 3 | M flag */
	__be32	identification;
};

/* IPv6 hop-by-hop, routing, destination options, AH: the common prefix */
struct ip6_ext_hdr {
	__u8	nexthdr;
	__u8	hdrlen;
};

/* SCTP common header (RFC 9260 3.1) */
struct sctp_common_hdr {
	__be16	source;
	__be16	dest;
	__be32	vtag;
	__le32	checksum;
};

enum frag_kind {
	FRAG_NONE = 0,		/* not fragmented */
	FRAG_FIRST = 1,		/* offset 0, more fragments follow */
	FRAG_LATER = 2,		/* offset > 0: no L4 header in this packet */
};

/* What the L3 parsers found out, in a family-neutral form. */
struct l3_info {
	__u8	family;		/* 4 or 6 */
	__u8	proto;		/* upper-layer protocol (IPv6: after extension headers) */
	__u8	frag;		/* enum frag_kind */
	__u8	frag_proto;	/* protocol of the fragment key (IPv6: fragment header's nexthdr) */
	__u32	frag_id;	/* IPv4 id or IPv6 fragment identification, host order */
	__u32	l3_len;		/* bytes of L3 header(s) parsed so far */
	__u32	ip_len;		/* IPv4 tot_len or IPv6 40 + payload_len */
	__u8	src[16];	/* IPv4 as v4-mapped IPv6 */
	__u8	dst[16];
};

static __always_inline int proto_is_vlan(__u16 h_proto)
{
	return h_proto == bpf_htons(ETH_P_8021Q) ||
	       h_proto == bpf_htons(ETH_P_8021AD);
}

/*
 * Ethernet with up to VLAN_MAX_DEPTH 802.1Q/802.1ad tags. On success *proto
 * is the innermost EtherType (network order) and *vlans the number of tags.
 */
static __always_inline int parse_ethhdr(struct hdr_cursor *nh, void *data_end,
					__be16 *proto, __u8 *vlans)
{
	struct ethhdr *eth = nh->pos;
	struct vlan_hdr *vlh;
	__be16 h_proto;
	int i;

	if ((void *)(eth + 1) > data_end)
		return REASON_DROP_ETH_TRUNC;
	h_proto = eth->h_proto;
	vlh = (void *)(eth + 1);
	*vlans = 0;

#pragma unroll
	for (i = 0; i < VLAN_MAX_DEPTH; i++) {
		if (!proto_is_vlan(h_proto))
			break;
		if ((void *)(vlh + 1) > data_end)
			return REASON_DROP_VLAN_TRUNC;
		h_proto = vlh->h_vlan_encapsulated_proto;
		vlh++;
		*vlans = i + 1;
	}
	if (proto_is_vlan(h_proto))
		return REASON_DROP_VLAN_DEPTH;

	nh->pos = vlh;
	*proto = h_proto;
	return 0;
}

static __always_inline void v4_mapped(__u8 *dst, __be32 addr)
{
	__builtin_memset(dst, 0, 10);
	dst[10] = 0xff;
	dst[11] = 0xff;
	__builtin_memcpy(dst + 12, &addr, 4);
}

/*
 * IPv4 header with options. Checks version, ihl (>= 5, options within the
 * packet) and tot_len (covers the header, fits the packet: Ethernet padding
 * after tot_len is allowed). Detects fragments.
 */
static __always_inline int parse_iphdr(struct hdr_cursor *nh, void *data_end,
				       struct l3_info *l3)
{
	struct iphdr *iph = nh->pos;
	__u32 hdrsize, tot_len;
	__u16 frag_off;

	if ((void *)(iph + 1) > data_end)
		return REASON_DROP_IP4_TRUNC;

	l3->family = 4;
	v4_mapped(l3->src, iph->saddr);
	v4_mapped(l3->dst, iph->daddr);
	l3->proto = iph->protocol;

	if (iph->version != 4)
		return REASON_DROP_IP4_HDR;
	hdrsize = iph->ihl * 4;
	if (hdrsize < sizeof(*iph))
		return REASON_DROP_IP4_IHL;
	if (nh->pos + hdrsize > data_end)
		return REASON_DROP_IP4_IHL;
	tot_len = bpf_ntohs(iph->tot_len);
	if (tot_len < hdrsize || nh->pos + tot_len > data_end)
		return REASON_DROP_IP4_HDR;

	frag_off = bpf_ntohs(iph->frag_off);
	if (frag_off & IP_OFFSET)
		l3->frag = FRAG_LATER;
	else if (frag_off & IP_MF)
		l3->frag = FRAG_FIRST;
	else
		l3->frag = FRAG_NONE;
	l3->frag_id = bpf_ntohs(iph->id);
	l3->frag_proto = iph->protocol;
	l3->l3_len = hdrsize;
	l3->ip_len = tot_len;

	nh->pos += hdrsize;
	return 0;
}

static __always_inline int ip6_is_ext(__u8 nexthdr)
{
	switch (nexthdr) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_AH:
	case IPPROTO_DSTOPTS:
		return 1;
	default:
		return 0;
	}
}

/*
 * One IPv6 extension header at the cursor, of type *nexthdr. Advances past
 * it and sets *nexthdr to the following header. Returns 1 when the rest of
 * the packet cannot be parsed (a non-first fragment), 0 to go on, or a drop
 * reason (> 1).
 */
static __always_inline int parse_ip6_ext(struct hdr_cursor *nh, void *data_end,
					 __u8 *nexthdr, struct l3_info *l3)
{
	struct ip6_ext_hdr *ext = nh->pos;
	struct ip6_frag_hdr *fh;
	__u32 len;
	__u16 off;

	if (*nexthdr == IPPROTO_FRAGMENT) {
		fh = nh->pos;
		if ((void *)(fh + 1) > data_end)
			return REASON_DROP_IP6_EXT;
		if (l3->frag != FRAG_NONE)
			return REASON_DROP_IP6_EXT;	/* two fragment headers */
		off = bpf_ntohs(fh->frag_off);
		l3->frag_id = bpf_ntohl(fh->identification);
		l3->frag_proto = fh->nexthdr;
		*nexthdr = fh->nexthdr;
		l3->l3_len += sizeof(*fh);
		nh->pos = fh + 1;
		if (off & IP6_OFFSET) {
			l3->frag = FRAG_LATER;
			return 1;
		}
		/* offset 0 without M is an atomic fragment: a whole packet */
		l3->frag = (off & IP6_MF) ? FRAG_FIRST : FRAG_NONE;
		return 0;
	}

	if ((void *)(ext + 1) > data_end)
		return REASON_DROP_IP6_EXT;
	if (*nexthdr == IPPROTO_AH)
		len = (ext->hdrlen + 2) * 4;
	else
		len = (ext->hdrlen + 1) * 8;
	if (nh->pos + len > data_end)
		return REASON_DROP_IP6_EXT;
	*nexthdr = ext->nexthdr;
	l3->l3_len += len;
	nh->pos += len;
	return 0;
}

/*
 * IPv6 header and its extension headers (hop-by-hop, routing, destination
 * options, fragment, AH; at most IPV6_EXT_MAX_CHAIN). Checks version and
 * payload_len (fits the packet). l3->proto is the upper-layer protocol, or
 * for a non-first fragment the fragment header's next header.
 */
static __always_inline int parse_ip6hdr(struct hdr_cursor *nh, void *data_end,
					struct l3_info *l3)
{
	struct ipv6hdr *ip6h = nh->pos;
	__u8 nexthdr;
	int i, ret;

	if ((void *)(ip6h + 1) > data_end)
		return REASON_DROP_IP6_TRUNC;

	l3->family = 6;
	__builtin_memcpy(l3->src, &ip6h->saddr, 16);
	__builtin_memcpy(l3->dst, &ip6h->daddr, 16);
	nexthdr = ip6h->nexthdr;
	l3->proto = nexthdr;
	l3->frag = FRAG_NONE;

	if (ip6h->version != 6)
		return REASON_DROP_IP6_HDR;
	l3->ip_len = sizeof(*ip6h) + bpf_ntohs(ip6h->payload_len);
	if (nh->pos + l3->ip_len > data_end)
		return REASON_DROP_IP6_HDR;
	l3->l3_len = sizeof(*ip6h);
	nh->pos = ip6h + 1;

	for (i = 0; i < IPV6_EXT_MAX_CHAIN; i++) {
		if (!ip6_is_ext(nexthdr))
			break;
		ret = parse_ip6_ext(nh, data_end, &nexthdr, l3);
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

/* The L4 header must fit in the packet and in the IP datagram. */
static __always_inline int l4_fits(struct hdr_cursor *nh, void *data_end,
				   const struct l3_info *l3, __u32 len)
{
	return nh->pos + len <= data_end && l3->l3_len + len <= l3->ip_len;
}

/*
 * TCP: 20 bytes at least, doff >= 5, doff * 4 within the datagram. *flags is
 * the flags byte (FIN 0x01 ... CWR 0x80).
 */
static __always_inline int parse_tcphdr(struct hdr_cursor *nh, void *data_end,
					const struct l3_info *l3,
					__u16 *sport, __u16 *dport, __u8 *flags)
{
	struct tcphdr *th = nh->pos;
	__u32 len;

	if ((void *)(th + 1) > data_end)
		return REASON_DROP_L4_TRUNC;
	len = th->doff * 4;
	if (len < sizeof(*th) || !l4_fits(nh, data_end, l3, len))
		return REASON_DROP_L4_TRUNC;
	*sport = bpf_ntohs(th->source);
	*dport = bpf_ntohs(th->dest);
	*flags = ((__u8 *)th)[13];
	nh->pos += len;
	return 0;
}

static __always_inline int parse_udphdr(struct hdr_cursor *nh, void *data_end,
					const struct l3_info *l3,
					__u16 *sport, __u16 *dport)
{
	struct udphdr *uh = nh->pos;

	if ((void *)(uh + 1) > data_end ||
	    !l4_fits(nh, data_end, l3, sizeof(*uh)))
		return REASON_DROP_L4_TRUNC;
	*sport = bpf_ntohs(uh->source);
	*dport = bpf_ntohs(uh->dest);
	nh->pos = uh + 1;
	return 0;
}

static __always_inline int parse_sctphdr(struct hdr_cursor *nh, void *data_end,
					 const struct l3_info *l3,
					 __u16 *sport, __u16 *dport)
{
	struct sctp_common_hdr *sh = nh->pos;

	if ((void *)(sh + 1) > data_end ||
	    !l4_fits(nh, data_end, l3, sizeof(*sh)))
		return REASON_DROP_L4_TRUNC;
	*sport = bpf_ntohs(sh->source);
	*dport = bpf_ntohs(sh->dest);
	nh->pos = sh + 1;
	return 0;
}

#endif /* __WEIR_PARSING_H */
