/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The XDP prefilter's map keys and values: the contract with the control
 * plane (docs/prefilter-datapath.md). The Java records in weir-datapath
 * (dev.weir.datapath.prefilter) mirror these; a test compares them with the
 * BTF of the compiled object. Change both, and the document, together.
 */
#ifndef __WEIR_PREFILTER_H
#define __WEIR_PREFILTER_H

#include <linux/types.h>

#define PF_SLOTS		64
#define PF_RULE_PAIRS		4
#define PF_RULE_SLOT_NONE	0xff
#define PF_RULE_NONE		0xffffffff	/* no rule decided the verdict */

#define PF_MODE_DENYLIST	0
#define PF_MODE_ALLOWLIST	1

/* pf_cfg.flags */
#define PF_CFG_DRY_RUN		(1 << 0)	/* the whole prefilter: count drops, pass */
#define PF_CFG_REDIRECT		(1 << 1)	/* redirect stage on (xdp_redirect.h) */

/* pf_frag_val.flags, pf_event.flags: the drop was not carried out (dry run) */
#define PF_VERDICT_DRY_RUN	(1 << 0)

#define PF_PORT_CLASS_TCP	0
#define PF_PORT_CLASS_UDP	1
#define PF_PORT_CLASS_SCTP	2
#define PF_PORT_ENTRIES		(3 * 65536)

#define PF_EVENT_SNAP		128	/* packet bytes copied into an event */

#define PF_NET_LENS		8	/* prefix lengths hashed per side and family */
#define PF_NET_LEN_END		0xff	/* ends a pf_cfg length list */

/* pf_cfg.skip_lpm bits: tries that hold no prefix, so are not walked */
#define PF_SKIP_SRC4		(1 << 0)
#define PF_SKIP_DST4		(1 << 1)
#define PF_SKIP_SRC6		(1 << 2)
#define PF_SKIP_DST6		(1 << 3)

struct pf_cfg {
	__u64 need_src;		/* slots that need a source prefix match */
	__u64 need_dst;		/* slots that need a destination prefix match */
	__u64 need_l4;		/* slots that need a protocol/port match */
	__u64 deny;		/* slots by action */
	__u64 allow;
	__u64 dry;		/* deny slots in dry run: counted, not dropped */
	__u64 active;		/* slots in use */
	__u32 mode;		/* PF_MODE_* */
	__u32 rate_pps;		/* 0: no rate limit */
	__u32 rate_burst;	/* bucket size, packets */
	__u32 sample_every;	/* 1-in-N drop events per CPU; 0: none */
	__u32 slot_rule[PF_SLOTS]; /* rule id of a slot when the prefix names none */
	/*
	 * Prefix lengths held in the hash maps pf_snet4_G … (at most
	 * PF_NET_LENS, longest first, PF_NET_LEN_END after the last). The
	 * datapath looks the address up masked to each in turn, first hit
	 * wins, and walks the trie only on a miss of all: the trie holds
	 * only prefixes shorter than every listed length.
	 */
	__u8  src4_lens[PF_NET_LENS];
	__u8  dst4_lens[PF_NET_LENS];
	__u8  src6_lens[PF_NET_LENS];
	__u8  dst6_lens[PF_NET_LENS];
	__u32 skip_lpm;		/* PF_SKIP_*: empty tries, not walked */
	__u32 flags;		/* PF_CFG_* */
};

struct pf_lpm4_key {
	__u32 prefixlen;
	__u8  addr[4];
};

struct pf_lpm6_key {
	__u32 prefixlen;
	__u8  addr[16];
};

struct pf_prefix_val {
	__u64 slots;			/* this prefix's and every containing prefix's */
	__u32 rule[PF_RULE_PAIRS];	/* (slot, rule id) pairs, most specific first */
	__u8  rule_slot[PF_RULE_PAIRS];	/* PF_RULE_SLOT_NONE: unused pair */
	__u32 _pad;
};

/*
 * pf_snet4_G / pf_dnet4_G key: a prefix length and the address masked to
 * it (network order, bits past len zero); pad zero.
 */
struct pf_net4 {
	__u8 len;
	__u8 pad[3];
	__u8 addr[4];
};

/* pf_snet6_G / pf_dnet6_G key: as pf_net4, for IPv6 */
struct pf_net6 {
	__u8 len;
	__u8 pad[3];
	__u8 addr[16];
};

/* pf_rate key: IPv6 address, IPv4 as v4-mapped (::ffff:a.b.c.d) */
struct pf_addr {
	__u8 addr[16];
};

/*
 * Token bucket. tokens is credit in nanoseconds: one packet costs
 * 1e9 / rate_pps ns, the bucket holds at most rate_burst packets' worth.
 */
