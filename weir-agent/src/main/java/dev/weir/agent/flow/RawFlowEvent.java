package dev.weir.agent.flow;

import java.time.Instant;

/**
 * One {@code struct flow_event} as the kernel adapter reads it from the {@code flow_events} ring buffer
 * (docs/policy-datapath.md), with the timestamp already turned into wall-clock time and addresses into
 * text (IPv4 without the v4-mapped prefix). Immutable.
 *
 * @param verdict   1 FORWARDED, 2 DROPPED, 3 AUDIT, 4 TRACED
 * @param direction 0 ingress (to the pod), 1 egress (from the pod)
 * @param match     0 none, 1 L3 only, 2 L3+L4, 3 L4 only, 4 all
 * @param tcpFlags  FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20
 * @param svcId     the datapath service when the packet was translated (DNAT, or a reply's reverse NAT), else 0
 * @param revNatId  the frontend it was translated from or to ({@code lb_revnat} key), else 0
 * @param hook      the socket call a workload guard judged (1 connect, 2 sendmsg, 3 bind), 0 for a packet
 */
public record RawFlowEvent(Instant time, int endpointId, int ifindex, int sourceIdentity, int destinationIdentity,
                           int rule, int reason, int verdict, int direction, boolean reply, int family, int protocol,
                           int tcpFlags, int match, int sourcePort, int destinationPort, String sourceIp,
                           String destinationIp, int length, int svcId, int revNatId, int hook) {

    /** An event of a packet (no socket call). */
    public RawFlowEvent(Instant time, int endpointId, int ifindex, int sourceIdentity, int destinationIdentity,
                        int rule, int reason, int verdict, int direction, boolean reply, int family, int protocol,
                        int tcpFlags, int match, int sourcePort, int destinationPort, String sourceIp,
                        String destinationIp, int length, int svcId, int revNatId) {
        this(time, endpointId, ifindex, sourceIdentity, destinationIdentity, rule, reason, verdict, direction, reply,
                family, protocol, tcpFlags, match, sourcePort, destinationPort, sourceIp, destinationIp, length, svcId,
                revNatId, 0);
    }

    /** An event of a packet that was not translated. */
    public RawFlowEvent(Instant time, int endpointId, int ifindex, int sourceIdentity, int destinationIdentity,
                        int rule, int reason, int verdict, int direction, boolean reply, int family, int protocol,
                        int tcpFlags, int match, int sourcePort, int destinationPort, String sourceIp,
                        String destinationIp, int length) {
        this(time, endpointId, ifindex, sourceIdentity, destinationIdentity, rule, reason, verdict, direction, reply,
                family, protocol, tcpFlags, match, sourcePort, destinationPort, sourceIp, destinationIp, length, 0, 0);
    }
}
