/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A service without endpoints answers as kube-proxy's REJECT does
 * (docs/service-datapath.md, "No endpoints: reject"): the client's packet
 * is turned, in place, into an ICMP destination unreachable, port
 * unreachable (ICMPv6: type 1 code 4) from the frontend to the client,
 * quoting the packet's IP header and its first 8 bytes of TCP/UDP, as the
 * kernel's icmp_send() would. The caller sends it back out the way the
 * packet came. A TCP client's connect() then fails at once with
 * ECONNREFUSED; a connected UDP socket gets ECONNREFUSED on its next call.
 *
 * The same builder answers a DSR packet the option would not fit with an
 * ICMP fragmentation needed or ICMPv6 packet too big (reject_frag_needed4,
 * reject_pkt_too_big6, nodeport.c).
 *
 * Only a packet whose L4 header follows the fixed IP header is answered
 * (no IPv4 options, no IPv6 extension headers); the quote would not reach
 * the ports otherwise. Such a packet is dropped instead (-1).
 */
#ifndef __WEIR_REJECT_H
#define __WEIR_REJECT_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define REJECT_TTL		64
#define REJECT_QUOTE4		(20 + 8)	/* the IPv4 header and 8 bytes of L4 */
#define REJECT_QUOTE6		(40 + 8)
#define REJECT_QUOTE6_FRAG	(40 + 8 + 8)	/* with a fragment header */
#define REJECT_NEXTHDR_FRAG	44
#define REJECT_ICMP6_TOO_BIG	2		/* ICMPv6 packet too big */
#define REJECT_ICMP_UNREACH	3		/* ICMP destination unreachable */
#define REJECT_ICMP_PORT	3		/* ... port unreachable */
#define REJECT_ICMP_FRAG	4		/* ... fragmentation needed (and DF set) */
#define REJECT_ICMP6_UNREACH	1		/* ICMPv6 destination unreachable */
#define REJECT_ICMP6_PORT	4		/* ... port unreachable */

struct reject4 {
	__u8   vihl, tos;
	__be16 tot_len, id, frag_off;
	__u8   ttl, proto;
	__u16  check;
	__u8   saddr[4], daddr[4];
	__u8   type, code;
	__u16  csum;
	__u32  unused;
	__u8   quote[REJECT_QUOTE4];
};

struct reject6 {
	__be32 vtcfl;
	__be16 plen;
	__u8   nexthdr, hlim;
	__u8   saddr[16], daddr[16];
	__u8   type, code;
	__u16  csum;
	__u32  unused;
	__u8   quote[REJECT_QUOTE6_FRAG];	/* REJECT_QUOTE6 of it for most */
};

struct reject6_pseudo {
	__u8   saddr[16], daddr[16];
	__be32 len;
	__u8   zero[3], nexthdr;
};

