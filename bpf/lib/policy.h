/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pol: per-endpoint policy entries, an LPM trie (docs/policy-datapath.md).
 * Mirrored by dev.weir.datapath.endpoint.PolKey / PolVal.
 */
#ifndef __WEIR_POLICY_H
#define __WEIR_POLICY_H

#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define POL_ALLOW	1
#define POL_DENY	2

/*
 * LPM: a prefix over the fields after prefixlen, in this order.
 * 96 = identity, any family/proto/port; 104 = + family; 112 = + proto,
 * any port; 112 + k = + the first k bits of dport (a port range is split
 * into aligned power-of-two blocks).
 */
struct pol_key {
	__u32  prefixlen;
	__be32 ep_id;		/* exact (32) */
	__u8   gen;		/* exact (8): the endpoint's pol_gen */
	__u8   dir;		/* exact (8): 0 ingress, 1 egress */
	__u8   _pad[2];		/* exact (16): zero */
	__be32 identity;	/* exact (32): peer identity, 0 = any peer */
	__u8   family;		/* 4 or 6 (8) */
	__u8   proto;		/* IP protocol (8) */
	__be16 dport;		/* destination port (16), prefix bits allowed */
};

#define POL_PREFIX_IDENTITY	96
#define POL_PREFIX_FAMILY	104
#define POL_PREFIX_PROTO	112
#define POL_PREFIX_FULL		128

struct pol_val {
	__u8  action;		/* POL_ALLOW, POL_DENY */
	__u8  has_l4;		/* 1 when the key's prefixlen >= 112 (names a protocol): flow events' match */
	__u8  _pad[2];
	__u32 rule;		/* rule reference for flows, 0 = none */
	__u64 packets;		/* connections decided by this entry (atomic adds) */
	__u64 bytes;		/* bytes of their first packets */
};

/*
 * The entry that decides a new connection of k (its identity the peer's):
 * the lookup for that identity and the one for any peer (k is left with
 * identity 0); deny wins, then allow; the identity lookup's before the any
 * peer's. *by_id says which lookup's it is; NULL when neither matched.
 * Shared by tc_endpoint (pol_decide) and pol_allows_now (sockmap, the
 * prefilter's redirect: an established connection's recheck);
 * pol_map is the caller's pol map.
 */
static __always_inline struct pol_val *pol_decider(void *pol_map, struct pol_key *k, int *by_id)
{
	struct pol_val *vi, *va;

	vi = bpf_map_lookup_elem(pol_map, k);
	k->identity = 0;
	va = bpf_map_lookup_elem(pol_map, k);

	/* anything but an allow counts as a deny: fail closed */
	*by_id = 1;
	if (vi && vi->action != POL_ALLOW)
		return vi;
	if (va && va->action != POL_ALLOW) {
		*by_id = 0;
		return va;
	}
	if (vi)
		return vi;
	*by_id = 0;
	return va;
}

/*
 * Whether an endpoint's current policy (entries of generation gen) allows a
 * connection in dir with this peer and destination port now: the deciding
 * entry's action, else allowed unless the direction is enforced (audit mode
 * counts as no). The recheck of an established connection that is about to
 * skip TC: sockmap.c per message, the prefilter's redirect per packet.
 */
static __always_inline int pol_allows_now(void *pol_map, __u32 ep_id, __u8 gen, __u8 dir,
					  __u32 peer, __u8 family, __u8 proto, __be16 dport,
					  int enforced)
{
	struct pol_key k = {
		.prefixlen = POL_PREFIX_FULL,
		.ep_id = bpf_htonl(ep_id),
		.gen = gen,
		.dir = dir,
		.identity = bpf_htonl(peer),
		.family = family,
		.proto = proto,
		.dport = dport,
	};
	struct pol_val *v;
	int by_id;

	v = pol_decider(pol_map, &k, &by_id);
	if (v)
		return v->action == POL_ALLOW;
	return !enforced;
}

#endif /* __WEIR_POLICY_H */