struct pf_bucket {
	__u64 tokens;
	__u64 last_ns;
};

/* Fragment key: addresses v4-mapped for IPv4; proto is IPv4's protocol or
 * the IPv6 fragment header's next header. */
struct pf_frag_key {
	__u8  src[16];
	__u8  dst[16];
	__u32 id;		/* IPv4 identification or IPv6 fragment id, host order */
	__u8  proto;
	__u8  family;		/* 4 or 6 */
	__u16 _pad;
};

struct pf_frag_val {
	__u32 reason;		/* verdict reason of the first fragment */
	__u32 rule;		/* rule that decided it, PF_RULE_NONE if none */
	__u32 flags;		/* PF_VERDICT_DRY_RUN: the drop was a dry run */
};

struct pf_counter {
	__u64 packets;
	__u64 bytes;
};

/*
 * A sampled drop (or dry-run would-drop), as written to pf_events.
 * Multi-byte fields host order.
 */
struct pf_event {
	__u64 ts_ns;		/* bpf_ktime_get_ns() */
	__u32 ifindex;		/* ingress interface */
	__u32 rule;		/* PF_RULE_NONE unless a rule decided */
	__u32 reason;		/* enum weir_reason */
	__u32 pkt_len;		/* bytes in the packet (linear part) */
	__u16 sport;		/* 0 when unknown */
	__u16 dport;
	__u8  family;		/* 4, 6; 0 when not (yet) known */
	__u8  proto;		/* IP protocol, 0 when not known */
	__u16 cap_len;		/* valid bytes in data[] */
	__u8  src[16];		/* IPv4 as v4-mapped */
	__u8  dst[16];
	__u8  data[PF_EVENT_SNAP];	/* first bytes of the packet */
	__u32 flags;		/* PF_VERDICT_DRY_RUN: passed, would have dropped */
	__u32 _pad;
};

/* pf_syn_flows key: a connection the SYN proxy let through (synproxy.h) */
struct pf_syn_flow {
	__u8  src[16];		/* IPv4 as v4-mapped IPv6 */
	__u8  dst[16];
	__u16 sport;		/* host order */
	__u16 dport;
};

/* pf_tcp (per-CPU struct pf_counter) entries */
#define PF_TCP_SYN		0	/* TCP SYNs (without ACK) that passed the header checks */
#define PF_TCP_COOKIE_SENT	1	/* SYNs answered with a SYN cookie (XDP_TX) */
#define PF_TCP_COOKIE_OK	2	/* ACKs with a valid cookie, passed */
#define PF_TCP_COUNTERS		4

/*
 * The redirect stage (xdp_redirect.h, docs/prefilter-datapath.md "Redirect
 * to local pods"). pf_rdr_ep value, keyed by a local pod's address (16 bytes,
 * IPv4 v4-mapped).
 */
struct pf_rdr_ep {
	__u32 ep_id;		/* the endpoint, as in ep_info.ep_id */
	__u32 ifindex;		/* its host-side veth (lxc): pf_devmap's and ep_by_ifindex's key */
	__u8  pod_mac[6];	/* the pod's eth0: the redirected frame's destination */
	__u8  lxc_mac[6];	/* the lxc veth: the redirected frame's source */
};

/* pf_rdr_if value, keyed by the ifindex the prefilter is attached to: redirect there. */
struct pf_rdr_if {
	__u8  mac[6];		/* the interface's own address: only frames sent to it are redirected */
	__u16 _pad;
};

/* pf_rdr_stats (per-CPU struct pf_counter) entries: packets to a local pod, by outcome */
#define PF_RDR_ESTABLISHED	0	/* redirected: a connection the pod accepted */
#define PF_RDR_REPLY		1	/* redirected: a reply of a connection the pod opened */
#define PF_RDR_NOT_TCP		2	/* TC path: not TCP, or a fragment */
#define PF_RDR_SHAPE		3	/* TC path: VLAN tag, IPv4 options or IPv6 extension headers */
#define PF_RDR_FLAGS		4	/* TC path: SYN, FIN or RST (conntrack's state changes at TC) */
#define PF_RDR_NO_CT		5	/* TC path: no live established conntrack entry */
#define PF_RDR_CT_FLAGS		6	/* TC path: the entry is audit-only, translated or hairpinned */
#define PF_RDR_POLICY		7	/* TC path: the pod's current policy would not allow it */
#define PF_RDR_TTL		8	/* TC path: TTL / hop limit would expire */
#define PF_RDR_NO_DEV		9	/* TC path: endpoint or devmap entry missing or stale */
#define PF_RDR_COUNTERS		16

#endif /* __WEIR_PREFILTER_H */
