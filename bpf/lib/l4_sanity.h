/* SPDX-License-Identifier: GPL-2.0 */
/*
 * L4 headers no real TCP/IP stack sends: impossible TCP flag combinations
 * (the scans of nmap and friends, and flood tools that set flags at random)
 * and TCP or UDP port 0. Each has its own drop reason, checked in this order
 * (the first that applies names the drop):
 *
 *   SYN+FIN                         REASON_DROP_TCP_SYN_FIN
 *   SYN+RST                         REASON_DROP_TCP_SYN_RST
 *   none of FIN SYN RST PSH ACK URG REASON_DROP_TCP_NO_FLAGS (null scan)
 *   FIN, PSH or URG without ACK     REASON_DROP_TCP_NO_ACK (FIN, Xmas scans)
 *   source or destination port 0    REASON_DROP_PORT_ZERO (TCP, UDP)
 *
 * Every other combination passes here: SYN, SYN+ACK, ACK, FIN+ACK, RST,
 * RST+ACK, PSH+ACK, and ECE/CWR alongside any of them.
 */
#ifndef __WEIR_L4_SANITY_H
#define __WEIR_L4_SANITY_H

#include <linux/types.h>
#include <linux/in.h>

#include "drop_reasons.h"
#include "parsing.h"

static __always_inline __u32 tcp_flags_sanity(__u8 flags)
{
	if ((flags & (TCP_SYN | TCP_FIN)) == (TCP_SYN | TCP_FIN))
		return REASON_DROP_TCP_SYN_FIN;
	if ((flags & (TCP_SYN | TCP_RST)) == (TCP_SYN | TCP_RST))
		return REASON_DROP_TCP_SYN_RST;
	if (!(flags & TCP_FLAGS_MASK))
		return REASON_DROP_TCP_NO_FLAGS;
	if ((flags & (TCP_FIN | TCP_PSH | TCP_URG)) && !(flags & TCP_ACK))
		return REASON_DROP_TCP_NO_ACK;
	return 0;
}

/*
 * 0, or the drop reason of a parsed L4 header: proto is the IP protocol,
 * tcp_flags the TCP flags byte (ignored for other protocols).
 */
static __always_inline __u32 l4_sanity(__u8 proto, __u8 tcp_flags,
				       __u16 sport, __u16 dport)
{
	__u32 reason = 0;

	if (proto == IPPROTO_TCP)
		reason = tcp_flags_sanity(tcp_flags);
	else if (proto != IPPROTO_UDP)
		return 0;
	if (!reason && (!sport || !dport))
		reason = REASON_DROP_PORT_ZERO;
	return reason;
}

#endif /* __WEIR_L4_SANITY_H */
