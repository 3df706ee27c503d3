// SPDX-License-Identifier: GPL-2.0
/*
 * weir's same-node acceleration (weir agent --sockmap; docs/policy-datapath.md,
 * "Sockmap"):
 *
 *   weir_sockops  cgroup sock_ops on every local pod's cgroup: a TCP socket
 *                 that becomes established between two local pods (both
 *                 addresses in sockmap_ep) goes into sockmap_socks, keyed by
 *                 its own (local, remote) addresses and ports
 *   weir_sk_msg   sk_msg verdict of sockmap_socks: each message a socket sends
 *                 is put straight into the peer socket's receive queue
 *                 (bpf_msg_redirect_hash, BPF_F_INGRESS), skipping TCP, IP,
 *                 both veths and TC, when conntrack and policy allow it now
 *
 * Policy is never bypassed: per message, both endpoints' conntrack entries
 * of the connection (the client's egress and the server's ingress entry,
 * written by tc_endpoint when it allowed the connection) must be live,
 * neither closing nor audit-only, and both endpoints' current policy (their pol_gen)
 * must still allow it. Otherwise the message goes down the stack, where TC
 * judges it as without sockmap, and so does every later message of that
 * socket (sockmap_sk): once a byte went by TCP, none may overtake it.
 * Counted in sockmap_stats: REASON_PASS_SOCKMAP per redirected message (bytes
 * = its size), REASON_PASS per message left to the stack.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "drop_reasons.h"
#include "counters.h"
#include "endpoint.h"
#include "policy.h"
#include "ct.h"
#include "ct_timers.h"
#include "sockmap.h"

#define AF_INET		2
#define AF_INET6	10

#define SM_SOCKETS	65536

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, SM_SOCKETS);
	__type(key, struct sock_key);
	__type(value, __u64);
} sockmap_socks SEC(".maps");

/* The local pods by address, written by the agent. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u8[16]);
	__type(value, struct sock_ep_val);
} sockmap_ep SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sock_state);
} sockmap_sk SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, REASON_MAX);
	__type(key, __u32);
	__type(value, struct weir_counter);
} sockmap_stats SEC(".maps");

/* tc_endpoint's maps, reused by name from the node's pins (the loader copies their sizes). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct ep_info);
} ep_by_ifindex SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pol_key);
	__type(value, struct pol_val);
} pol SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ct_key);
	__type(value, struct ct_val);
} ct SEC(".maps");

/*
 * A context's remote_port (network byte order): the kernel puts the 16 bits
 * in the upper half of the u32 on little-endian machines, in the lower half
 * on others; a connected socket's port is never 0.
 */
static __always_inline __be16 sm_remote_port(__u32 remote_port)
{
	return (__be16)(remote_port >> 16 ? remote_port >> 16 : remote_port);
}

static __always_inline void sm_addr4(__u8 *a, __u32 ip4)
{
	__u32 *w = (__u32 *)a;

	w[0] = 0;
	w[1] = 0;
	w[2] = bpf_htonl(0xffff);
	w[3] = ip4;
}

/* An IPv6 address of a context, read 4 bytes at a time (the context refuses wider reads). */
static __always_inline void sm_addr6(__u8 *a, const __u32 *ip6)
{
	__u32 *w = (__u32 *)a;

	w[0] = *(volatile const __u32 *)&ip6[0];
	w[1] = *(volatile const __u32 *)&ip6[1];
	w[2] = *(volatile const __u32 *)&ip6[2];
	w[3] = *(volatile const __u32 *)&ip6[3];
}

/* The endpoint of a local pod's address, checked against ep_by_ifindex; NULL when not one. */
static __always_inline struct ep_info *sm_local_ep(const __u8 *addr)
{
	struct sock_ep_val *v = bpf_map_lookup_elem(&sockmap_ep, addr);
	struct ep_info *ep;
	__u32 ifindex;

	if (!v)
		return NULL;
	ifindex = v->ifindex;
	ep = bpf_map_lookup_elem(&ep_by_ifindex, &ifindex);
	if (!ep || ep->ep_id != v->ep_id)
		return NULL;
	return ep;
}

/*
 * The conntrack entry of (client -> server) that endpoint ep wrote in
 * direction dir, when live and neither closing nor allowed only by audit;
 * an established one's lifetime is refreshed (the redirected bytes never
 * pass TC).
 */
static __always_inline int sm_ct_live(const struct sock_key *k, int client_local, __u32 ep_id,
				      __u8 dir, __u64 now, __u64 lifetime)
{
	struct ct_key ck = {};
	struct ct_val *e;

	if (client_local) {
		__builtin_memcpy(ck.saddr, k->local, 16);
		__builtin_memcpy(ck.daddr, k->remote, 16);
		ck.sport = k->lport;
		ck.dport = k->rport;
	} else {
		__builtin_memcpy(ck.saddr, k->remote, 16);
		__builtin_memcpy(ck.daddr, k->local, 16);
		ck.sport = k->rport;
		ck.dport = k->lport;
	}
	ck.proto = IPPROTO_TCP;
	ck.dir = dir;
	ck.ep_id = ep_id;
	e = bpf_map_lookup_elem(&ct, &ck);
	/*
	 * SYN_SENT too: the socket is established, the handshake's last ACK
	 * may not have passed TC yet when the first message is sent
	 */
	if (!e || e->expires_ns <= now || (e->flags & CT_F_AUDIT) ||
	    (e->state != CT_ESTABLISHED && e->state != CT_SYN_SENT))
		return 0;
	if (e->state == CT_ESTABLISHED && e->expires_ns - now < lifetime / 2)
		e->expires_ns = now + lifetime;
	return 1;
}

