/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The prefilter's SYN-flood defence for listed TCP ports (pf_syn_ports): a SYN
 * is answered from XDP with a SYN-ACK whose sequence number is the kernel's
 * own SYN cookie (bpf_tcp_raw_gen_syncookie_*, sent back with XDP_TX); the
 * SYN goes no further, so a flood of spoofed SYNs costs the node no state.
 * The client's ACK is checked (bpf_tcp_raw_check_syncookie_*): a valid one
 * passes to the kernel, whose listener (net.ipv4.tcp_syncookies=2 in its
 * network namespace) creates the connection from the same cookie, and its
 * flow is remembered in pf_syn_flows so that the rest of the connection
 * passes; an ACK that is neither is dropped (REASON_DROP_SYNPROXY_ACK).
 *
 * A listener accepts cookie ACKs only within two minutes of sending a cookie
 * itself (tcp_synq_no_recent_overflow), so one SYN per port every
 * SP_KICK_NS goes up to the kernel, which answers it with a cookie of its own.
 *
 * What is left out, on purpose: IPv4 options and IPv6 extension headers and
 * VLAN tags (such SYNs pass to the kernel: syncookies=2 keeps it stateless);
 * TCP options other than MSS (no timestamp cookie: the connection has no
 * window scaling and no SACK). docs/prefilter-datapath.md, "SYN proxy".
 */
#ifndef __WEIR_SYNPROXY_H
#define __WEIR_SYNPROXY_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "counters.h"
#include "parsing.h"
#include "prefilter.h"

#define SP_FLOW_ENTRIES		65536
#define SP_TCP_MAXLEN		60	/* the longest TCP header */
#define SP_SYNACK_TCP_LEN	24	/* 20 + the MSS option */
#define SP_MSS4			1460
#define SP_MSS6			1440
#define SP_TTL			64
#define SP_WINDOW		64240
#define SP_KICK_NS		(30ULL * 1000000000ULL)
#define SP_IP_DF		0x4000

/* Per port (TCP): 0 not proxied; else proxied, and (bit 0 aside) when the
 * last SYN went up to the kernel (ns). The control plane writes 0 or 1. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64);
} pf_syn_ports SEC(".maps");

/* Connections whose cookie ACK passed: their later packets pass too. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SP_FLOW_ENTRIES);
	__type(key, struct pf_syn_flow);
	__type(value, __u8);
} pf_syn_flows SEC(".maps");

/* Per-CPU TCP counters (PF_TCP_*): SYNs seen, cookies sent, cookies valid. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PF_TCP_COUNTERS);
	__type(key, __u32);
	__type(value, struct pf_counter);
} pf_tcp SEC(".maps");

/* What the proxy made of a packet. */
enum sp_verdict { SP_PASS = 0, SP_TX, SP_DROP };

