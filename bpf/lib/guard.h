/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Workload guard (docs/workload-guard.md): what the pods of a cgroup may
 * connect or send to and which ports they may bind, judged by sock_guard.c
 * at the socket calls. Mirrored by dev.weir.datapath.guard.GuardVal.
 */
#ifndef __WEIR_GUARD_H
#define __WEIR_GUARD_H

#include <linux/types.h>

#define GUARD_MAX_RULES	32	/* connect/sendmsg rules of one pod, first match wins */
#define GUARD_MAX_BIND	16	/* port ranges a pod may bind */

#define GUARD_ALLOW	1
#define GUARD_DENY	2

#define GUARD_BY_PREFIX		0	/* the destination is in addr/prefixlen */
#define GUARD_BY_IDENTITY	1	/* its ipcache identity is identity */
#define GUARD_BY_WORLD		2	/* outside the cluster: world, or a CIDR identity */
#define GUARD_BY_PEERS		3	/* its identity is in guard_peers under the rule's id */

#define GUARD_ENFORCE	0
#define GUARD_AUDIT	1

/* One destination rule: a prefix or an identity, a protocol, a port range. */
struct guard_rule {
	__u8  addr[16];		/* IPv4 v4-mapped */
	__u8  prefixlen;	/* over the 128-bit form (IPv4 /24 = 96 + 24); 0 any address */
	__u8  action;		/* GUARD_ALLOW, GUARD_DENY */
	__u8  proto;		/* 0 any, else IPPROTO_TCP / IPPROTO_UDP */
	__u8  by;		/* GUARD_BY_*: how the destination is matched */
	__u16 port_lo;		/* host order; 0..65535 for any port */
	__u16 port_hi;
	__u32 identity;
	__u32 rule;		/* flow_event.rule (the agent's rule table) */
};

/* guard_peers' key: a toEndpoints rule (its flow rule id) and an identity it selects. */
struct guard_peer_key {
	__u32 rule;
	__u32 identity;
};

/* A port range that may be bound. */
struct guard_port {
	__u16 lo;		/* host order */
	__u16 hi;
	__u8  proto;		/* 0 any */
	__u8  _pad[3];
};

/* What guards one pod's cgroup: guard_pods[cgroup id]. */
struct guard_val {
	__u32 ep_id;		/* the pod, for flow events */
	__u8  mode;		/* GUARD_ENFORCE, GUARD_AUDIT */
	__u8  dflt;		/* connect/sendmsg when no rule matches: GUARD_ALLOW, GUARD_DENY */
	__u8  bind_any;		/* 1: any port may be bound (bind[] unused) */
	__u8  n_rules;
	__u8  n_bind;
	__u8  _pad[3];
	__u32 dflt_rule;	/* flow_event.rule of a refusal by dflt */
	__u32 bind_rule;	/* flow_event.rule of a refused bind */
	struct guard_rule rules[GUARD_MAX_RULES];
	struct guard_port bind[GUARD_MAX_BIND];
};

#endif /* __WEIR_GUARD_H */
