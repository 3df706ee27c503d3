/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Service load balancing: the shared structs, maps and backend selection of
 * docs/service-datapath.md. Included by every program that translates service
 * frontends (sock_lb.c at the socket, tc_endpoint.c per packet): each object
 * gets its own definition of the maps below, with the same names, types, sizes
 * and flags, and the agent pins them once and has every object reuse them by
 * name. Mirrored by dev.weir.datapath.lb (LbSvcKey, LbSvcVal, ...); a test
 * compares them with the object's BTF.
 *
 * Addresses are 16 bytes, IPv4 v4-mapped (::ffff:a.b.c.d); ports and the
 * address bytes are network order.
 */
#ifndef __WEIR_LB_H
#define __WEIR_LB_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Default map sizes; the loader overrides them from configuration. */
#define LB_SVC_ENTRIES		65536
#define LB_SLOT_ENTRIES		262144
#define LB_BACKEND_ENTRIES	65536
#define LB_REVNAT_ENTRIES	65536
#define LB_AFFINITY_ENTRIES	65536
#define LB_MAGLEV_ENTRIES	1048576
#define LB_SOCK_REV_ENTRIES	65536

/* lb_svc_key.scope */
#define LB_SCOPE_ANY		0	/* every client */
#define LB_SCOPE_LOCAL		1	/* clients on this node; preferred over ANY for them */

/* lb_svc_val.flags */
#define LB_F_MAGLEV		(1 << 0)	/* select with lb_maglev[svc_id][hash % M], else random */
#define LB_F_AFFINITY		(1 << 1)
#define LB_F_NODEPORT		(1 << 2)
#define LB_F_LOADBALANCER	(1 << 3)
#define LB_F_EXTERNAL_IP	(1 << 4)
#define LB_F_SRC_RANGES		(1 << 5)	/* loadBalancerSourceRanges: check lb_src_range (nodeport.h) */
#define LB_F_EXT_LOCAL		(1 << 6)	/* externalTrafficPolicy Local: external clients keep their source (no SNAT) */
#define LB_F_REJECT		(1 << 7)	/* the Service has no usable endpoint at all: count 0 answers ICMP port
						   unreachable (socket: ECONNREFUSED), as kube-proxy's REJECT; count 0
						   without it drops, as kube-proxy's DROP (a Local policy, no local endpoint) */

/* lb_backend.state: only ACTIVE backends are selectable. */
#define LB_BE_ACTIVE		0
#define LB_BE_TERMINATING	1
#define LB_BE_QUARANTINED	2
#define LB_BE_MAINTENANCE	3

/* Seed of lb_hash_tuple(); dev.weir.datapath.lb.LbHash mirrors the function. */
#define LB_HASH_SEED		0x7765ef21

struct lb_svc_key {			/* a frontend */
	__u8   addr[16];		/* ClusterIP, node address (NodePort), LB ingress IP, external IP */
	__be16 port;
	__u8   proto;			/* IPPROTO_TCP / IPPROTO_UDP */
	__u8   scope;			/* LB_SCOPE_* */
};

struct lb_svc_val {
	__u32 svc_id;			/* service id (1..), also the Maglev outer key */
	__u32 rev_nat_id;		/* frontend to restore on replies */
	__u16 count;			/* usable (active) backends: slots 1..count of generation gen */
	__u16 flags;			/* LB_F_* */
	__u8  gen;			/* generation of this service's slots and Maglev entries */
	__u8  _pad[3];
	__u32 affinity_timeout_s;	/* sessionAffinity ClientIP timeout, 0 = none */
	__u32 maglev_m;			/* Maglev table size (prime), when LB_F_MAGLEV */
	__u32 _pad2;
};

struct lb_slot_key {
	__u32 svc_id;
	__u16 slot;			/* 1..count */
	__u8  gen;
	__u8  _pad;
};

struct lb_maglev_key {
	__u32 svc_id;
	__u32 index;			/* 0..M-1 */
	__u8  gen;
	__u8  _pad[3];
};

struct lb_backend {
	__u8   addr[16];
	__be16 port;
	__u8   proto;
	__u8   state;			/* LB_BE_* */
	__u32  _pad;
};

struct lb_frontend {
	__u8   addr[16];
	__be16 port;
	__u8   proto;
	__u8   _pad;
};

/*
 * The TC path keys by the client's address. The socket path keys by the
 * client's network namespace (a pod, or the host): client = 8 zero bytes, then
 * the netns cookie in network order (lb_client_netns()); the cookie is never
 * a real address's low half with a zero ::/64 prefix.
 */
struct lb_affinity_key {
	__u8  client[16];
	__u32 svc_id;
};

struct lb_affinity_val {
	__u64 last_ns;			/* bpf_ktime_get_ns() (CLOCK_MONOTONIC) of the last use */
	__u32 backend_id;
	__u32 _pad;
};

struct lb_sock_rev_key {
	__u64  cookie;			/* bpf_get_socket_cookie() */
	__u8   addr[16];		/* the backend the socket was sent to */
	__be16 port;
	__u16  _pad[3];
};

/*
 * The maps. Hash maps written only by the control plane are not
 * preallocated (lb_maglev alone would take ~75 MB); the LRU maps must be.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB_SVC_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lb_svc_key);
	__type(value, struct lb_svc_val);
} lb_svc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB_SLOT_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lb_slot_key);
	__type(value, __u32);
} lb_slot SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB_BACKEND_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct lb_backend);
} lb_backend SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB_REVNAT_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
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
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lb_maglev_key);
	__type(value, __u32);
} lb_maglev SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LB_SOCK_REV_ENTRIES);
	__type(key, struct lb_sock_rev_key);
	__type(value, struct lb_frontend);
} lb_sock_rev SEC(".maps");

/* ---- selection (docs/service-datapath.md, "Selection") ---- */

