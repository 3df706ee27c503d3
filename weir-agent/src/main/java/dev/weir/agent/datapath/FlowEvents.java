package dev.weir.agent.datapath;

import java.time.Instant;
import java.util.Arrays;

import dev.weir.agent.flow.RawDnsEvent;
import dev.weir.agent.flow.RawFlowEvent;
import dev.weir.agent.service.IpAddress;
import dev.weir.datapath.endpoint.DnsEvent;
import dev.weir.datapath.endpoint.FlowEvent;

/**
 * The kernel adapter's conversion of a decoded {@code struct flow_event} into the flow pipeline's
 * {@link RawFlowEvent}: the monotonic timestamp to wall-clock time, addresses to text. Public so that the
 * flow benchmark runs exactly the agent's decode path. Stateless.
 */
public final class FlowEvents {

    private FlowEvents() {
    }

    /**
     * @param wallMinusMono wall-clock nanoseconds minus {@code System.nanoTime()} (both since the epoch
     *                      of their clocks), taken once when the reader starts
     */
    public static RawFlowEvent raw(FlowEvent e, long wallMinusMono) {
        return new RawFlowEvent(Instant.ofEpochSecond(0, e.tsNs() + wallMinusMono), e.epId(), e.ifindex(),
                e.srcIdentity(), e.dstIdentity(), e.rule(), e.reason(), e.verdict(), e.dir(), e.isReply(), e.family(),
                e.proto(), e.tcpFlags(), e.match(), e.sport(), e.dport(), text(e.saddr(), e.family()),
                text(e.daddr(), e.family()), e.len(), e.svcId(), e.revNatId(), e.hook());
    }

    /** A {@code struct dns_event}: the packet as a flow event (no rule, no TCP flags), and its message bytes. */
    public static RawDnsEvent raw(DnsEvent e, long wallMinusMono) {
        RawFlowEvent packet = new RawFlowEvent(Instant.ofEpochSecond(0, e.tsNs() + wallMinusMono), e.epId(), e.ifindex(),
                e.srcIdentity(), e.dstIdentity(), 0, e.reason(), e.verdict(), e.dir(), false, e.family(), e.proto(), 0, 0,
                e.sport(), e.dport(), text(e.saddr(), e.family()), text(e.daddr(), e.family()), e.msgLen());
        return new RawDnsEvent(packet, e.data(), e.msgLen());
    }

    /**
     * An address of the given family as text: a v4-mapped 16-byte address as dotted IPv4, IPv6 in RFC 5952
     * form (as endpoints list their addresses, so that flows find their pods).
     */
    static String text(byte[] addr16, int family) {
        return new IpAddress(family == 4 ? Arrays.copyOfRange(addr16, 12, 16) : addr16.clone()).toString();
    }
}
