// SPDX-License-Identifier: GPL-2.0
/*
 * weir's socket-level service load balancing on cgroup v2 sock_addr hooks
 * (docs/service-datapath.md, "Socket path details"):
 *
 *   weir_connect4/6  connect() of TCP and UDP: frontend -> backend
 *   weir_sendmsg4/6  sendto()/sendmsg() of an unconnected UDP socket: frontend -> backend
 *   weir_recvmsg4/6  recvfrom()/recvmsg() of UDP: backend -> frontend (the source)
 *   weir_getpeer4/6  getpeername(): backend -> frontend
 *
 * The forward hooks pick a backend (lb.h: affinity, Maglev or random over the
 * active slots of the service's generation), rewrite the destination and
 * remember lb_sock_rev[socket cookie, backend] = frontend for the reverse
 * hooks. A service without a usable backend refuses: the connect() or
 * sendmsg() fails with ECONNREFUSED. Every outcome is counted per reason in
 * lb_sock_stats (packets = calls, bytes always 0). A socket's first
 * translation to a backend is reported as a FLOW_TRANSLATED event on the
 * node's flow_events ring (shared with tc_endpoint), naming the pod by its
 * cgroup (lb_sock_ep, written by the agent) and the backend's identity
 * (ipcache, shared).
 */
#include <linux/bpf.h>
#include <linux/errno.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "drop_reasons.h"
#include "counters.h"
#include "flow.h"
#include "ipcache.h"
#include "lb.h"

#define SYS_REJECT	0
#define SYS_PROCEED	1

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, REASON_MAX);
	__type(key, __u32);
	__type(value, struct weir_counter);
} lb_sock_stats SEC(".maps");

/* tc_endpoint's maps, reused by name from the node's pins (the loader copies their sizes). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} flow_events SEC(".maps");

/* The pod of a cgroup (bpf_get_current_cgroup_id()), for flow events. */
struct sock_ep {
	__u32 ep_id;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct sock_ep);
} lb_sock_ep SEC(".maps");

/* A destination or source as the hook sees it, in the maps' form. */
struct sock_peer {
	__u8   addr[16];
	__be16 port;
};

static __always_inline void sock_peer4(struct bpf_sock_addr *ctx, struct sock_peer *p)
{
	lb_addr_mapped4(p->addr, ctx->user_ip4);
	p->port = (__be16)ctx->user_port;
}

static __always_inline void sock_peer6(struct bpf_sock_addr *ctx, struct sock_peer *p)
{
	__u32 *w = (__u32 *)p->addr;

	w[0] = ctx->user_ip6[0];
	w[1] = ctx->user_ip6[1];
	w[2] = ctx->user_ip6[2];
	w[3] = ctx->user_ip6[3];
	p->port = (__be16)ctx->user_port;
}

static __always_inline void sock_set4(struct bpf_sock_addr *ctx, const __u8 *addr, __be16 port)
{
	__u32 ip4;

	__builtin_memcpy(&ip4, addr + 12, 4);
	ctx->user_ip4 = ip4;
	ctx->user_port = port;
}

static __always_inline void sock_set6(struct bpf_sock_addr *ctx, const __u8 *addr, __be16 port)
{
	__u32 w[4];

	__builtin_memcpy(w, addr, 16);
	ctx->user_ip6[0] = w[0];
	ctx->user_ip6[1] = w[1];
	ctx->user_ip6[2] = w[2];
	ctx->user_ip6[3] = w[3];
	ctx->user_port = port;
}

/*
 * Maglev's client hash at the socket: the socket's local address and port
 * when the port is bound (what the TC path would hash for the same tuple),
 * else (a TCP or UDP connect() before autobind) the socket cookie, so that
 * each such socket is placed by the table's weights on its own.
 */
static __always_inline __u32 sock_hash(struct bpf_sock_addr *ctx, __u64 cookie, int v4)
{
	struct bpf_sock *sk = ctx->sk;
	__u8 local[16];
	__u32 *w = (__u32 *)local;
	__be16 lport;

	if (!sk)
		return 0;
	lport = bpf_htons((__u16)sk->src_port);
	if (!lport) {
		__builtin_memset(local, 0, 16);
		w[2] = (__u32)(cookie >> 32);
		w[3] = (__u32)cookie;
		return lb_hash_tuple(local, 0, ctx->protocol);
	}
	if (v4) {
		lb_addr_mapped4(local, sk->src_ip4);
	} else {
		w[0] = sk->src_ip6[0];
		w[1] = sk->src_ip6[1];
		w[2] = sk->src_ip6[2];
		w[3] = sk->src_ip6[3];
	}
	return lb_hash_tuple(local, lport, ctx->protocol);
}

