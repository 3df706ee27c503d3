// SPDX-License-Identifier: GPL-2.0
/*
 * weir's workload guard on cgroup v2 sock_addr hooks (docs/workload-guard.md):
 *
 *   weir_guard_conn4/6  connect() of TCP and UDP
 *   weir_guard_send4/6  sendto()/sendmsg() with an address (unconnected UDP)
 *   weir_guard_bind4/6  bind() of an explicit port, before the kernel takes it
 *   weir_guard_pbind4/6 bind() of port 0, after the kernel picked the port
 *                       (cgroup/post_bind4/6, which runs for explicit bind()
 *                       calls only: not for the implicit bind of a connect(),
 *                       a listen() or a UDP sendto() on an unbound socket)
 *
 * guard_pods[cgroup id] (written by the agent, dev.weir.agent.guard) holds
 * what the pod may do. A refused call fails with EPERM in the application and
 * sends nothing; in audit mode it goes on. Either way it is counted in
 * guard_stats (DROP_GUARD_* or PASS_AUDIT) and reported on the node's
 * flow_events ring (shared with tc_endpoint and sock_lb) with the call in
 * flow_event.hook and the rule that decided in flow_event.rule.
 *
 * The guard's links are attached after sock_lb's on each cgroup, and the
 * kernel runs a cgroup's programs in attach order: a connect() to a service
 * is judged on the backend sock_lb chose (the address the packets will carry,
 * as network policy judges it at TC).
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "drop_reasons.h"
#include "counters.h"
#include "flow.h"
#include "guard.h"
#include "ipcache.h"

#define SYS_REJECT	0
#define SYS_PROCEED	1

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, REASON_MAX);
	__type(key, __u32);
	__type(value, struct weir_counter);
} guard_stats SEC(".maps");

/* tc_endpoint's ring, reused by name from the node's pins. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} flow_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct guard_val);
} guard_pods SEC(".maps");

/*
 * The identities each toEndpoints rule selects (written by the agent from the
 * policy engine's identities, kept in step as they come and go): present
 * means selected.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct guard_peer_key);
	__type(value, __u8);
} guard_peers SEC(".maps");

/*
 * Sockets whose bind() asked for port 0, by socket cookie: bind4/6 marks them,
 * post_bind4/6 judges the port the kernel picked for them (and only for them:
 * an explicit port was judged in bind4/6 already). LRU: a bind() that failed
 * between the two leaves an entry that ages out.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u8);
} guard_bind0 SEC(".maps");

/* The call's address and port (the destination, or for bind() the local side). */
struct guard_addr {
	__u8  addr[16];
	__u16 port;		/* host order */
	__u8  family;
};

static __always_inline void guard_addr_of(struct bpf_sock_addr *ctx, struct guard_addr *a, int v4)
{
	__u32 *w = (__u32 *)a->addr;

	if (v4) {
		w[0] = 0;
		w[1] = 0;
		w[2] = bpf_htonl(0x0000ffff);
		w[3] = ctx->user_ip4;
		a->family = 4;
	} else {
		w[0] = ctx->user_ip6[0];
		w[1] = ctx->user_ip6[1];
		w[2] = ctx->user_ip6[2];
		w[3] = ctx->user_ip6[3];
		a->family = 6;
	}
	a->port = bpf_ntohs((__u16)ctx->user_port);
}

/* The first prefixlen bits of both addresses are equal. */
static __always_inline int guard_prefix_eq(const __u8 *x, const __u8 *y, __u32 prefixlen)
{
	const __u32 *a = (const __u32 *)x;
	const __u32 *b = (const __u32 *)y;
	int i;

#pragma unroll
	for (i = 0; i < 4; i++) {
		int bits = (int)prefixlen - 32 * i;
		__u32 mask;

		if (bits <= 0)
			break;
		mask = bits >= 32 ? 0xffffffff : bpf_htonl(0xffffffff << (32 - bits));
		if ((a[i] ^ b[i]) & mask)
			return 0;
	}
	return 1;
}

static __always_inline int guard_rule_matches(const struct guard_rule *r, const struct guard_addr *dst,
					      __u8 proto, __u32 identity)
{
	if (r->proto && r->proto != proto)
		return 0;
	if (dst->port < r->port_lo || dst->port > r->port_hi)
		return 0;
	if (r->by == GUARD_BY_IDENTITY)
		return r->identity == identity;
	if (r->by == GUARD_BY_WORLD)
		return identity == ID_WORLD || identity >= ID_FIRST_CIDR;
	if (r->by == GUARD_BY_PEERS) {
		struct guard_peer_key k = { .rule = r->rule, .identity = identity };

		return bpf_map_lookup_elem(&guard_peers, &k) != NULL;
	}
	return guard_prefix_eq(r->addr, dst->addr, r->prefixlen);
}

