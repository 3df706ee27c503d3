/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ICMP errors about a translated connection (destination or port
 * unreachable, fragmentation needed / packet too big, time exceeded,
 * parameter problem): the quoted packet is read into a tuple, and the
 * quote's addresses and ports and the error's own addresses are rewritten
 * with every checksum kept right. Used where a service translation is
 * undone for errors: at TC for pods (tc_endpoint.c, ep_icmp_related) and on
 * the underlay for outside clients (nodeport.c, np_icmp_error).
 *
 * Only a quote whose ports follow the fixed IP header is understood (no
 * IPv4 options, no IPv6 extension headers), as reject.h writes them.
 */
#ifndef __WEIR_ICMP_ERR_H
#define __WEIR_ICMP_ERR_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ICMP_ERR_CSUM_OFF	2	/* the ICMP checksum in the ICMP header */
#define ICMP_ERR_QUOTE4		24	/* inner IPv4 header (no options) and the ports */
#define ICMP_ERR_QUOTE6		44	/* inner IPv6 header (no extension headers) and the ports */
#define ICMP_ERR_IP4_CSUM	10
#define ICMP_ERR_IP4_SADDR	12
#define ICMP_ERR_IP4_DADDR	16
#define ICMP_ERR_IP6_SADDR	8
#define ICMP_ERR_IP6_DADDR	24

/* An ICMP error and the TCP/UDP packet it quotes. */
struct icmp_err {
	__u8   saddr[16];		/* the quoted packet's, IPv4 v4-mapped */
	__u8   daddr[16];
	__be16 sport;
	__be16 dport;
	__u8   proto;			/* IPPROTO_TCP / IPPROTO_UDP */
	__u8   v4;
	__u16  _pad;
	__u32  l3_off;			/* the error's own IP header */
	__u32  l4_off;			/* its ICMP header */
};

/*
 * Whether the ICMP message at l4_off (family 4 or 6) is an error quoting a
 * TCP/UDP packet: 0 with q filled, -1 otherwise (the usual path takes it).
 */
static __always_inline int icmp_err_parse(struct __sk_buff *ctx, __u32 l3_off, __u32 l4_off,
					  __u8 family, struct icmp_err *q)
{
	__u8 b[ICMP_ERR_QUOTE6], type;
	int v4 = family == 4;

	if (bpf_skb_load_bytes(ctx, l4_off, &type, 1))
		return -1;
	if (v4 ? (type != 3 && type != 11 && type != 12) : (type < 1 || type > 4))
		return -1;	/* not an error */
	if (bpf_skb_load_bytes(ctx, l4_off + 8, b, v4 ? ICMP_ERR_QUOTE4 : ICMP_ERR_QUOTE6))
		return -1;
	__builtin_memset(q, 0, sizeof(*q));
	q->v4 = v4;
	q->l3_off = l3_off;
	q->l4_off = l4_off;
	if (v4) {
		if (b[0] != 0x45)
			return -1;
		q->proto = b[9];
		q->saddr[10] = q->saddr[11] = 0xff;
		q->daddr[10] = q->daddr[11] = 0xff;
		__builtin_memcpy(q->saddr + 12, b + 12, 4);
		__builtin_memcpy(q->daddr + 12, b + 16, 4);
		__builtin_memcpy(&q->sport, b + 20, 2);
		__builtin_memcpy(&q->dport, b + 22, 2);
	} else {
		q->proto = b[6];
		__builtin_memcpy(q->saddr, b + 8, 16);
		__builtin_memcpy(q->daddr, b + 24, 16);
		__builtin_memcpy(&q->sport, b + 40, 2);
		__builtin_memcpy(&q->dport, b + 42, 2);
	}
	return q->proto == IPPROTO_TCP || q->proto == IPPROTO_UDP ? 0 : -1;
}

/*
 * The quote's destination (dst) or source address and port become addr
 * (16 bytes, v4-mapped for IPv4) and port. IPv4: the quoted header's
 * checksum is fixed, so the header still sums to the same and only the
 * port changes the ICMP checksum; IPv6: the ICMPv6 checksum takes both.
 * Updates q. 0, or -1 when the skb could not be written.
 */
static __always_inline int icmp_err_set_quote(struct __sk_buff *ctx, struct icmp_err *q, int dst,
					      const __u8 *addr, __be16 port)
{
	__u32 in = q->l4_off + 8, csum_off = q->l4_off + ICMP_ERR_CSUM_OFF;
	__u8 *cur = dst ? q->daddr : q->saddr;
	__be16 *cur_port = dst ? &q->dport : &q->sport;
	__s64 diff;

	if (q->v4) {
		diff = bpf_csum_diff((__be32 *)(cur + 12), 4, (__be32 *)(addr + 12), 4, 0);
		if (bpf_skb_store_bytes(ctx, in + (dst ? ICMP_ERR_IP4_DADDR : ICMP_ERR_IP4_SADDR), addr + 12, 4, 0) ||
		    bpf_l3_csum_replace(ctx, in + ICMP_ERR_IP4_CSUM, 0, diff, 0))
			return -1;
	} else {
		diff = bpf_csum_diff((__be32 *)cur, 16, (__be32 *)addr, 16, 0);
		if (bpf_skb_store_bytes(ctx, in + (dst ? ICMP_ERR_IP6_DADDR : ICMP_ERR_IP6_SADDR), addr, 16, 0) ||
		    bpf_l4_csum_replace(ctx, csum_off, 0, diff, 0))
			return -1;
	}
	if (*cur_port != port &&
	    (bpf_l4_csum_replace(ctx, csum_off, *cur_port, port, sizeof(port)) ||
	     bpf_skb_store_bytes(ctx, in + (q->v4 ? 20 : 40) + (dst ? 2 : 0), &port, sizeof(port), 0)))
		return -1;
	__builtin_memcpy(cur, addr, 16);
	*cur_port = port;
	return 0;
}

/*
 * The error's own destination (dst) or source address, from `from` to addr:
 * the IPv4 header checksum, or the ICMPv6 checksum (pseudo header). 0, or -1.
 */
static __always_inline int icmp_err_set_outer(struct __sk_buff *ctx, const struct icmp_err *q, int dst,
					      const __u8 *from, const __u8 *addr)
{
	__s64 diff;

	if (q->v4) {
		diff = bpf_csum_diff((__be32 *)(from + 12), 4, (__be32 *)(addr + 12), 4, 0);
		if (bpf_skb_store_bytes(ctx, q->l3_off + (dst ? ICMP_ERR_IP4_DADDR : ICMP_ERR_IP4_SADDR), addr + 12, 4, 0) ||
		    bpf_l3_csum_replace(ctx, q->l3_off + ICMP_ERR_IP4_CSUM, 0, diff, 0))
			return -1;
		return 0;
	}
	diff = bpf_csum_diff((__be32 *)from, 16, (__be32 *)addr, 16, 0);
	if (bpf_skb_store_bytes(ctx, q->l3_off + (dst ? ICMP_ERR_IP6_DADDR : ICMP_ERR_IP6_SADDR), addr, 16, 0) ||
	    bpf_l4_csum_replace(ctx, q->l4_off + ICMP_ERR_CSUM_OFF, 0, diff, BPF_F_PSEUDO_HDR))
		return -1;
	return 0;
}

#endif /* __WEIR_ICMP_ERR_H */
