/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Conntrack of the endpoint programs (docs/policy-datapath.md). Mirrored by
 * dev.weir.datapath.endpoint.CtKey / CtVal.
 */
#ifndef __WEIR_CT_H
#define __WEIR_CT_H

#include <linux/types.h>

#define CT_NONE		0	/* not TCP: no state machine */
#define CT_SYN_SENT	1	/* TCP: only SYN / SYN-ACK seen */
#define CT_ESTABLISHED	2	/* TCP: a packet without SYN seen */
#define CT_CLOSING	3	/* TCP: FIN or RST seen */

#define CT_F_AUDIT	(1 << 0)	/* allowed only by audit mode */
#define CT_F_DNAT	(1 << 1)	/* egress entry of a connection translated to a backend (tuple after DNAT) */
#define CT_F_SERVICE	(1 << 2)	/* service entry (dir CT_DIR_SERVICE): tuple before DNAT */
#define CT_F_HAIRPIN	(1 << 3)	/* the client is the backend: source rewritten to the hairpin address */

/* ct_key.dir of a service entry: the client's tuple to the frontend, before DNAT. */
#define CT_DIR_SERVICE	2

struct ct_key {
	__u8   saddr[16];	/* as in the packet that opened the connection; IPv4 v4-mapped */
	__u8   daddr[16];
	__be16 sport;		/* ICMP echo: the echo id as sport, 0 as dport */
	__be16 dport;
	__u8   proto;
	__u8   dir;		/* 0 ingress (entry of the destination endpoint), 1 egress (of the source),
				   2 service (the source's tuple to a frontend, before DNAT) */
	__u16  _pad;
	__u32  ep_id;		/* the endpoint whose hook created it */
};

struct ct_val {
	__u64 expires_ns;	/* bpf_ktime_get_ns() deadline; past it the entry counts as absent */
	__u64 created_ns;
	__u64 packets_fwd;
	__u64 bytes_fwd;
	__u64 packets_rev;
	__u64 bytes_rev;
	__u32 peer_identity;
	__u32 rule;		/* pol_val.rule that allowed it */
	__u8  state;		/* CT_* */
	__u8  flags;		/* CT_F_* */
	__u8  tcp_flags_seen;
	__u8  _pad;
	__u32 rev_nat_id;	/* CT_F_DNAT / CT_F_SERVICE: lb_revnat id of the frontend */
	__u32 svc_id;		/* CT_F_DNAT / CT_F_SERVICE: lb_svc_val.svc_id */
	__u32 backend_id;	/* CT_F_DNAT / CT_F_SERVICE: the lb_backend chosen */
};

/*
 * ep_frag: the verdict of a first fragment, for the later fragments of the
 * same datagram at the same hook (they carry no ports). Internal to the
 * datapath; the agent only creates (and pins) the map.
 */
struct ep_frag_key {
	__u8  saddr[16];
	__u8  daddr[16];
	__u32 id;		/* IPv4 identification or IPv6 fragment id, host order */
	__u32 ep_id;
	__u8  proto;		/* IPv4 protocol or the IPv6 fragment header's next header */
	__u8  family;
	__u8  dir;
	__u8  _pad;
};

/* ep_frag_val.nat: what the later fragments of a translated datagram get */
#define EP_FRAG_NAT_NONE	0
#define EP_FRAG_NAT_DST		1	/* service DNAT: the destination becomes nat_addr (the backend) */
#define EP_FRAG_NAT_SRC		2	/* reverse NAT of a reply: the source becomes nat_addr (the frontend) */

struct ep_frag_val {
	__u32 reason;		/* the first fragment's reason */
	__u32 rule;
	__u32 peer_identity;
	__u8  is_reply;
	__u8  nat;		/* EP_FRAG_NAT_* */
	__u8  _pad[2];
	__u8  nat_addr[16];	/* IPv4 v4-mapped */
};

#endif /* __WEIR_CT_H */
