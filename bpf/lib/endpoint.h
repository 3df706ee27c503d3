/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Endpoints and the endpoint programs' configuration: ep_by_ifindex and
 * ep_cfg (docs/policy-datapath.md). Mirrored by dev.weir.datapath.endpoint
 * (EpInfo, EpCfg); a test compares them with the object's BTF.
 */
#ifndef __WEIR_ENDPOINT_H
#define __WEIR_ENDPOINT_H

#include <linux/types.h>

#define EP_F_INGRESS_ENFORCED	(1 << 0)	/* some policy selects it for ingress: default deny */
#define EP_F_EGRESS_ENFORCED	(1 << 1)
#define EP_F_INGRESS_AUDIT	(1 << 2)	/* would-be ingress drops pass, verdict AUDIT */
#define EP_F_EGRESS_AUDIT	(1 << 3)

/* Directions, as in pol_key.dir, ct_key.dir and flow_event.dir. */
#define EP_DIR_INGRESS		0	/* to the pod: weir_to_ep */
#define EP_DIR_EGRESS		1	/* from the pod: weir_from_ep */

/* ep_by_ifindex value, keyed by the lxc interface's ifindex (u32). */
struct ep_info {
	__u32 ep_id;		/* endpoint id, 1..65535 */
	__u32 identity;		/* the endpoint's identity */
	__u32 flags;		/* EP_F_* */
	__u32 pol_gen;		/* generation of this endpoint's entries in pol: 0 or 1 */
};

/*
 * ep_cfg[0]. Lifetimes in nanoseconds; 0 selects the default in brackets
 * (an agent that has not written the entry yet gets sane conntrack).
 */
struct ep_cfg {
	__u64 ct_syn_ns;		/* TCP, SYN seen, not established [60 s] */
	__u64 ct_established_ns;	/* TCP established [21600 s] */
	__u64 ct_closing_ns;		/* TCP FIN or RST seen [10 s] */
	__u64 ct_other_ns;		/* every other protocol [60 s] */
	__u32 trace_every;		/* 1-in-N forwarded packets traced per CPU; 0 off */
	__u32 tunnel_ifindex;		/* tunnel mode: the VXLAN device (weir_vxlan); 0: no tunnel */
};

#define EP_CT_SYN_DEFAULT_NS		(60ULL * 1000000000ULL)
#define EP_CT_ESTABLISHED_DEFAULT_NS	(21600ULL * 1000000000ULL)
#define EP_CT_CLOSING_DEFAULT_NS	(10ULL * 1000000000ULL)
#define EP_CT_OTHER_DEFAULT_NS		(60ULL * 1000000000ULL)

#endif /* __WEIR_ENDPOINT_H */
