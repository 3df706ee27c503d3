// SPDX-License-Identifier: GPL-2.0
/*
 * weir's XDP prefilter: CIDR/protocol/port deny and allow lists, malformed
 * header drops, impossible TCP flags and port 0 (l4_sanity.h), per-source
 * rate limits and SYN cookies for listed ports (synproxy.h), all decided from
 * maps that the control plane fills.
 * docs/prefilter-datapath.md is the contract: the verdict precedence, the two
 * rule generations and the map layouts.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "drop_reasons.h"
#include "parsing.h"
#include "prefilter.h"
#include "counters.h"
#include "l4_sanity.h"
#include "capture.h"
#include "synproxy.h"
#include "xdp_redirect.h"

/* Map sizes are defaults; the loader sets them from configuration. */
#define PF_LPM_ENTRIES		65536
#define PF_HITS_ENTRIES		65536
#define PF_RATE_ENTRIES		65536
#define PF_FRAG_ENTRIES		8192
#define PF_EVENTS_BYTES		(256 * 1024)

#define NSEC_PER_SEC		1000000000ULL

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} pf_active SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct pf_cfg);
} pf_cfg SEC(".maps");

#define PF_LPM_MAP(name, keytype)				\
	struct {						\
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);		\
		__uint(max_entries, PF_LPM_ENTRIES);		\
		__uint(map_flags, BPF_F_NO_PREALLOC);		\
		__type(key, keytype);				\
		__type(value, struct pf_prefix_val);		\
	} name SEC(".maps")

PF_LPM_MAP(pf_src4_0, struct pf_lpm4_key);
PF_LPM_MAP(pf_src4_1, struct pf_lpm4_key);
PF_LPM_MAP(pf_dst4_0, struct pf_lpm4_key);
PF_LPM_MAP(pf_dst4_1, struct pf_lpm4_key);
PF_LPM_MAP(pf_src6_0, struct pf_lpm6_key);
PF_LPM_MAP(pf_src6_1, struct pf_lpm6_key);
PF_LPM_MAP(pf_dst6_0, struct pf_lpm6_key);
PF_LPM_MAP(pf_dst6_1, struct pf_lpm6_key);

/*
 * Prefixes of the lengths listed in pf_cfg (at most PF_NET_LENS per side
 * and family, the longest ones) live in hash maps keyed by (length, masked
 * address), not in the tries: an exact hash lookup costs a fraction of a
 * trie walk. The datapath tries the listed lengths longest first and walks
 * the trie, which holds only shorter prefixes, on a miss of all. The control
 * plane stores the same (inherited) value it would have stored in the trie.
 */
#define PF_NET_MAP(name, keytype)				\
	struct {						\
		__uint(type, BPF_MAP_TYPE_HASH);		\
		__uint(max_entries, PF_LPM_ENTRIES);		\
		__uint(map_flags, BPF_F_NO_PREALLOC);		\
		__type(key, keytype);				\
		__type(value, struct pf_prefix_val);		\
	} name SEC(".maps")

PF_NET_MAP(pf_snet4_0, struct pf_net4);
PF_NET_MAP(pf_snet4_1, struct pf_net4);
PF_NET_MAP(pf_dnet4_0, struct pf_net4);
PF_NET_MAP(pf_dnet4_1, struct pf_net4);
PF_NET_MAP(pf_snet6_0, struct pf_net6);
PF_NET_MAP(pf_snet6_1, struct pf_net6);
PF_NET_MAP(pf_dnet6_0, struct pf_net6);
PF_NET_MAP(pf_dnet6_1, struct pf_net6);

#define PF_SLOTS_MAP(name, entries)				\
	struct {						\
		__uint(type, BPF_MAP_TYPE_ARRAY);		\
		__uint(max_entries, entries);			\
		__type(key, __u32);				\
		__type(value, __u64);				\
	} name SEC(".maps")

