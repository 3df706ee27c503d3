/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Service load-balancing maps as the per-packet (TC) path reads them,
 * written exactly per docs/service-datapath.md.
 *
 * The structs are a copy of the contract's, kept here while bpf/lib/lb.h
 * (the socket-level path, another branch) is being written; the two are to
 * be unified at the merge. A file that already has lb.h's structs defines
 * WEIR_LB_STRUCTS and gets only the maps and the TC-only helpers.
 */
#ifndef __WEIR_LB_TC_H
#define __WEIR_LB_TC_H

#include <linux/types.h>
#include <bpf/bpf_helpers.h>

#ifndef WEIR_LB_STRUCTS
#define WEIR_LB_STRUCTS

struct lb_svc_key {		/* a frontend */
	__u8   addr[16];	/* ClusterIP, node address (NodePort), LB ingress IP, external IP */
	__be16 port;
	__u8   proto;		/* IPPROTO_TCP / IPPROTO_UDP */
	__u8   scope;		/* LB_SCOPE_* */
};

struct lb_svc_val {
	__u32 svc_id;		/* service id (1..), also the Maglev outer key */
	__u32 rev_nat_id;	/* frontend to restore on replies */
	__u16 count;		/* usable (active) backends: slots 1..count of generation gen */
	__u16 flags;		/* LB_F_* */
	__u8  gen;		/* generation of this service's slots */
	__u8  _pad[3];
	__u32 affinity_timeout_s;	/* sessionAffinity ClientIP timeout, 0 = none */
	__u32 maglev_m;		/* Maglev table size (prime), when LB_F_MAGLEV */
	__u32 _pad2;
};

#define LB_F_MAGLEV		(1 << 0)	/* select with lb_maglev[svc_id][hash % M], else random */
#define LB_F_AFFINITY		(1 << 1)
#define LB_F_NODEPORT		(1 << 2)
#define LB_F_LOADBALANCER	(1 << 3)
#define LB_F_EXTERNAL_IP	(1 << 4)
#define LB_F_SRC_RANGES		(1 << 5)	/* loadBalancerSourceRanges (later) */

#define LB_SCOPE_ANY		0	/* any client */
#define LB_SCOPE_LOCAL		1	/* only clients on this node */

struct lb_slot_key {
	__u32 svc_id;
	__u16 slot;		/* 1..count */
	__u8  gen;
	__u8  _pad;
};

struct lb_maglev_key {
	__u32 svc_id;
	__u32 index;		/* 0..M-1 */
	__u8  gen;
	__u8  _pad[3];
};

#define LB_BE_ACTIVE		0
#define LB_BE_TERMINATING	1
#define LB_BE_QUARANTINED	2
#define LB_BE_MAINTENANCE	3

struct lb_backend {
	__u8   addr[16];
	__be16 port;
	__u8   proto;
	__u8   state;		/* LB_BE_* */
	__u32  _pad;
};

struct lb_frontend {
	__u8   addr[16];
	__be16 port;
	__u8   proto;
	__u8   _pad;
};

struct lb_affinity_key {
	__u8  client[16];
	__u32 svc_id;
};

struct lb_affinity_val {
	__u64 last_ns;
	__u32 backend_id;
	__u32 _pad;
};

#endif /* WEIR_LB_STRUCTS */

/* Map sizes are defaults; the loader sets them from configuration. */
#define LB_SVC_ENTRIES		65536
#define LB_SLOT_ENTRIES		262144
#define LB_BACKEND_ENTRIES	65536
#define LB_REVNAT_ENTRIES	65536
#define LB_AFFINITY_ENTRIES	65536
#define LB_MAGLEV_ENTRIES	1048576

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB_SVC_ENTRIES);
	__type(key, struct lb_svc_key);
	__type(value, struct lb_svc_val);
} lb_svc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB_SLOT_ENTRIES);
	__type(key, struct lb_slot_key);
	__type(value, __u32);
} lb_slot SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB_BACKEND_ENTRIES);
	__type(key, __u32);
	__type(value, struct lb_backend);
} lb_backend SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB_REVNAT_ENTRIES);
	__type(key, __u32);
	__type(value, struct lb_frontend);
} lb_revnat SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LB_AFFINITY_ENTRIES);
	__type(key, struct lb_affinity_key);
	__type(value, struct lb_affinity_val);
} lb_affinity SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB_MAGLEV_ENTRIES);
	__type(key, struct lb_maglev_key);
	__type(value, __u32);
} lb_maglev SEC(".maps");

/*
 * The Maglev hash of a client (docs/service-datapath.md, Selection): FNV-1a
 * (32 bit) over the client address (16 bytes, IPv4 v4-mapped), the client
 * port (2 bytes, network order) and the protocol (1 byte), then murmur3's
 * fmix32 so that the low bits (hash % M) depend on every input byte.
 * Deterministic: every node picks the same table index for the same client.
 */
static __always_inline __u32 lb_client_hash(const __u8 *addr, __be16 port, __u8 proto)
{
	const __u8 *pb = (const __u8 *)&port;
	__u32 h = 2166136261u;
	int i;

#pragma unroll
	for (i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 16777619u;
	h = (h ^ pb[0]) * 16777619u;
	h = (h ^ pb[1]) * 16777619u;
	h = (h ^ proto) * 16777619u;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

#endif /* __WEIR_LB_TC_H */