/* Whether ep's current policy allows a connection in dir with this peer and port (audit counts as no). */
static __always_inline int sm_policy_allows(const struct ep_info *ep, __u8 dir, __u32 peer,
					    __u8 family, __be16 dport)
{
	__u32 enforced = dir == EP_DIR_EGRESS ? EP_F_EGRESS_ENFORCED : EP_F_INGRESS_ENFORCED;

	return pol_allows_now(&pol, ep->ep_id, ep->pol_gen, dir, peer, family, IPPROTO_TCP, dport,
			      ep->flags & enforced);
}

/*
 * Whether the connection of socket k (both ends local pods) may be
 * redirected now: conntrack holds it as allowed from one side's egress to the
 * other's ingress, and both sides' policy still allows it.
 */
static __always_inline int sm_allowed(const struct sock_key *k, __u8 family)
{
	struct ep_info *l, *r, *c, *s;
	struct ep_cfg cfg;
	__u64 now = bpf_ktime_get_ns();
	int client_local;

	l = sm_local_ep(k->local);
	r = sm_local_ep(k->remote);
	if (!l || !r)
		return 0;
	ep_load_cfg(&cfg);
	if (sm_ct_live(k, 1, l->ep_id, EP_DIR_EGRESS, now, cfg.ct_established_ns) &&
	    sm_ct_live(k, 1, r->ep_id, EP_DIR_INGRESS, now, cfg.ct_established_ns))
		client_local = 1;
	else if (sm_ct_live(k, 0, r->ep_id, EP_DIR_EGRESS, now, cfg.ct_established_ns) &&
		 sm_ct_live(k, 0, l->ep_id, EP_DIR_INGRESS, now, cfg.ct_established_ns))
		client_local = 0;
	else
		return 0;
	c = client_local ? l : r;
	s = client_local ? r : l;
	return sm_policy_allows(c, EP_DIR_EGRESS, s->identity, family,
				client_local ? k->rport : k->lport) &&
	       sm_policy_allows(s, EP_DIR_INGRESS, c->identity, family,
				client_local ? k->rport : k->lport);
}

SEC("sockops")
int weir_sockops(struct bpf_sock_ops *skops)
{
	struct sock_key k = {};

	if (skops->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB &&
	    skops->op != BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB)
		return 1;
	if (skops->family == AF_INET) {
		sm_addr4(k.local, skops->local_ip4);
		sm_addr4(k.remote, skops->remote_ip4);
	} else if (skops->family == AF_INET6) {
		sm_addr6(k.local, skops->local_ip6);
		sm_addr6(k.remote, skops->remote_ip6);
	} else {
		return 1;
	}
	k.lport = bpf_htons((__u16)skops->local_port);
	k.rport = sm_remote_port(skops->remote_port);
	/* only between two local pods: a socket with another peer is never redirected to */
	if (!bpf_map_lookup_elem(&sockmap_ep, k.local) || !bpf_map_lookup_elem(&sockmap_ep, k.remote))
		return 1;
	bpf_sock_hash_update(skops, &sockmap_socks, &k, BPF_ANY);
	return 1;
}

SEC("sk_msg")
int weir_sk_msg(struct sk_msg_md *msg)
{
	struct sock_key k = {}, peer = {};
	struct sock_state *st;
	__u8 family;

	st = bpf_sk_storage_get(&sockmap_sk, msg->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!st || st->stack)
		goto stack;
	if (msg->family == AF_INET) {
		sm_addr4(k.local, msg->local_ip4);
		sm_addr4(k.remote, msg->remote_ip4);
		family = 4;
	} else if (msg->family == AF_INET6) {
		const __u32 *w = (const __u32 *)k.local;

		sm_addr6(k.local, msg->local_ip6);
		sm_addr6(k.remote, msg->remote_ip6);
		family = (w[0] | w[1]) == 0 && w[2] == bpf_htonl(0xffff) ? 4 : 6;
	} else {
		goto stack_for_good;
	}
	k.lport = bpf_htons((__u16)msg->local_port);
	k.rport = sm_remote_port(msg->remote_port);
	if (!sm_allowed(&k, family))
		goto stack_for_good;
	__builtin_memcpy(peer.local, k.remote, 16);
	__builtin_memcpy(peer.remote, k.local, 16);
	peer.lport = k.rport;
	peer.rport = k.lport;
	if (bpf_msg_redirect_hash(msg, &sockmap_socks, &peer, BPF_F_INGRESS) != SK_PASS)
		goto stack_for_good;
	count_packet(&sockmap_stats, REASON_PASS_SOCKMAP, msg->size);
	return SK_PASS;

stack_for_good:
	if (st)
		st->stack = 1;
stack:
	count_packet(&sockmap_stats, REASON_PASS, msg->size);
	return SK_PASS;
}

char _license[] SEC("license") = "GPL";