PF_SLOTS_MAP(pf_port_0, PF_PORT_ENTRIES);
PF_SLOTS_MAP(pf_port_1, PF_PORT_ENTRIES);
PF_SLOTS_MAP(pf_proto_0, 256);
PF_SLOTS_MAP(pf_proto_1, 256);

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PF_RATE_ENTRIES);
	__type(key, struct pf_addr);
	__type(value, struct pf_bucket);
} pf_rate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PF_FRAG_ENTRIES);
	__type(key, struct pf_frag_key);
	__type(value, struct pf_frag_val);
} pf_frag SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, REASON_MAX);
	__type(key, __u32);
	__type(value, struct pf_counter);
} pf_stats SEC(".maps");

/*
 * Dry-run drops (a dry-run deny rule, or every drop with PF_CFG_DRY_RUN):
 * the reason the packet would have been dropped for. Such a packet passes
 * and is counted here instead of in pf_stats.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, REASON_MAX);
	__type(key, __u32);
	__type(value, struct pf_counter);
} pf_dry SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PF_HITS_ENTRIES);
	__type(key, __u32);
	__type(value, struct pf_counter);
} pf_hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, PF_EVENTS_BYTES);
} pf_events SEC(".maps");

/* Per-CPU drop sequence for event sampling (internal to the datapath). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} pf_sample SEC(".maps");

/*
 * Look up in generation gen of a rule map pair name_0 / name_1.
 *
 * Each map must keep its own call instruction. Left alone, clang merges the
 * two calls into one call on a selected map pointer; the verifier then sees
 * two maps at one call site and can neither inline an array lookup nor call
 * the map's lookup directly: every lookup goes through the generic helper's
 * indirect call (a retpoline here). An empty asm after each call, its text
 * naming the map, makes every branch end differently, so clang cannot sink
 * calls into one (not the _0/_1 pair, nor the same generation's lookups in
 * two tries).
 */