static __always_inline __u32 lb_rol32(__u32 w, unsigned int s)
{
	return (w << s) | (w >> (32 - s));
}

/*
 * jhash2 (the kernel's lookup3) of five words: the address as four
 * big-endian words, then port (host order) << 16 | proto. The client tuple's
 * Maglev hash on every path; LbHash.tuple() in Java is the same function.
 */
static __always_inline __u32 lb_hash_tuple(const __u8 *addr, __be16 port, __u8 proto)
{
	__u32 k[5], a, b, c;

	__builtin_memcpy(k, addr, 16);
	k[0] = bpf_ntohl(k[0]);
	k[1] = bpf_ntohl(k[1]);
	k[2] = bpf_ntohl(k[2]);
	k[3] = bpf_ntohl(k[3]);
	k[4] = ((__u32)bpf_ntohs(port) << 16) | proto;

	a = b = c = 0xdeadbeef + (5 << 2) + LB_HASH_SEED;
	a += k[0];
	b += k[1];
	c += k[2];
	a -= c; a ^= lb_rol32(c, 4);  c += b;
	b -= a; b ^= lb_rol32(a, 6);  a += c;
	c -= b; c ^= lb_rol32(b, 8);  b += a;
	a -= c; a ^= lb_rol32(c, 16); c += b;
	b -= a; b ^= lb_rol32(a, 19); a += c;
	c -= b; c ^= lb_rol32(b, 4);  b += a;
	b += k[4];
	a += k[3];
	c ^= b; c -= lb_rol32(b, 14);
	a ^= c; a -= lb_rol32(c, 11);
	b ^= a; b -= lb_rol32(a, 25);
	c ^= b; c -= lb_rol32(b, 16);
	a ^= c; a -= lb_rol32(c, 4);
	b ^= a; b -= lb_rol32(a, 14);
	c ^= b; c -= lb_rol32(b, 24);
	return c;
}

static __always_inline void lb_addr_mapped4(__u8 *addr, __be32 ip4)
{
	__builtin_memset(addr, 0, 10);
	addr[10] = 0xff;
	addr[11] = 0xff;
	__builtin_memcpy(addr + 12, &ip4, 4);
}

static __always_inline int lb_addr_eq(const __u8 *x, const __u8 *y)
{
	const __u32 *a = (const __u32 *)x, *b = (const __u32 *)y;

	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

static __always_inline int lb_addr_is_mapped4(const __u8 *addr)
{
	const __u32 *w = (const __u32 *)addr;

	return w[0] == 0 && w[1] == 0 && w[2] == bpf_htonl(0x0000ffff);
}

/*
 * The frontend's service for a client on this node: the LB_SCOPE_LOCAL entry
 * when there is one, else the LB_SCOPE_ANY one. NULL: not a service.
 */
static __always_inline struct lb_svc_val *lb_lookup_local(struct lb_svc_key *key)
{
	struct lb_svc_val *svc;

	key->scope = LB_SCOPE_LOCAL;
	svc = bpf_map_lookup_elem(&lb_svc, key);
	if (svc)
		return svc;
	key->scope = LB_SCOPE_ANY;
	return bpf_map_lookup_elem(&lb_svc, key);
}

/* Affinity's backend, if the entry is fresh and its backend still active. */
static __always_inline __u32 lb_affinity_pick(const struct lb_svc_val *svc,
					      const struct lb_affinity_key *akey, __u64 now)
{
	struct lb_affinity_val *av;
	struct lb_backend *be;

	av = bpf_map_lookup_elem(&lb_affinity, akey);
	if (!av)
		return 0;
	if (now - av->last_ns > (__u64)svc->affinity_timeout_s * 1000000000ULL)
		return 0;
	be = bpf_map_lookup_elem(&lb_backend, &av->backend_id);
	if (!be || be->state != LB_BE_ACTIVE)
		return 0;
	av->last_ns = now;
	return av->backend_id;
}

/*
 * The backend id for a new connection (or datagram) to svc, 0 when none is
 * usable. hash is the client tuple's lb_hash_tuple() (Maglev); akey the
 * affinity key with svc_id filled in (used when the service has affinity).
 */
static __always_inline __u32 lb_select(const struct lb_svc_val *svc, __u32 hash,
				       struct lb_affinity_key *akey)
{
	int affinity = (svc->flags & LB_F_AFFINITY) && svc->affinity_timeout_s;
	__u64 now = 0;
	__u32 *id, be_id;

	if (!svc->count)
		return 0;
	if (affinity) {
		now = bpf_ktime_get_ns();
		be_id = lb_affinity_pick(svc, akey, now);
		if (be_id)
			return be_id;
	}
	if ((svc->flags & LB_F_MAGLEV) && svc->maglev_m) {
		struct lb_maglev_key mk = {
			.svc_id = svc->svc_id,
			.index  = hash % svc->maglev_m,
			.gen    = svc->gen,
		};

		id = bpf_map_lookup_elem(&lb_maglev, &mk);
	} else {
		struct lb_slot_key sk = {
			.svc_id = svc->svc_id,
			.slot   = bpf_get_prandom_u32() % svc->count + 1,
			.gen    = svc->gen,
		};

		id = bpf_map_lookup_elem(&lb_slot, &sk);
	}
	if (!id || !*id)
		return 0;
	be_id = *id;
	if (affinity) {
		struct lb_affinity_val av = { .last_ns = now, .backend_id = be_id };

		bpf_map_update_elem(&lb_affinity, akey, &av, BPF_ANY);
	}
	return be_id;
}

#endif /* __WEIR_LB_H */
