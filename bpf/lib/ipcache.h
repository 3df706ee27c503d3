/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipcache: address prefix -> identity (docs/policy-datapath.md). Mirrored
 * by dev.weir.datapath.endpoint.IpcacheKey / IpcacheVal.
 */
#ifndef __WEIR_IPCACHE_H
#define __WEIR_IPCACHE_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define ID_UNKNOWN	0	/* never stored; "any peer" in pol keys */
#define ID_HOST		1
#define ID_WORLD	2	/* an ipcache miss */
#define ID_REMOTE_NODE	6
#define ID_FIRST_ENDPOINT	256		/* pods' identities: 256 .. 2^24-1 (StoreIdentityAllocator) */
#define ID_FIRST_CIDR		(1 << 24)	/* CIDR identities from 2^24 */

/* A pod's identity (not reserved, not a CIDR). */
static inline int id_is_endpoint(__u32 id)
{
	return id >= ID_FIRST_ENDPOINT && id < ID_FIRST_CIDR;
}

/* LPM key: IPv4 v4-mapped, prefixlen over all 128 bits (IPv4 /24 = 96 + 24). */
struct ipcache_key {
	__u32 prefixlen;
	__u8  addr[16];
};

struct ipcache_val {
	__u32 identity;
	/*
	 * Tunnel mode: the IPv4 underlay address of the node that holds this
	 * address, in host byte order as struct bpf_tunnel_key wants it; 0 when
	 * the address is not reached through the tunnel (local, or native routing).
	 */
	__u32 tunnel_endpoint;
};

/*
 * The ipcache map, defined once here: every object that includes this header
 * has it, and the loader pins it by name, so that they share one (its size
 * is set from configuration by the loader).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ipcache_key);
	__type(value, struct ipcache_val);
} ipcache SEC(".maps");

/* The identity of an address (16 bytes, IPv4 v4-mapped): its longest prefix's, world on a miss. */
static __always_inline __u32 ipcache_identity(const __u8 *addr)
{
	struct ipcache_key k = { .prefixlen = 128 };
	struct ipcache_val *v;

	__builtin_memcpy(k.addr, addr, sizeof(k.addr));
	v = bpf_map_lookup_elem(&ipcache, &k);
	return v ? v->identity : ID_WORLD;
}

/*
 * The source identity of a packet whose source address does not tell it,
 * handed to weir_to_ep in skb->mark: the magic in the top byte, the identity
 * (< 2^24, a VNI) below. Set by weir_from_overlay (the tunnel's VNI) and by
 * weir_from_netdev (a NodePort connection's outside client, which reaches a
 * backend on the node from the node's own address). Nothing else in the
 * node's namespace sets marks (they are scrubbed on the way out of a pod).
 */
#define WEIR_MARK_MAGIC_MASK	0xff000000
#define WEIR_MARK_IDENTITY	0xee000000
#define WEIR_MARK_ID_MASK	0x00ffffff

#endif /* __WEIR_IPCACHE_H */