#define GEN_LOOKUP(gen, name, key) ({					\
	void *__v;							\
	if (gen) {							\
		__v = bpf_map_lookup_elem(&name##_1, key);		\
		asm volatile("/* " #name "_1 */" : "+r"(__v));		\
	} else {							\
		__v = bpf_map_lookup_elem(&name##_0, key);		\
		asm volatile("/* " #name "_0 */" : "+r"(__v));		\
	}								\
	__v;								\
})

/* Everything known about the packet, for decisions, counters and events. */
struct pf_pkt {
	struct l3_info l3;
	__u32 len;
	__u16 sport;
	__u16 dport;
	__u8  has_port;
	__u8  port_class;
	__u8  is_nd;		/* ICMPv6 neighbour discovery (types 133-137) */
	__u8  tcp_flags;	/* TCP only */
};

/*
 * Fills a reserved event. Not inlined on purpose: as a BPF subprogram its
 * prototype puts struct pf_event into the object's BTF, where the Java
 * codec's alignment test finds it.
 */
static __noinline int pf_event_fill(struct xdp_md *ctx, struct pf_event *e,
				    const struct pf_pkt *p, __u32 reason,
				    __u32 rule)
{
	__u64 cap;

	e->ts_ns = bpf_ktime_get_ns();
	e->ifindex = ctx->ingress_ifindex;
	e->rule = rule;
	e->reason = reason;
	e->pkt_len = p->len;
	e->sport = p->sport;
	e->dport = p->dport;
	e->family = p->l3.family;
	e->proto = p->l3.proto;
	__builtin_memcpy(e->src, p->l3.src, sizeof(e->src));
	__builtin_memcpy(e->dst, p->l3.dst, sizeof(e->dst));
	__builtin_memset(e->data, 0, sizeof(e->data));

	cap = p->len < PF_EVENT_SNAP ? p->len : PF_EVENT_SNAP;
	/* hide the clamp from clang so that the verifier sees the checks */
	asm volatile("" : "+r"(cap));
	if (cap < 1 || cap > PF_EVENT_SNAP ||
	    bpf_xdp_load_bytes(ctx, 0, e->data, cap) < 0)
		cap = 0;
	e->cap_len = cap;
	return 0;
}

/* A ring buffer record: the event after the kernel's 8-byte header. */
#define PF_EVENT_RECORD		(sizeof(struct pf_event) + 8)

static __always_inline void pf_emit(struct xdp_md *ctx, const struct pf_pkt *p,
				    __u32 reason, __u32 rule, __u32 flags)
{
	struct pf_event *e = NULL;

	/*
	 * A full ring (nobody reading) is the common case under a flood:
	 * asking how much is unread is cheaper than a reservation that
	 * takes the ring's lock to fail. Racy either way; the reservation
	 * still decides when there seems to be room.
	 */
	if (bpf_ringbuf_query(&pf_events, BPF_RB_AVAIL_DATA) + PF_EVENT_RECORD <=
	    bpf_ringbuf_query(&pf_events, BPF_RB_RING_SIZE))
		e = bpf_ringbuf_reserve(&pf_events, sizeof(*e), 0);
	if (!e) {
		count_packet(&pf_stats, REASON_EVENTS_LOST, sizeof(*e));
		return;
	}
	pf_event_fill(ctx, e, p, reason, rule);
	e->flags = flags;
	e->_pad = 0;
	bpf_ringbuf_submit(e, 0);
	count_packet(&pf_stats, REASON_EVENTS_SENT, sizeof(*e));
}

/* A capture's record of the frame (capture.h); a dry-run drop passes, so it is FORWARDED. */
static __always_inline void pf_capture(struct xdp_md *ctx, __u32 reason, int dropped)
{
	struct cap_meta m = {
		.reason = reason,
		.hook = CAP_HOOK_PREFILTER,
		.verdict = dropped ? FLOW_DROPPED : FLOW_FORWARDED,
	};

	cap_xdp(ctx, &m);
}

/*
 * The one way out of the program: counts the verdict per reason (and per
 * rule when a rule decided it), samples drops into pf_events, and turns the
 * reason into XDP_PASS or XDP_DROP. A drop in dry run (flags has
 * PF_VERDICT_DRY_RUN, or the whole prefilter is in dry run) passes: it is
 * counted in pf_dry instead of pf_stats, and its event says so.
 */
static __always_inline int pf_verdict(struct xdp_md *ctx,
				      const struct pf_cfg *cfg,
				      const struct pf_pkt *p,
				      __u32 reason, __u32 rule, __u32 flags)
{
	int drop = reason_is_drop(reason);

	if (drop && cfg && (cfg->flags & PF_CFG_DRY_RUN))
		flags |= PF_VERDICT_DRY_RUN;
	if (!drop || !(flags & PF_VERDICT_DRY_RUN))
		flags = 0;
	if (flags)
		count_packet(&pf_dry, reason, p->len);
	else
		count_packet(&pf_stats, reason, p->len);
	if (rule != PF_RULE_NONE)
		count_packet(&pf_hits, rule, p->len);
	pf_capture(ctx, reason, drop && !flags);
	if (!drop)
		return XDP_PASS;
	if (cfg && sample_due(&pf_sample, cfg->sample_every))
		pf_emit(ctx, p, reason, rule, flags);
	return flags ? XDP_PASS : XDP_DROP;
}

static __always_inline __u32 lowest_slot(__u64 bits)
{
	__u32 n = 0;

	if (!(bits & 0xffffffffULL)) {
		n += 32;
		bits >>= 32;
	}
	if (!(bits & 0xffff)) {
		n += 16;
		bits >>= 16;
	}
	if (!(bits & 0xff)) {
		n += 8;
		bits >>= 8;
	}
	if (!(bits & 0xf)) {
		n += 4;
		bits >>= 4;
	}
	if (!(bits & 0x3)) {
		n += 2;
		bits >>= 2;
	}
	if (!(bits & 0x1))
		n += 1;
	return n;
}

static __always_inline int prefix_rule(const struct pf_prefix_val *v,
				       __u32 slot, __u32 *rule)
{
	int i;

	if (!v)
		return 0;
#pragma unroll
	for (i = 0; i < PF_RULE_PAIRS; i++) {
		if (v->rule_slot[i] == slot) {
			*rule = v->rule[i];
			return 1;
		}
	}
	return 0;
}

/* Rule id for the lowest slot of mask: the prefix's pair, else slot_rule. */
static __always_inline __u32 pick_rule(const struct pf_cfg *cfg, __u64 mask,
				       const struct pf_prefix_val *sv,
				       const struct pf_prefix_val *dv)
{
	__u32 slot = lowest_slot(mask) & (PF_SLOTS - 1);
	__u32 rule;

	if (prefix_rule(sv, slot, &rule) || prefix_rule(dv, slot, &rule))
		return rule;
	return cfg->slot_rule[slot];
}

/* Token bucket per source address; 1 when the packet may pass. */
static __always_inline int pf_rate_ok(const struct pf_cfg *cfg,
				      const struct pf_pkt *p)
{
	struct pf_bucket *b, fresh;
	struct pf_addr key;
	__u64 now, cost, cap, tokens, elapsed;
	__u32 burst = cfg->rate_burst ? cfg->rate_burst : 1;

	__builtin_memcpy(key.addr, p->l3.src, sizeof(key.addr));
	now = bpf_ktime_get_ns();
	cost = NSEC_PER_SEC / cfg->rate_pps;
	cap = cost * burst;

	b = bpf_map_lookup_elem(&pf_rate, &key);
	if (!b) {
		fresh.tokens = cap - cost;
		fresh.last_ns = now;
		bpf_map_update_elem(&pf_rate, &key, &fresh, BPF_ANY);
		return 1;
	}
	/* racy across CPUs by design: a few packets either way */
	elapsed = now > b->last_ns ? now - b->last_ns : 0;
	if (elapsed > cap)
		elapsed = cap;
	tokens = b->tokens + elapsed;
	if (tokens > cap)
		tokens = cap;
	b->last_ns = now;
	if (tokens < cost) {
		b->tokens = tokens;
		return 0;
	}
	b->tokens = tokens - cost;
	return 1;
}

/*
 * The top n bits of a 64-bit word, n in 0..64, without branches (the
 * verifier would follow each) and without a shift by 64.
 */
static __always_inline __u64 top_bits(__u64 n)
{
	return ~((~0ULL >> (n >> 1)) >> (n - (n >> 1)));
}

/*
 * The longest prefix of one side holding an IPv4 address (network order):
 * the address masked to each length of the cfg list in the hash net, longest
 * first, then the trie lpm unless cfg says it is empty. Returns the map value
 * or NULL. The loop is unrolled so that every lookup keeps its own call site.
 */
#define PF_MATCH4(fn, net, lpm, lens, skip)				\
static __always_inline const struct pf_prefix_val *			\
fn(const struct pf_cfg *cfg, __u32 gen, const __u8 *addr)		\
{									\
	struct pf_lpm4_key lk = { .prefixlen = 32 };			\
	struct pf_net4 k = {};						\
	const struct pf_prefix_val *v;					\
	__u32 a, m, len;						\
	int i;								\
									\
	__builtin_memcpy(&a, addr, 4);					\
	_Pragma("unroll")						\
	for (i = 0; i < PF_NET_LENS; i++) {				\
		len = cfg->lens[i];					\
		if (len > 32)						\
			break;						\
		k.len = len;						\
		m = a & bpf_htonl((__u32)(top_bits(len) >> 32));	\
		__builtin_memcpy(k.addr, &m, 4);			\
		v = GEN_LOOKUP(gen, net, &k);				\
		if (v)							\
			return v;					\
	}								\
	if (cfg->skip_lpm & (skip))					\
		return NULL;						\
	__builtin_memcpy(lk.addr, addr, 4);				\
	return GEN_LOOKUP(gen, lpm, &lk);				\
}

/* As PF_MATCH4, for an IPv6 address: two 64-bit halves masked. */
#define PF_MATCH6(fn, net, lpm, lens, skip)				\
static __always_inline const struct pf_prefix_val *			\
fn(const struct pf_cfg *cfg, __u32 gen, const __u8 *addr)		\
{									\
	struct pf_lpm6_key lk = { .prefixlen = 128 };			\
	struct pf_net6 k = {};						\
	const struct pf_prefix_val *v;					\
	__u64 a[2], m[2], len, lo, over;				\
	int i;								\
									\
	__builtin_memcpy(a, addr, 16);					\
	_Pragma("unroll")						\
	for (i = 0; i < PF_NET_LENS; i++) {				\
		len = cfg->lens[i];					\
		if (len > 128)						\
			break;						\
		/* lo = len > 64 ? len - 64 : 0, without a branch */	\
		over = (__u64)((__s64)(64 - len) >> 63);		\
		asm volatile("" : "+r"(over));				\
		lo = (len - 64) & over;					\
		m[0] = a[0] & bpf_cpu_to_be64(top_bits(len - lo));	\
		m[1] = a[1] & bpf_cpu_to_be64(top_bits(lo));		\
		k.len = len;						\
		__builtin_memcpy(k.addr, m, 16);			\
		v = GEN_LOOKUP(gen, net, &k);				\
		if (v)							\
			return v;					\
	}								\
	if (cfg->skip_lpm & (skip))					\
		return NULL;						\
	__builtin_memcpy(lk.addr, addr, 16);				\
	return GEN_LOOKUP(gen, lpm, &lk);				\
}

PF_MATCH4(pf_match_src4, pf_snet4, pf_src4, src4_lens, PF_SKIP_SRC4)
PF_MATCH4(pf_match_dst4, pf_dnet4, pf_dst4, dst4_lens, PF_SKIP_DST4)
PF_MATCH6(pf_match_src6, pf_snet6, pf_src6, src6_lens, PF_SKIP_SRC6)
PF_MATCH6(pf_match_dst6, pf_dnet6, pf_dst6, dst6_lens, PF_SKIP_DST6)

/*
 * Steps 4-7 of the contract's precedence, for a well-formed packet. A
 * dry-run deny slot decides only when nothing else drops the packet: then
 * the verdict is its DROP_DENY_RULE with *flags PF_VERDICT_DRY_RUN.
 *
 * match starts as the active slots and each criterion only narrows it, so a
 * lookup is made only when some slot still in match needs it: with no slot
 * needing a source prefix, (src_bits | ~need_src) keeps every bit of match
 * whatever the trie holds, and once match is empty no lookup can bring a slot
 * back. The cheap array lookups (protocol, port) go first, the tries last. A
 * prefix value that is not looked up cannot name the rule either: its pairs
 * belong to slots that need that side, and none of those is in match.
 */
static __always_inline __u32 pf_decide(const struct pf_cfg *cfg, __u32 gen,
				       const struct pf_pkt *p, __u32 *rule,
				       __u32 *flags)
{
	const struct pf_prefix_val *sv = NULL, *dv = NULL, *v;
	struct pf_prefix_val sval, dval;
	__u64 l4_bits, match, deny, dry, allow, *bits;
	__u32 key;

	if (!cfg)
		return REASON_PASS;

	match = cfg->active;
	if (match & cfg->need_l4) {
		l4_bits = 0;
		key = p->l3.proto;
		bits = GEN_LOOKUP(gen, pf_proto, &key);
		if (bits)
			l4_bits = *bits;
		if (p->has_port) {
			key = p->port_class * 65536 + p->dport;
			bits = GEN_LOOKUP(gen, pf_port, &key);
			if (bits)
				l4_bits |= *bits;
		}
		match &= l4_bits | ~cfg->need_l4;
	}
	if (match & cfg->need_src) {
		if (p->l3.family == 4)
			v = pf_match_src4(cfg, gen, p->l3.src + 12);
		else
			v = pf_match_src6(cfg, gen, p->l3.src);
		/* a copy on the stack: the verifier need not tell apart
		 * which of the maps the value came from */
		if (v) {
			__builtin_memcpy(&sval, v, sizeof(sval));
			sv = &sval;
		}
		match &= (sv ? sv->slots : 0) | ~cfg->need_src;
	}
	if (match & cfg->need_dst) {
		if (p->l3.family == 4)
			v = pf_match_dst4(cfg, gen, p->l3.dst + 12);
		else
			v = pf_match_dst6(cfg, gen, p->l3.dst);
		if (v) {
			__builtin_memcpy(&dval, v, sizeof(dval));
			dv = &dval;
		}
		match &= (dv ? dv->slots : 0) | ~cfg->need_dst;
	}

	deny = match & cfg->deny;
	dry = deny & cfg->dry;
	deny &= ~dry;
	if (deny) {
		*rule = pick_rule(cfg, deny, sv, dv);
		return REASON_DROP_DENY_RULE;
	}
	allow = match & cfg->allow;
	/* allowlist mode must not cut the link: IPv6 neighbour discovery
	 * passes like ARP, unless a deny rule matched */
	if (cfg->mode == PF_MODE_ALLOWLIST && !allow && !p->is_nd)
		return REASON_DROP_NOT_ALLOWED;
	if (cfg->rate_pps && !pf_rate_ok(cfg, p))
		return REASON_DROP_RATE_LIMIT;
	/* only dry-run deny slots matched: the drop they would make */
	if (dry) {
		*rule = pick_rule(cfg, dry, sv, dv);
		*flags = PF_VERDICT_DRY_RUN;
		return REASON_DROP_DENY_RULE;
	}
	if (cfg->mode == PF_MODE_ALLOWLIST && !allow)
		return REASON_PASS_NDP;
	if (allow) {
		*rule = pick_rule(cfg, allow, sv, dv);
		return REASON_PASS_ALLOWED;
	}
	return REASON_PASS;
}

/*
 * The L4 header of a first fragment or whole packet: its ports, and 0 or the
 * drop reason of a truncated header or an impossible one (l4_sanity.h).
 */
static __always_inline int pf_parse_l4(struct hdr_cursor *nh, void *data_end,
				       struct pf_pkt *p)
{
	int ret;

	switch (p->l3.proto) {
	case IPPROTO_TCP:
		p->port_class = PF_PORT_CLASS_TCP;
		ret = parse_tcphdr(nh, data_end, &p->l3, &p->sport, &p->dport,
				   &p->tcp_flags);
		break;
	case IPPROTO_UDP:
		p->port_class = PF_PORT_CLASS_UDP;
		ret = parse_udphdr(nh, data_end, &p->l3, &p->sport, &p->dport);
		break;
	case IPPROTO_SCTP:
		p->port_class = PF_PORT_CLASS_SCTP;
		ret = parse_sctphdr(nh, data_end, &p->l3, &p->sport, &p->dport);
		break;
	case IPPROTO_ICMPV6: {
		__u8 *type = nh->pos;

		/* neighbour discovery keeps the link alive, like ARP */
		if ((void *)(type + 1) <= data_end && *type >= 133 && *type <= 137)
			p->is_nd = 1;
		return 0;
	}
	default:
		return 0;
	}
	if (ret)
		return ret;
	p->has_port = 1;
	return l4_sanity(p->l3.proto, p->tcp_flags, p->sport, p->dport);
}

/*
 * A passed packet (not a later fragment) with the redirect stage on (xdp_redirect.h): to a
 * local pod's veth, counted REASON_PASS_XDP_REDIRECT, or on as passed.
 */
static __always_inline int pf_redirect_stage(struct xdp_md *ctx, const struct pf_cfg *cfg,
					     const struct pf_pkt *p, __u8 vlans,
					     __u32 reason, __u32 rule, __u32 flags)
{
	struct pf_rdr_pkt rp = {
		.len = p->len,
		.l3_len = p->l3.l3_len,
		.sport = p->sport,
		.dport = p->dport,
		.family = p->l3.family,
		.tcp = p->l3.proto == IPPROTO_TCP && p->l3.frag == FRAG_NONE,
		.tcp_flags = p->tcp_flags,
		.vlans = vlans,
	};
	int act;

	__builtin_memcpy(rp.src, p->l3.src, sizeof(rp.src));
	__builtin_memcpy(rp.dst, p->l3.dst, sizeof(rp.dst));
	act = pf_redirect(ctx, &rp);

	if (act != XDP_REDIRECT)
		return pf_verdict(ctx, cfg, p, reason, rule, flags);
	pf_verdict(ctx, cfg, p, REASON_PASS_XDP_REDIRECT, rule, flags);
	return act;
}

static __always_inline void pf_frag_key_of(struct pf_frag_key *k,
					   const struct pf_pkt *p)
{
	__builtin_memcpy(k->src, p->l3.src, sizeof(k->src));
	__builtin_memcpy(k->dst, p->l3.dst, sizeof(k->dst));
	k->id = p->l3.frag_id;
	k->proto = p->l3.frag_proto;
	k->family = p->l3.family;
	k->_pad = 0;
}

SEC("xdp")
int weir_prefilter(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct hdr_cursor nh = { .pos = data };
	struct pf_pkt p = {};
	struct pf_frag_key fk;
	struct pf_frag_val fv, *known;
	const struct pf_cfg *cfg;
	__u32 zero = 0, gen = 0, *active, rule = PF_RULE_NONE, reason;
	__u32 flags = 0;
	__be16 eth_proto;
	__u8 vlans;

	p.len = data_end - data;

	/* the generation is read once: the packet sees one rule set */
	active = bpf_map_lookup_elem(&pf_active, &zero);
	if (active && *active)
		gen = 1;
	cfg = bpf_map_lookup_elem(&pf_cfg, &gen);

	reason = parse_ethhdr(&nh, data_end, &eth_proto, &vlans);
	if (reason)
		return pf_verdict(ctx, cfg, &p, reason, rule, flags);

	if (eth_proto == bpf_htons(ETH_P_IP))
		reason = parse_iphdr(&nh, data_end, &p.l3);
	else if (eth_proto == bpf_htons(ETH_P_IPV6))
		reason = parse_ip6hdr(&nh, data_end, &p.l3);
	else
		return pf_verdict(ctx, cfg, &p, REASON_PASS_NOT_IP, rule, flags);
	if (reason)
		return pf_verdict(ctx, cfg, &p, reason, rule, flags);

	if (p.l3.frag == FRAG_LATER) {
		/* follow the first fragment, else judge without ports */
		pf_frag_key_of(&fk, &p);
		known = bpf_map_lookup_elem(&pf_frag, &fk);
		if (known) {
			reason = known->reason;
			if (!reason_is_drop(reason))
				reason = REASON_PASS_FRAGMENT;
			return pf_verdict(ctx, cfg, &p, reason, known->rule,
					  known->flags);
		}
		reason = pf_decide(cfg, gen, &p, &rule, &flags);
		return pf_verdict(ctx, cfg, &p, reason, rule, flags);
	}

	reason = pf_parse_l4(&nh, data_end, &p);
	if (!reason && p.l3.proto == IPPROTO_TCP &&
	    (p.tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
		count_packet(&pf_tcp, PF_TCP_SYN, p.len);
	if (!reason)
		reason = pf_decide(cfg, gen, &p, &rule, &flags);
	if (!reason_is_drop(reason) && p.l3.proto == IPPROTO_TCP &&
	    p.l3.frag == FRAG_NONE && cfg && !(cfg->flags & PF_CFG_DRY_RUN)) {
		switch (pf_synproxy(ctx, &p.l3, p.sport, p.dport, p.tcp_flags,
				    p.len, vlans)) {
		case SP_TX:
			count_packet(&pf_stats, REASON_DROP_SYNPROXY_SYN, p.len);
			return XDP_TX;
		case SP_DROP:
			reason = REASON_DROP_SYNPROXY_ACK;
			rule = PF_RULE_NONE;
			break;
		}
	}

	if (p.l3.frag == FRAG_FIRST) {
		pf_frag_key_of(&fk, &p);
		fv.reason = reason;
		fv.rule = rule;
		fv.flags = flags;
		bpf_map_update_elem(&pf_frag, &fk, &fv, BPF_ANY);
	}
	if (!reason_is_drop(reason) && cfg && (cfg->flags & PF_CFG_REDIRECT))
		return pf_redirect_stage(ctx, cfg, &p, vlans, reason, rule, flags);
	return pf_verdict(ctx, cfg, &p, reason, rule, flags);
}

char _license[] SEC("license") = "GPL";
