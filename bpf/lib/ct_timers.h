/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Conntrack lifetimes and the TCP state machine of docs/policy-datapath.md,
 * shared by the endpoint programs (ct) and the underlay program (np_ct,
 * nodeport.h): the ep_cfg map (written by the agent, pinned once and reused
 * by name by every object that includes this header), its defaults and the
 * state after a packet.
 */
#ifndef __WEIR_CT_TIMERS_H
#define __WEIR_CT_TIMERS_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>

#include "ct.h"
#include "endpoint.h"
#include "parsing.h"		/* TCP_* flag bits */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ep_cfg);
} ep_cfg SEC(".maps");

/* ep_cfg[0] with every 0 lifetime replaced by its default. */
static __always_inline void ep_load_cfg(struct ep_cfg *c)
{
	__u32 zero = 0;
	struct ep_cfg *v = bpf_map_lookup_elem(&ep_cfg, &zero);

	if (v)
		__builtin_memcpy(c, v, sizeof(*c));
	else
		__builtin_memset(c, 0, sizeof(*c));
	if (!c->ct_syn_ns)
		c->ct_syn_ns = EP_CT_SYN_DEFAULT_NS;
	if (!c->ct_established_ns)
		c->ct_established_ns = EP_CT_ESTABLISHED_DEFAULT_NS;
	if (!c->ct_closing_ns)
		c->ct_closing_ns = EP_CT_CLOSING_DEFAULT_NS;
	if (!c->ct_other_ns)
		c->ct_other_ns = EP_CT_OTHER_DEFAULT_NS;
}

/* TCP state after a packet with these flags; FIN/RST close for good. */
static __always_inline __u8 ct_next_state(__u8 state, __u8 flags)
{
	if ((flags & (TCP_FIN | TCP_RST)) || state == CT_CLOSING)
		return CT_CLOSING;
	if (state == CT_SYN_SENT && !(flags & TCP_SYN))
		return CT_ESTABLISHED;
	return state;
}

/* The state a new TCP entry starts in: SYN_SENT with a SYN, else ESTABLISHED. */
static __always_inline __u8 ct_first_state(__u8 proto, __u8 flags)
{
	if (proto != IPPROTO_TCP)
		return CT_NONE;
	return ct_next_state(flags & TCP_SYN ? CT_SYN_SENT : CT_ESTABLISHED, flags);
}

static __always_inline __u64 ct_lifetime(const struct ep_cfg *cfg, __u8 proto,
					 __u8 state)
{
	if (proto != IPPROTO_TCP)
		return cfg->ct_other_ns;
	if (state == CT_ESTABLISHED)
		return cfg->ct_established_ns;
	if (state == CT_CLOSING)
		return cfg->ct_closing_ns;
	return cfg->ct_syn_ns;
}

#endif /* __WEIR_CT_TIMERS_H */