static __always_inline __u16 reject_fold(__s64 sum)
{
	__u64 s = (__u64)sum & 0xffffffffULL;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

/* The frame's MAC addresses swapped (the answer goes back to the sender). */
static __always_inline int reject_swap_mac(struct __sk_buff *ctx)
{
	__u8 mac[12], swapped[12];

	if (bpf_skb_load_bytes(ctx, 0, mac, sizeof(mac)))
		return -1;
	__builtin_memcpy(swapped, mac + 6, 6);
	__builtin_memcpy(swapped + 6, mac, 6);
	return bpf_skb_store_bytes(ctx, 0, swapped, sizeof(swapped), 0) ? -1 : 0;
}

static __always_inline int reject4(struct __sk_buff *ctx, __u32 l3_off, __u8 code, __be32 rest)
{
	struct reject4 r = {};

	if (bpf_skb_load_bytes(ctx, l3_off, r.quote, sizeof(r.quote)))
		return -1;
	if (r.quote[0] != 0x45)
		return -1;	/* IPv4 options: the quote would miss the ports */
	r.vihl = 0x45;
	r.tot_len = bpf_htons(sizeof(r));
	r.ttl = REJECT_TTL;
	r.proto = IPPROTO_ICMP;
	__builtin_memcpy(r.saddr, r.quote + 16, 4);	/* from the frontend */
	__builtin_memcpy(r.daddr, r.quote + 12, 4);	/* to the client */
	r.type = REJECT_ICMP_UNREACH;
	r.code = code;
	r.unused = rest;
	r.csum = reject_fold(bpf_csum_diff(NULL, 0, (__be32 *)&r.type, 8 + REJECT_QUOTE4, 0));
	r.check = reject_fold(bpf_csum_diff(NULL, 0, (__be32 *)&r, 20, 0));
	if (bpf_skb_change_tail(ctx, l3_off + sizeof(r), 0))
		return -1;
	if (bpf_skb_store_bytes(ctx, l3_off, &r, sizeof(r), 0))
		return -1;
	return reject_swap_mac(ctx);
}

/*
 * The IPv6 answer (type, code, the 32 bits after the checksum), quoting
 * qlen bytes of the packet: REJECT_QUOTE6, or REJECT_QUOTE6_FRAG for a
 * fragment (its fragment header, then the ports). A constant at each call.
 */
static __always_inline int reject6(struct __sk_buff *ctx, __u32 l3_off, __u8 type, __u8 code,
				   __be32 rest, const __u32 qlen)
{
	struct reject6_pseudo ph = {};
	struct reject6 r = {};
	__u32 len = sizeof(r) - REJECT_QUOTE6_FRAG + qlen;	/* the answer's IPv6 datagram */
	__u8 next;
	__s64 sum;

	if (bpf_skb_load_bytes(ctx, l3_off, r.quote, qlen))
		return -1;
	next = qlen == REJECT_QUOTE6_FRAG ? r.quote[40] : r.quote[6];
	if ((qlen == REJECT_QUOTE6_FRAG && r.quote[6] != REJECT_NEXTHDR_FRAG) ||
	    (next != IPPROTO_TCP && next != IPPROTO_UDP))
		return -1;	/* other extension headers: the quote would miss the ports */
	r.vtcfl = bpf_htonl(0x60000000);
	r.plen = bpf_htons(len - 40);
	r.nexthdr = IPPROTO_ICMPV6;
	r.hlim = REJECT_TTL;
	__builtin_memcpy(r.saddr, r.quote + 24, 16);
	__builtin_memcpy(r.daddr, r.quote + 8, 16);
	r.type = type;
	r.code = code;
	r.unused = rest;
	__builtin_memcpy(ph.saddr, r.saddr, 16);
	__builtin_memcpy(ph.daddr, r.daddr, 16);
	ph.len = bpf_htonl(len - 40);
	ph.nexthdr = IPPROTO_ICMPV6;
	sum = bpf_csum_diff(NULL, 0, (__be32 *)&ph, sizeof(ph), 0);
	sum = bpf_csum_diff(NULL, 0, (__be32 *)&r.type, 8 + qlen, (__wsum)sum);
	r.csum = reject_fold(sum);
	if (bpf_skb_change_tail(ctx, l3_off + len, 0))
		return -1;
	if (bpf_skb_store_bytes(ctx, l3_off, &r, len, 0))
		return -1;
	return reject_swap_mac(ctx);
}

/*
 * Turns the TCP/UDP packet at l3_off (family 4 or 6) into the ICMP answer
 * described above. 0 when the skb holds the answer, -1 when the packet is
 * to be dropped instead (the skb may be half written then: drop it).
 */
static __always_inline int reject_port_unreachable(struct __sk_buff *ctx, __u32 l3_off, __u8 family)
{
	if (l3_off > 64)
		return -1;	/* Ethernet and at most a few VLAN tags */
	return family == 4 ? reject4(ctx, l3_off, REJECT_ICMP_PORT, 0) :
	       reject6(ctx, l3_off, REJECT_ICMP6_UNREACH, REJECT_ICMP6_PORT, 0, REJECT_QUOTE6);
}

/*
 * Turns the IPv4 TCP/UDP packet at l3_off into an ICMP fragmentation needed
 * (type 3 code 4) with next-hop MTU mtu, from its destination to its
 * source, as a router on the path would send it: the client's path-MTU
 * discovery lowers its packets. 0, or -1 (drop).
 */
static __always_inline int reject_frag_needed4(struct __sk_buff *ctx, __u32 l3_off, __u32 mtu)
{
	if (l3_off > 64)
		return -1;
	return reject4(ctx, l3_off, REJECT_ICMP_FRAG, bpf_htonl(mtu & 0xffff));
}

/*
 * The same for IPv6: the TCP/UDP packet at l3_off, or a first fragment of
 * one, becomes an ICMPv6 packet too big (type 2 code 0) with MTU mtu. 0,
 * or -1 (drop).
 */
static __always_inline int reject_pkt_too_big6(struct __sk_buff *ctx, __u32 l3_off, __u32 mtu)
{
	__u8 next;

	if (l3_off > 64 || bpf_skb_load_bytes(ctx, l3_off + 6, &next, 1))
		return -1;
	if (next == REJECT_NEXTHDR_FRAG)
		return reject6(ctx, l3_off, REJECT_ICMP6_TOO_BIG, 0, bpf_htonl(mtu), REJECT_QUOTE6_FRAG);
	return reject6(ctx, l3_off, REJECT_ICMP6_TOO_BIG, 0, bpf_htonl(mtu), REJECT_QUOTE6);
}

#endif /* __WEIR_REJECT_H */
