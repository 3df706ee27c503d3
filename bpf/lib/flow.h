/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flow events of the endpoint programs (docs/policy-datapath.md). Mirrored
 * by dev.weir.datapath.endpoint.FlowEvent.
 */
#ifndef __WEIR_FLOW_H
#define __WEIR_FLOW_H

#include <linux/types.h>

#define FLOW_FORWARDED	1
#define FLOW_DROPPED	2
#define FLOW_AUDIT	3
#define FLOW_TRACED	4
#define FLOW_TRANSLATED	5	/* sock_lb translated a connect()/sendmsg() to a backend (Hubble's TRANSLATED) */

/* flow_event.hook: the socket call a workload guard judged (sock_guard.c); 0 for packets */
#define FLOW_HOOK_NONE		0
#define FLOW_HOOK_CONNECT	1	/* connect() */
#define FLOW_HOOK_SENDMSG	2	/* sendto()/sendmsg() with an address */
#define FLOW_HOOK_BIND		3	/* bind() */
#define FLOW_HOOK_POST_BIND	4	/* bind() of port 0, judged on the port the kernel picked */

#define FLOW_MATCH_NONE		0
#define FLOW_MATCH_L3		1	/* identity entry without protocol */
#define FLOW_MATCH_L3_L4	2	/* identity entry with protocol (and port) */
#define FLOW_MATCH_L4		3	/* any-peer entry with protocol (and port) */
#define FLOW_MATCH_ALL		4	/* any-peer entry without protocol */

struct flow_event {
	__u64  ts_ns;
	__u32  ep_id;
	__u32  ifindex;
	__u32  src_identity;
	__u32  dst_identity;
	__u32  rule;		/* pol_val.rule that decided, 0 none */
	__u16  reason;		/* drop_reasons.h code */
	__u8   verdict;		/* FLOW_* */
	__u8   dir;		/* 0 ingress (to the pod), 1 egress (from the pod) */
	__u8   is_reply;
	__u8   family;		/* 4, 6; 0 before the IP header was read */
	__u8   proto;
	__u8   tcp_flags;	/* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 */
	__u8   match;		/* FLOW_MATCH_* */
	__u8   hook;		/* FLOW_HOOK_*: the socket call of a guard's event */
	__u8   _pad[2];
	__be16 sport;
	__be16 dport;
	__u8   saddr[16];
	__u8   daddr[16];
	__u32  len;		/* skb->len */
	__u32  svc_id;		/* translated at TC (DNAT or reverse NAT): lb_svc_val.svc_id; 0 none */
	__u32  rev_nat_id;	/* its frontend: lb_revnat key; 0 none */
};

#endif /* __WEIR_FLOW_H */
