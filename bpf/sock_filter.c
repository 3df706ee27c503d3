// SPDX-License-Identifier: GPL-2.0
/*
 * weir's socket filter: `weir capture --iface` attaches it to an AF_PACKET
 * socket (SO_ATTACH_BPF), so that the kernel keeps only the packets the
 * capture asked for and cuts them after their headers, before they are
 * queued to user space (docs/capture.md). The filter is sf_cfg[0], written
 * by the command before it binds the socket.
 *
 *   weir_sock_filter  socket filter: returns the bytes to keep, 0 to drop
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "drop_reasons.h"
#include "parsing_skb.h"

#define SF_ALL_BYTES	0xffff	/* keep the whole packet */

struct sf_cfg {
	__u8  addr[16];		/* either side's address (IPv4 v4-mapped), when has_addr */
	__u16 port;		/* either side's TCP/UDP/SCTP port, host order; 0 any */
	__u8  proto;		/* IP protocol; 0 any */
	__u8  has_addr;
	__u8  payload;		/* keep whole packets, not only their headers */
	__u8  _pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sf_cfg);
} sf_cfg SEC(".maps");

static __always_inline int sf_addr_eq(const __u8 *a, const __u8 *b)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3];
}

/* The end of the L4 header at off (TCP, UDP, SCTP, ICMP), 0 when it cannot be read. */
static __always_inline __u32 sf_l4(struct __sk_buff *skb, __u32 off, const struct l3_info *l3,
				   __u16 *sport, __u16 *dport)
{
	__u8 flags;

	switch (l3->proto) {
	case IPPROTO_TCP:
		return skb_parse_tcphdr(skb, &off, l3, sport, dport, &flags) ? 0 : off;
	case IPPROTO_UDP:
		return skb_parse_udphdr(skb, &off, l3, sport, dport) ? 0 : off;
	case IPPROTO_SCTP:
		return skb_parse_sctphdr(skb, &off, l3, sport, dport) ? 0 : off;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return off + 8 <= skb->len ? off + 8 : skb->len;
	}
	return off;
}

SEC("socket")
int weir_sock_filter(struct __sk_buff *skb)
{
	struct l3_info l3 = {};
	const struct sf_cfg *cfg;
	__u32 zero = 0, off = 0, end;
	__u16 sport = 0, dport = 0;
	__be16 eth_proto;
	int ret;

	cfg = bpf_map_lookup_elem(&sf_cfg, &zero);
	if (!cfg)
		return 0;
	if (skb_parse_ethhdr(skb, &off, &eth_proto))
		return 0;
	if (eth_proto == bpf_htons(ETH_P_IP))
		ret = skb_parse_iphdr(skb, &off, &l3);
	else if (eth_proto == bpf_htons(ETH_P_IPV6))
		ret = skb_parse_ip6hdr(skb, &off, &l3);
	else
		return cfg->proto || cfg->has_addr || cfg->port ? 0 : (cfg->payload ? SF_ALL_BYTES : off);
	if (ret)
		return 0;
	if (cfg->proto && l3.proto != cfg->proto)
		return 0;
	if (cfg->has_addr && !sf_addr_eq(l3.src, cfg->addr) && !sf_addr_eq(l3.dst, cfg->addr))
		return 0;
	end = l3.frag == FRAG_LATER ? off : sf_l4(skb, off, &l3, &sport, &dport);
	if (cfg->port && sport != cfg->port && dport != cfg->port)
		return 0;
	if (!end)
		end = off;
	return cfg->payload ? SF_ALL_BYTES : end;
}

char _license[] SEC("license") = "GPL";