/*
 * The refusal (or, in audit mode, what would have been one) as a flow: the
 * pod, the call, the rule; the destination with its identity, or for bind()
 * the address and port asked for.
 */
static __always_inline void guard_event(__u32 ep_id, __u8 mode, const struct guard_addr *a, __u8 proto,
					__u8 hook, __u16 reason, __u32 rule, __u32 identity)
{
	struct flow_event *e;

	e = bpf_ringbuf_reserve(&flow_events, sizeof(*e), 0);
	if (!e) {
		count_packet(&guard_stats, REASON_EVENTS_LOST, 0);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->ep_id = ep_id;
	e->rule = rule;
	e->verdict = mode == GUARD_AUDIT ? FLOW_AUDIT : FLOW_DROPPED;
	e->reason = mode == GUARD_AUDIT ? REASON_PASS_AUDIT : reason;
	e->hook = hook;
	e->family = a->family;
	e->proto = proto;
	if (hook == FLOW_HOOK_BIND || hook == FLOW_HOOK_POST_BIND) {
		e->dir = 0;
		e->sport = bpf_htons(a->port);
		__builtin_memcpy(e->saddr, a->addr, 16);
	} else {
		e->dir = 1;
		e->dst_identity = identity;
		e->dport = bpf_htons(a->port);
		__builtin_memcpy(e->daddr, a->addr, 16);
	}
	bpf_ringbuf_submit(e, 0);
	count_packet(&guard_stats, REASON_EVENTS_SENT, 0);
}

/*
 * The outcome of the pod's guards, from the rule each set refuses with (0:
 * the set lets the call go on): the first enforcing set that refuses fails
 * the call with EPERM; else the first auditing one that would is reported as
 * AUDIT and the call goes on. One flow per call at most, counted.
 */
static __always_inline int guard_verdict(const struct guard_val *g, const __u32 *refused,
					 const struct guard_addr *a, __u8 proto, __u8 hook, __u16 reason,
					 __u32 identity)
{
	__u32 audit = 0, s;

	for (s = 0; s < GUARD_MAX_SETS; s++) {
		if (s >= g->n_sets)
			break;
		if (!refused[s])
			continue;
		if (g->sets[s].mode != GUARD_AUDIT) {
			guard_event(g->ep_id, GUARD_ENFORCE, a, proto, hook, reason, refused[s], identity);
			count_packet(&guard_stats, reason, 0);
			return SYS_REJECT;
		}
		if (!audit)
			audit = refused[s];
	}
	if (audit) {
		guard_event(g->ep_id, GUARD_AUDIT, a, proto, hook, reason, audit, identity);
		count_packet(&guard_stats, REASON_PASS_AUDIT, 0);
	}
	return SYS_PROCEED;
}

/*
 * connect()/sendmsg(): in each set (guard), the first of its rules that
 * matches decides, else its default.
 */
static __always_inline int guard_dest(struct bpf_sock_addr *ctx, int v4, __u8 hook, __u16 reason)
{
	__u64 cgroup = bpf_get_current_cgroup_id();
	__u32 refused[GUARD_MAX_SETS] = {};
	const struct guard_val *g;
	struct guard_addr dst = {};
	__u8 proto = (__u8)ctx->protocol;
	__u32 identity, i, s;
	__u8 decided = 0;

	g = bpf_map_lookup_elem(&guard_pods, &cgroup);
	if (!g)
		return SYS_PROCEED;
	guard_addr_of(ctx, &dst, v4);
	identity = ipcache_identity(dst.addr);
	for (i = 0; i < GUARD_MAX_RULES; i++) {
		const struct guard_rule *r = &g->rules[i];

		if (i >= g->n_rules)
			break;
		s = r->set & (GUARD_MAX_SETS - 1);
		if (decided & (1 << s))
			continue;
		if (guard_rule_matches(r, &dst, proto, identity)) {
			decided |= 1 << s;
			if (r->action != GUARD_ALLOW)
				refused[s] = r->rule;
		}
	}
	for (s = 0; s < GUARD_MAX_SETS; s++) {
		if (s >= g->n_sets)
			break;
		if (!(decided & (1 << s)) && g->sets[s].dflt != GUARD_ALLOW)
			refused[s] = g->sets[s].dflt_rule;
	}
	return guard_verdict(g, refused, &dst, proto, hook, reason, identity);
}

/* The port may be bound by every set: each lets any port be bound or lists it. */
static __always_inline int guard_port_verdict(const struct guard_val *g, const struct guard_addr *local,
					      __u8 proto, __u8 hook)
{
	__u32 refused[GUARD_MAX_SETS] = {};
	__u8 listed = 0;
	__u32 i, s;

	for (i = 0; i < GUARD_MAX_BIND; i++) {
		const struct guard_port *p = &g->bind[i];

		if (i >= g->n_bind)
			break;
		if ((!p->proto || p->proto == proto) && local->port >= p->lo && local->port <= p->hi)
			listed |= 1 << (p->set & (GUARD_MAX_SETS - 1));
	}
	for (s = 0; s < GUARD_MAX_SETS; s++) {
		if (s >= g->n_sets)
			break;
		if (!g->sets[s].bind_any && !(listed & (1 << s)))
			refused[s] = g->sets[s].bind_rule;
	}
	return guard_verdict(g, refused, local, proto, hook, REASON_DROP_GUARD_BIND, 0);
}

/*
 * bind(): an explicit port must be one the guards allow. Port 0 is marked for
 * post_bind, which judges the port the kernel picks.
 */
static __always_inline int guard_bind(struct bpf_sock_addr *ctx, int v4)
{
	__u64 cgroup = bpf_get_current_cgroup_id();
	__u64 cookie = bpf_get_socket_cookie(ctx);
	const struct guard_val *g;
	struct guard_addr local = {};
	__u8 one = 1;

	g = bpf_map_lookup_elem(&guard_pods, &cgroup);
	if (!g || g->bind_any)
		return SYS_PROCEED;
	guard_addr_of(ctx, &local, v4);
	if (!local.port) {
		bpf_map_update_elem(&guard_bind0, &cookie, &one, BPF_ANY);
		return SYS_PROCEED;
	}
	bpf_map_delete_elem(&guard_bind0, &cookie);
	return guard_port_verdict(g, &local, (__u8)ctx->protocol, FLOW_HOOK_BIND);
}

/*
 * After a bind() of port 0: the port the kernel picked must be one the guard
 * allows, else the bind fails with EPERM and the kernel gives the port back.
 */
static __always_inline int guard_post_bind(struct bpf_sock *sk, int v4)
{
	__u64 cgroup = bpf_get_current_cgroup_id();
	__u64 cookie = bpf_get_socket_cookie(sk);
	const struct guard_val *g;
	struct guard_addr local = {};
	__u32 *w = (__u32 *)local.addr;
	__u8 proto = (__u8)sk->protocol;

	if (!bpf_map_lookup_elem(&guard_bind0, &cookie))
		return SYS_PROCEED;
	bpf_map_delete_elem(&guard_bind0, &cookie);
	g = bpf_map_lookup_elem(&guard_pods, &cgroup);
	if (!g)
		return SYS_PROCEED;
	if (v4) {
		w[2] = bpf_htonl(0x0000ffff);
		w[3] = sk->src_ip4;
		local.family = 4;
	} else {
		w[0] = sk->src_ip6[0];
		w[1] = sk->src_ip6[1];
		w[2] = sk->src_ip6[2];
		w[3] = sk->src_ip6[3];
		local.family = 6;
	}
	local.port = (__u16)sk->src_port;
	return guard_port_verdict(g, &local, proto, FLOW_HOOK_POST_BIND);
}

SEC("cgroup/connect4")
int weir_guard_conn4(struct bpf_sock_addr *ctx)
{
	return guard_dest(ctx, 1, FLOW_HOOK_CONNECT, REASON_DROP_GUARD_CONNECT);
}

SEC("cgroup/connect6")
int weir_guard_conn6(struct bpf_sock_addr *ctx)
{
	return guard_dest(ctx, 0, FLOW_HOOK_CONNECT, REASON_DROP_GUARD_CONNECT);
}

SEC("cgroup/sendmsg4")
int weir_guard_send4(struct bpf_sock_addr *ctx)
{
	return guard_dest(ctx, 1, FLOW_HOOK_SENDMSG, REASON_DROP_GUARD_SENDMSG);
}

SEC("cgroup/sendmsg6")
int weir_guard_send6(struct bpf_sock_addr *ctx)
{
	return guard_dest(ctx, 0, FLOW_HOOK_SENDMSG, REASON_DROP_GUARD_SENDMSG);
}

SEC("cgroup/bind4")
int weir_guard_bind4(struct bpf_sock_addr *ctx)
{
	return guard_bind(ctx, 1);
}

SEC("cgroup/bind6")
int weir_guard_bind6(struct bpf_sock_addr *ctx)
{
	return guard_bind(ctx, 0);
}

SEC("cgroup/post_bind4")
int weir_guard_pbind4(struct bpf_sock *sk)
{
	return guard_post_bind(sk, 1);
}

SEC("cgroup/post_bind6")
int weir_guard_pbind6(struct bpf_sock *sk)
{
	return guard_post_bind(sk, 0);
}

char _license[] SEC("license") = "GPL";