static __always_inline __u16 sp_fold(__u64 s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

static __always_inline void sp_swap_mac(struct ethhdr *eth)
{
	__u8 tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

/* The SYN's TCP header turned into the SYN-ACK's (MSS option only). */
static __always_inline void sp_synack_tcp(struct tcphdr *th, __u32 cookie,
					  __u16 mss)
{
	__u32 seq = bpf_ntohl(th->seq);
	__u16 port = th->source;
	__u8 *b = (__u8 *)th;

	th->source = th->dest;
	th->dest = port;
	th->ack_seq = bpf_htonl(seq + 1);
	th->seq = bpf_htonl(cookie);
	b[12] = (SP_SYNACK_TCP_LEN / 4) << 4;	/* doff, no reserved bits */
	b[13] = TCP_SYN | TCP_ACK;
	th->window = bpf_htons(SP_WINDOW);
	th->urg_ptr = 0;
	th->check = 0;
	*(__be32 *)(th + 1) = bpf_htonl((2 << 24) | (4 << 16) | mss);
}

/*
 * Answers the SYN at l4_off (34: IPv4 without options, 54: IPv6 without
 * extension headers, no VLAN) with a cookie SYN-ACK. SP_TX when the frame now
 * holds the SYN-ACK; SP_PASS when it cannot (the SYN goes up unchanged).
 */
static __always_inline int sp_answer_syn(struct xdp_md *ctx, const int v6)
{
	const __u32 l4_off = v6 ? ETH_HLEN + sizeof(struct ipv6hdr) :
				  ETH_HLEN + sizeof(struct iphdr);
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct tcphdr *th;
	__u32 len, tcp_len;
	__s64 v;
	__u64 sum;

	/* the helper takes a TCP length the verifier must see bounded:
	 * room for the longest header, as the kernel's selftest does */
	len = data_end - data;
	if (len < l4_off + SP_TCP_MAXLEN &&
	    bpf_xdp_adjust_tail(ctx, l4_off + SP_TCP_MAXLEN - len))
		return SP_PASS;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	th = data + l4_off;
	if ((void *)th + SP_TCP_MAXLEN > data_end)
		return SP_PASS;
	tcp_len = th->doff * 4;
	if (tcp_len < sizeof(*th) || tcp_len > SP_TCP_MAXLEN)
		return SP_PASS;

	if (v6) {
		struct ipv6hdr *ip6h = data + ETH_HLEN;
		struct in6_addr a;
		int i;

		v = bpf_tcp_raw_gen_syncookie_ipv6(ip6h, th, tcp_len);
		if (v < 0)
			return SP_PASS;
		sp_swap_mac(data);
		a = ip6h->saddr;
		ip6h->saddr = ip6h->daddr;
		ip6h->daddr = a;
		*(__be32 *)ip6h = bpf_htonl(0x60000000);
		ip6h->payload_len = bpf_htons(SP_SYNACK_TCP_LEN);
		ip6h->hop_limit = SP_TTL;
		sp_synack_tcp(th, (__u32)v, SP_MSS6);
		sum = bpf_csum_diff(0, 0, (__be32 *)th, SP_SYNACK_TCP_LEN, 0);
		for (i = 0; i < 4; i++)
			sum += ip6h->saddr.in6_u.u6_addr32[i] +
			       (__u64)ip6h->daddr.in6_u.u6_addr32[i];
		sum += bpf_htonl(SP_SYNACK_TCP_LEN) + (__u64)bpf_htonl(IPPROTO_TCP);
		th->check = sp_fold(sum);
	} else {
		struct iphdr *iph = data + ETH_HLEN;
		__be32 a;

		v = bpf_tcp_raw_gen_syncookie_ipv4(iph, th, tcp_len);
		if (v < 0)
			return SP_PASS;
		sp_swap_mac(data);
		a = iph->saddr;
		iph->saddr = iph->daddr;
		iph->daddr = a;
		iph->tos = 0;
		iph->id = 0;
		iph->frag_off = bpf_htons(SP_IP_DF);
		iph->ttl = SP_TTL;
		iph->tot_len = bpf_htons(sizeof(*iph) + SP_SYNACK_TCP_LEN);
		iph->check = 0;
		iph->check = sp_fold(bpf_csum_diff(0, 0, (__be32 *)iph, sizeof(*iph), 0));
		sp_synack_tcp(th, (__u32)v, SP_MSS4);
		sum = bpf_csum_diff(0, 0, (__be32 *)th, SP_SYNACK_TCP_LEN, 0);
		sum += (__u64)iph->saddr + iph->daddr +
		       bpf_htons(IPPROTO_TCP) + bpf_htons(SP_SYNACK_TCP_LEN);
		th->check = sp_fold(sum);
	}
	/* trailing bytes past the IP length are padding to any receiver;
	 * trimmed when the driver lets us */
	len = data_end - data;
	bpf_xdp_adjust_tail(ctx, (int)(l4_off + SP_SYNACK_TCP_LEN) - (int)len);
	return SP_TX;
}

/*
 * An ACK to a proxied port: a flow the proxy let through, or a valid cookie
 * (whose flow it then remembers), passes; anything else is dropped.
 */
static __always_inline int sp_check_ack(struct xdp_md *ctx,
					const struct l3_info *l3, __u16 sport,
					__u16 dport, __u32 pkt_len, const int v6)
{
	const __u32 l4_off = v6 ? ETH_HLEN + sizeof(struct ipv6hdr) :
				  ETH_HLEN + sizeof(struct iphdr);
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct pf_syn_flow f;
	struct tcphdr *th;
	__u8 one = 1;
	long err;

	__builtin_memcpy(f.src, l3->src, sizeof(f.src));
	__builtin_memcpy(f.dst, l3->dst, sizeof(f.dst));
	f.sport = sport;
	f.dport = dport;
	if (bpf_map_lookup_elem(&pf_syn_flows, &f))
		return SP_PASS;

	th = data + l4_off;
	if ((void *)(th + 1) > data_end)
		return SP_DROP;
	if (v6)
		err = bpf_tcp_raw_check_syncookie_ipv6(data + ETH_HLEN, th);
	else
		err = bpf_tcp_raw_check_syncookie_ipv4(data + ETH_HLEN, th);
	if (err)
		return SP_DROP;
	bpf_map_update_elem(&pf_syn_flows, &f, &one, BPF_ANY);
	count_packet(&pf_tcp, PF_TCP_COOKIE_OK, pkt_len);
	return SP_PASS;
}

/*
 * The proxy's part in a whole TCP packet that the rules passed: its L3 info,
 * ports (host order), flags byte and length; vlans: the VLAN tags before the
 * IP header. SP_PASS for a port that is not listed.
 */
static __always_inline int pf_synproxy(struct xdp_md *ctx,
				       const struct l3_info *l3, __u16 sport,
				       __u16 dport, __u8 tcp_flags,
				       __u32 pkt_len, __u8 vlans)
{
	__u32 key = dport;
	__u64 *port, now;
	__u8 syn = tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST);
	int v6 = l3->family == 6;
	int ret;

	if (vlans || l3->l3_len != (v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr)))
		return SP_PASS;
	port = bpf_map_lookup_elem(&pf_syn_ports, &key);
	if (!port || !*port)
		return SP_PASS;
	if (syn == TCP_SYN) {
		now = bpf_ktime_get_ns();
		if (now - (*port & ~1ULL) > SP_KICK_NS) {
			/* keep the listener taking cookie ACKs */
			*port = now | 1;
			return SP_PASS;
		}
		ret = v6 ? sp_answer_syn(ctx, 1) : sp_answer_syn(ctx, 0);
		if (ret == SP_TX)
			count_packet(&pf_tcp, PF_TCP_COOKIE_SENT, pkt_len);
		return ret;
	}
	if ((tcp_flags & (TCP_SYN | TCP_ACK)) != TCP_ACK)
		return SP_PASS;
	return v6 ? sp_check_ack(ctx, l3, sport, dport, pkt_len, 1) :
		    sp_check_ack(ctx, l3, sport, dport, pkt_len, 0);
}

#endif /* __WEIR_SYNPROXY_H */
