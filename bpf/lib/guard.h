/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Workload guard (docs/workload-guard.md): what the pods of a cgroup may
 * connect or send to and which ports they may bind, judged by sock_guard.c
 * at the socket calls. Mirrored by dev.weir.datapath.guard.GuardVal.
 */
#ifndef __WEIR_GUARD_H
#define __WEIR_GUARD_H

#include <linux/types.h>

#define GUARD_MAX_SETS	8	/* guards that select one pod, each judged on its own */
#define GUARD_MAX_RULES	64	/* connect/sendmsg rules of one pod's guards together */
#define GUARD_MAX_BIND	32	/* port ranges of one pod's guards together */

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
	__u8  set;		/* the guard it belongs to: guard_val.sets[set] */
	__u8  _pad[3];
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
	__u8  set;		/* the guard it belongs to */
	__u8  _pad[2];
};

/* One guard that selects the pod: its mode, its default, whether it lists ports to bind. */
struct guard_set {
	__u8  mode;		/* GUARD_ENFORCE, GUARD_AUDIT */
	__u8  dflt;		/* connect/sendmsg when none of its rules matches: GUARD_ALLOW, GUARD_DENY */
	__u8  bind_any;		/* 1: it lets any port be bound */
	__u8  _pad;
	__u32 dflt_rule;	/* flow_event.rule of a refusal by dflt */
	__u32 bind_rule;	/* flow_event.rule of a bind it refuses */
};

/*
 * What guards one pod's cgroup: guard_pods[cgroup id]. Each guard that
 * selects the pod is a set, judged on its own (its rules in order, the first
 * match decides, else its default); a call goes on only if every enforcing
 * set lets it (docs/workload-guard.md, "Several guards on one pod").
 */
struct guard_val {
	__u32 ep_id;		/* the pod, for flow events */
	__u8  n_sets;
	__u8  n_rules;
	__u8  n_bind;
	__u8  bind_any;		/* 1: every set lets any port be bound */
	struct guard_set sets[GUARD_MAX_SETS];
	struct guard_rule rules[GUARD_MAX_RULES];	/* set by set, in each set's order */
	struct guard_port bind[GUARD_MAX_BIND];
};

#endif /* __WEIR_GUARD_H */
