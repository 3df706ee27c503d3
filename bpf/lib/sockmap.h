/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Same-node socket acceleration (bpf/sockmap.c, docs/policy-datapath.md
 * "Sockmap"): the sockhash key of an established TCP socket and the local
 * pods the agent names. Mirrored by dev.weir.datapath.sockmap.SockKey /
 * SockEp.
 */
#ifndef __WEIR_SOCKMAP_H
#define __WEIR_SOCKMAP_H

#include <linux/types.h>

/* A socket by its own view of the connection; IPv4 v4-mapped. */
struct sock_key {
	__u8   local[16];
	__u8   remote[16];
	__be16 lport;
	__be16 rport;
	__u32  _pad;
};

/* sockmap_ep value, keyed by a local pod's address (16 bytes, IPv4 v4-mapped). */
struct sock_ep_val {
	__u32 ep_id;		/* the endpoint, as in ep_info.ep_id */
	__u32 ifindex;		/* its lxc interface: ep_by_ifindex's key */
};

/* sockmap_sk (socket storage): what sk_msg decided for a socket. */
struct sock_state {
	__u8 stack;		/* 1: a message of this socket went to the stack; all later ones do */
	__u8 _pad[7];
};

#endif /* __WEIR_SOCKMAP_H */
