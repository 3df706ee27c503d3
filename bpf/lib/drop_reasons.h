/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Verdict reasons of weir's datapath: stable numeric codes, shared by every
 * program (prefilter now, policy and service programs later).
 *
 * Codes below 128 are pass reasons, codes from 128 are drop reasons; 250 and
 * up are bookkeeping counters in the stats maps, never a packet verdict.
 *
 * The codes are an ABI: the control plane and stored statistics know them by
 * number. Add new codes, never renumber or reuse one. The Java enum
 * dev.weir.datapath.DropReason mirrors this file and a unit test parses it
 * (one "REASON_NAME = number," per line, as below).
 */
#ifndef __WEIR_DROP_REASONS_H
#define __WEIR_DROP_REASONS_H

enum weir_reason {
	/* pass reasons */
	REASON_PASS			= 0,	/* no rule decided: passed */
	REASON_PASS_NOT_IP		= 1,	/* not IPv4/IPv6 (ARP, LLDP, ...) */
	REASON_PASS_ALLOWED		= 2,	/* an allow rule matched */
	REASON_PASS_FRAGMENT		= 3,	/* non-first fragment of a passed first fragment */
	REASON_PASS_NDP			= 4,	/* IPv6 neighbour discovery in allowlist mode */
	REASON_PASS_NO_ENDPOINT		= 5,	/* interface has no endpoint entry */
	REASON_PASS_AUDIT		= 6,	/* would have been dropped; audit mode */
	REASON_PASS_REPLY		= 7,	/* conntrack reply */
	REASON_PASS_ESTABLISHED		= 8,	/* conntrack hit, forward direction */
	REASON_PASS_POLICY		= 9,	/* new connection allowed by policy */
	REASON_PASS_SERVICE_DNAT	= 10,	/* service frontend translated to a backend (TC, or a socket's connect/sendmsg) */
	REASON_PASS_SERVICE_REVNAT	= 11,	/* backend restored to the frontend (TC reply, or a socket's recvmsg/getpeername) */
	REASON_PASS_SOCKMAP		= 12,	/* a same-node TCP message put into the peer socket (sockmap: no TCP, IP, veth, TC) */
	REASON_PASS_XDP_REDIRECT	= 13,	/* prefilter: an established connection's packet sent to the local pod's veth (XDP_REDIRECT, no stack, no TC) */

	/* drop reasons: rules */
	REASON_DROP_DENY_RULE		= 128,	/* a deny rule matched */
	REASON_DROP_NOT_ALLOWED		= 129,	/* allowlist mode and no allow rule matched */
	REASON_DROP_RATE_LIMIT		= 130,	/* per-source rate limit exceeded */

	/* drop reasons: malformed or truncated headers */
	REASON_DROP_ETH_TRUNC		= 131,	/* Ethernet header truncated */
	REASON_DROP_VLAN_TRUNC		= 132,	/* VLAN tag truncated */
	REASON_DROP_VLAN_DEPTH		= 133,	/* more than two VLAN tags */
	REASON_DROP_IP4_TRUNC		= 134,	/* IPv4 header truncated */
	REASON_DROP_IP4_HDR		= 135,	/* IPv4 version or total length invalid */
	REASON_DROP_IP4_IHL		= 136,	/* IPv4 ihl < 5 or options truncated */
	REASON_DROP_IP6_TRUNC		= 137,	/* IPv6 header truncated */
	REASON_DROP_IP6_HDR		= 138,	/* IPv6 version or payload length invalid */
	REASON_DROP_IP6_EXT		= 139,	/* IPv6 extension header truncated or invalid */
	REASON_DROP_IP6_EXT_DEPTH	= 140,	/* more than 8 IPv6 extension headers */
	REASON_DROP_L4_TRUNC		= 141,	/* TCP/UDP/SCTP header truncated or invalid */

	/* drop reasons: endpoint policy and conntrack */
	REASON_DROP_POLICY		= 142,	/* no allow for an enforced direction */
	REASON_DROP_POLICY_DENY		= 143,	/* an explicit deny matched */
	REASON_DROP_CT_FULL		= 144,	/* conntrack insert failed */
	REASON_DROP_FRAG_NOT_FOUND	= 145,	/* non-first fragment whose first fragment was not seen */

	/* drop reasons: services */
	REASON_DROP_NO_SERVICE_BACKEND	= 146,	/* service without a usable backend (socket: connect/sendmsg refused) */
	REASON_DROP_NAT_FAILED		= 147,	/* packet rewrite (service NAT) failed */
	REASON_DROP_LB_SRC_RANGE	= 148,	/* source outside the LoadBalancer's loadBalancerSourceRanges */
	REASON_DROP_SNAT_FAILED		= 149,	/* external client: no SNAT address or no free SNAT port */

	/* drop reasons: impossible TCP flags and L4 ports (never sent by a real stack) */
	REASON_DROP_TCP_SYN_FIN		= 150,	/* TCP SYN and FIN together */
	REASON_DROP_TCP_SYN_RST		= 151,	/* TCP SYN and RST together */
	REASON_DROP_TCP_NO_FLAGS	= 152,	/* TCP without any of FIN SYN RST PSH ACK URG (null scan) */
	REASON_DROP_TCP_NO_ACK		= 153,	/* TCP FIN, PSH or URG without ACK (e.g. Xmas scan) */
	REASON_DROP_PORT_ZERO		= 154,	/* TCP or UDP with source or destination port 0 */

	/* SYN proxy (prefilter, synproxy.h): the packet does not go up the stack */
	REASON_DROP_SYNPROXY_SYN	= 165,	/* SYN answered with a SYN cookie from XDP (XDP_TX) */
	REASON_DROP_SYNPROXY_ACK	= 166,	/* ACK to a proxied port: no valid cookie, no known flow */

	/* workload guard (sock_guard.c): the socket call is refused with EPERM, nothing is sent */
	REASON_DROP_GUARD_CONNECT	= 167,	/* connect() to a destination the pod's guard does not allow */
	REASON_DROP_GUARD_SENDMSG	= 168,	/* sendto()/sendmsg() to a destination the guard does not allow */
	REASON_DROP_GUARD_BIND		= 169,	/* bind() of a port the guard does not allow */

	/* direct server return (nodeport.c, docs/service-datapath.md "Direct server return") */
	REASON_DROP_DSR_OPT		= 170,	/* a DSR IPv4 option / IPv6 destination option with a wrong length */
	REASON_DROP_DSR_NO_ROOM		= 171,	/* the DSR option would not fit the MTU: answered with fragmentation
					   needed / packet too big */
	REASON_DROP_DSR_HOP_BY_HOP	= 172,	/* IPv6 DSR: a packet to carry the option has a hop-by-hop header */

	/* bookkeeping counters (stats maps only) */
	REASON_EVENTS_LOST		= 250,	/* event not written: ring buffer full */
	REASON_EVENTS_SENT		= 251,	/* event written to the ring buffer */
};

#define REASON_FIRST_DROP	128
#define REASON_MAX		256	/* stats maps have this many entries */

static __always_inline int reason_is_drop(__u32 reason)
{
	return reason >= REASON_FIRST_DROP;
}

#endif /* __WEIR_DROP_REASONS_H */
