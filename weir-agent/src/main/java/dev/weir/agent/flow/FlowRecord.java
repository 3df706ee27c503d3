package dev.weir.agent.flow;

import java.time.Instant;
import java.util.List;

/**
 * A decorated flow in the history: what {@code weir observe} shows. Immutable.
 *
 * @param seq              position in the agent's history (1, 2, …), for resuming a follow
 * @param dropReason       the datapath's reason code (0 for a pass)
 * @param dropReasonName   Hubble's name for a drop reason ({@code POLICY_DENIED}…), null when forwarded
 * @param dropReasonDesc   a description for people
 * @param protocol         {@code TCP}, {@code UDP}, {@code SCTP}, {@code ICMPv4}, {@code ICMPv6} or the number
 * @param tcpFlags         flag names set ({@code SYN}, {@code ACK}…) in FIN SYN RST PSH ACK URG order
 * @param trafficDirection {@code INGRESS} or {@code EGRESS}
 * @param policyMatchType  0 none, 1 L3 only, 2 L3+L4, 3 L4 only, 4 all (Cilium's numbering)
 * @param policy           the policy that decided, or null
 * @param summary          Hubble's Summary, e.g. {@code TCP Flags: SYN}
 * @param service          the service the flow was translated through (the destination's for a connection
 *                         to a frontend, the source's for a reply restored to it), or null
 * @param sourceNames      DNS names the observing pod resolved to the source address (Hubble's
 *                         {@code source_names}), for flows to the pod; empty when none
 * @param destinationNames DNS names the observing pod resolved to the destination address
 *                         ({@code destination_names}), for flows from the pod; empty when none
 * @param dns              the DNS message of an L7 DNS flow (DNS visibility), or null for an L3/L4 flow
 */
public record FlowRecord(long seq, Instant time, Verdict verdict, int dropReason, String dropReasonName,
                         String dropReasonDesc, int ipVersion, String sourceIp, String destinationIp,
                         FlowPeer source, FlowPeer destination, String protocol, int sourcePort,
                         int destinationPort, List<String> tcpFlags, String trafficDirection, boolean isReply,
                         String nodeName, int policyMatchType, PolicyRef policy, String summary, ServiceRef service,
                         List<String> sourceNames, List<String> destinationNames, Dns dns) {

    public FlowRecord {
        tcpFlags = List.copyOf(tcpFlags);
        sourceNames = sourceNames == null ? List.of() : List.copyOf(sourceNames);
        destinationNames = destinationNames == null ? List.of() : List.copyOf(destinationNames);
    }

    /** An L3/L4 flow without DNS names. */
    public FlowRecord(long seq, Instant time, Verdict verdict, int dropReason, String dropReasonName,
                      String dropReasonDesc, int ipVersion, String sourceIp, String destinationIp,
                      FlowPeer source, FlowPeer destination, String protocol, int sourcePort,
                      int destinationPort, List<String> tcpFlags, String trafficDirection, boolean isReply,
                      String nodeName, int policyMatchType, PolicyRef policy, String summary, ServiceRef service) {
        this(seq, time, verdict, dropReason, dropReasonName, dropReasonDesc, ipVersion, sourceIp, destinationIp, source,
                destination, protocol, sourcePort, destinationPort, tcpFlags, trafficDirection, isReply, nodeName,
                policyMatchType, policy, summary, service, List.of(), List.of(), null);
    }

    /** A flow that went through no service. */
    public FlowRecord(long seq, Instant time, Verdict verdict, int dropReason, String dropReasonName,
                      String dropReasonDesc, int ipVersion, String sourceIp, String destinationIp,
                      FlowPeer source, FlowPeer destination, String protocol, int sourcePort,
                      int destinationPort, List<String> tcpFlags, String trafficDirection, boolean isReply,
                      String nodeName, int policyMatchType, PolicyRef policy, String summary) {
        this(seq, time, verdict, dropReason, dropReasonName, dropReasonDesc, ipVersion, sourceIp, destinationIp, source,
                destination, protocol, sourcePort, destinationPort, tcpFlags, trafficDirection, isReply, nodeName,
                policyMatchType, policy, summary, null);
    }

    /**
     * A service as a flow names it.
     *
     * @param frontend the address and port the client used, {@code 10.96.0.10:80} or {@code [fd00:10:96::10]:80}
     */
    public record ServiceRef(String namespace, String name, String frontend) {
    }

    /** The policy (or part of one) that allowed or denied the flow. */
    public record PolicyRef(String kind, String namespace, String name) {
    }

    /**
     * The DNS message of an L7 DNS flow, in Hubble's terms ({@code l7.dns}).
     *
     * @param type    {@code REQUEST} (to port 53) or {@code RESPONSE} (from it)
     * @param query   the first question's name with its trailing dot; null when the message is malformed
     * @param qtypes  the questions' types ({@code A}, {@code AAAA}…)
     * @param rcode   the response code (0 NOERROR, 3 NXDOMAIN…); 0 in a request
     * @param ips     the addresses of the A and AAAA answers
     * @param ttl     the least TTL of those answers in seconds; -1 without any
     * @param cnames  the CNAME answers' targets
     * @param rrtypes the answers' types
     * @param partial the message was cut inside its answers (longer than the datapath copies)
     * @param error   why the bytes are no DNS message; null when they are one
     */
    public record Dns(String type, String query, List<String> qtypes, int rcode, List<String> ips, long ttl,
                      List<String> cnames, List<String> rrtypes, boolean partial, String error) {
        public Dns {
            qtypes = List.copyOf(qtypes);
            ips = List.copyOf(ips);
            cnames = List.copyOf(cnames);
            rrtypes = List.copyOf(rrtypes);
        }
    }

    /** The same record at another position in a history. */
    public FlowRecord withSeq(long n) {
        return new FlowRecord(n, time, verdict, dropReason, dropReasonName, dropReasonDesc, ipVersion, sourceIp,
                destinationIp, source, destination, protocol, sourcePort, destinationPort, tcpFlags, trafficDirection,
                isReply, nodeName, policyMatchType, policy, summary, service, sourceNames, destinationNames, dns);
    }

    /** The IP protocol's number ({@link #protocol} names it). */
    public int protocolNumber() {
        return FlowDecorator.protocolNumber(protocol);
    }

    public boolean hasPorts() {
        return protocol.equals("TCP") || protocol.equals("UDP") || protocol.equals("SCTP");
    }
}