/* Remembers the frontend for the reverse hooks; skipped (returns 0) when already there. */
static __always_inline int sock_remember(__u64 cookie, const struct lb_backend *be,
					 const struct lb_svc_key *fe_key)
{
	struct lb_sock_rev_key rk = { .cookie = cookie, .port = be->port };
	struct lb_frontend fe = { .port = fe_key->port, .proto = fe_key->proto };
	struct lb_frontend *old;

	__builtin_memcpy(rk.addr, be->addr, 16);
	__builtin_memcpy(fe.addr, fe_key->addr, 16);
	old = bpf_map_lookup_elem(&lb_sock_rev, &rk);
	if (old && old->port == fe.port && lb_addr_eq(old->addr, fe.addr))
		return 0;
	bpf_map_update_elem(&lb_sock_rev, &rk, &fe, BPF_ANY);
	return 1;
}

/*
 * The FLOW_TRANSLATED event of a socket's first translation to a backend:
 * the pod by cgroup, the socket's local address and port when bound (else
 * zero), the backend with its ipcache identity, the service.
 */
static __always_inline void sock_trace(struct bpf_sock_addr *ctx, const struct lb_backend *be,
				       const struct lb_svc_val *svc, int v4)
{
	struct ipcache_key ik = { .prefixlen = 128 };
	struct ipcache_val *iv;
	struct flow_event *e;
	struct bpf_sock *sk;
	struct sock_ep *ep;
	__u64 cgroup = bpf_get_current_cgroup_id();
	__u32 *w;

	e = bpf_ringbuf_reserve(&flow_events, sizeof(*e), 0);
	if (!e) {
		count_packet(&lb_sock_stats, REASON_EVENTS_LOST, sizeof(*e));
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	ep = bpf_map_lookup_elem(&lb_sock_ep, &cgroup);
	if (ep)
		e->ep_id = ep->ep_id;
	__builtin_memcpy(ik.addr, be->addr, 16);
	iv = bpf_map_lookup_elem(&ipcache, &ik);
	e->dst_identity = iv ? iv->identity : ID_WORLD;
	e->reason = REASON_PASS_SERVICE_DNAT;
	e->verdict = FLOW_TRANSLATED;
	e->dir = 1;
	e->family = lb_addr_is_mapped4(be->addr) ? 4 : 6;
	e->proto = (__u8)ctx->protocol;
	sk = ctx->sk;
	if (sk && sk->src_port) {
		e->sport = bpf_htons((__u16)sk->src_port);
		w = (__u32 *)e->saddr;
		if (v4) {
			lb_addr_mapped4(e->saddr, sk->src_ip4);
		} else {
			w[0] = sk->src_ip6[0];
			w[1] = sk->src_ip6[1];
			w[2] = sk->src_ip6[2];
			w[3] = sk->src_ip6[3];
		}
	}
	e->dport = be->port;
	__builtin_memcpy(e->daddr, be->addr, 16);
	e->svc_id = svc->svc_id;
	e->rev_nat_id = svc->rev_nat_id;
	bpf_ringbuf_submit(e, 0);
	count_packet(&lb_sock_stats, REASON_EVENTS_SENT, sizeof(*e));
}

/*
 * Frontend -> backend for connect()/sendmsg(). SYS_PROCEED when the
 * destination is not a service, was translated or is left to TC (below);
 * SYS_REJECT with ECONNREFUSED when the service has no usable backend (or,
 * on an IPv4 socket, only an IPv6 one).
 */
static __always_inline int sock_fwd(struct bpf_sock_addr *ctx, int v4)
{
	struct lb_svc_key key = { .proto = (__u8)ctx->protocol };
	struct lb_affinity_key akey = {};
	struct sock_peer dst;
	struct lb_svc_val *svc;
	struct lb_backend *be = NULL;
	__u64 cookie, netns;
	__u32 be_id;

	if (v4)
		sock_peer4(ctx, &dst);
	else
		sock_peer6(ctx, &dst);
	__builtin_memcpy(key.addr, dst.addr, 16);
	key.port = dst.port;
	svc = lb_lookup_local(&key);
	if (!svc)
		return SYS_PROCEED;
	/*
	 * Left to the TC path, which sees the packet: a frontend with source
	 * ranges (the socket's source address is not known yet), and one with
	 * no backend to be dropped rather than refused (kube-proxy's DROP: a
	 * Local traffic policy without a local endpoint).
	 */
	if ((svc->flags & LB_F_SRC_RANGES) || (!svc->count && !(svc->flags & LB_F_REJECT)))
		return SYS_PROCEED;

	cookie = bpf_get_socket_cookie(ctx);
	netns = bpf_cpu_to_be64(bpf_get_netns_cookie(ctx));
	__builtin_memcpy(akey.client + 8, &netns, 8);
	akey.svc_id = svc->svc_id;
	be_id = lb_select(svc, sock_hash(ctx, cookie, v4), &akey);
	if (be_id)
		be = bpf_map_lookup_elem(&lb_backend, &be_id);
	if (!be || (v4 && !lb_addr_is_mapped4(be->addr))) {
		count_packet(&lb_sock_stats, REASON_DROP_NO_SERVICE_BACKEND, 0);
		bpf_set_retval(-ECONNREFUSED);
		return SYS_REJECT;
	}

	if (sock_remember(cookie, be, &key))
		sock_trace(ctx, be, svc, v4);
	if (v4)
		sock_set4(ctx, be->addr, be->port);
	else
		sock_set6(ctx, be->addr, be->port);
	count_packet(&lb_sock_stats, REASON_PASS_SERVICE_DNAT, 0);
	return SYS_PROCEED;
}

/* Backend -> frontend for recvmsg()/getpeername(), when this socket was translated to it. */
static __always_inline int sock_rev(struct bpf_sock_addr *ctx, int v4)
{
	struct lb_sock_rev_key rk = {};
	struct lb_frontend *fe;
	struct sock_peer src;

	if (v4)
		sock_peer4(ctx, &src);
	else
		sock_peer6(ctx, &src);
	rk.cookie = bpf_get_socket_cookie(ctx);
	__builtin_memcpy(rk.addr, src.addr, 16);
	rk.port = src.port;
	fe = bpf_map_lookup_elem(&lb_sock_rev, &rk);
	if (!fe)
		return SYS_PROCEED;
	if (v4) {
		if (!lb_addr_is_mapped4(fe->addr))
			return SYS_PROCEED;
		sock_set4(ctx, fe->addr, fe->port);
	} else {
		sock_set6(ctx, fe->addr, fe->port);
	}
	count_packet(&lb_sock_stats, REASON_PASS_SERVICE_REVNAT, 0);
	return SYS_PROCEED;
}

SEC("cgroup/connect4")
int weir_connect4(struct bpf_sock_addr *ctx)
{
	return sock_fwd(ctx, 1);
}

SEC("cgroup/connect6")
int weir_connect6(struct bpf_sock_addr *ctx)
{
	return sock_fwd(ctx, 0);
}

SEC("cgroup/sendmsg4")
int weir_sendmsg4(struct bpf_sock_addr *ctx)
{
	return sock_fwd(ctx, 1);
}

SEC("cgroup/sendmsg6")
int weir_sendmsg6(struct bpf_sock_addr *ctx)
{
	return sock_fwd(ctx, 0);
}

SEC("cgroup/recvmsg4")
int weir_recvmsg4(struct bpf_sock_addr *ctx)
{
	return sock_rev(ctx, 1);
}

SEC("cgroup/recvmsg6")
int weir_recvmsg6(struct bpf_sock_addr *ctx)
{
	return sock_rev(ctx, 0);
}

SEC("cgroup/getpeername4")
int weir_getpeer4(struct bpf_sock_addr *ctx)
{
	return sock_rev(ctx, 1);
}

SEC("cgroup/getpeername6")
int weir_getpeer6(struct bpf_sock_addr *ctx)
{
	return sock_rev(ctx, 0);
}

char _license[] SEC("license") = "GPL";
