package dev.weir.agent.runtime;

import java.util.List;

/**
 * Reads the node's conntrack table ({@code ct}, docs/policy-datapath.md) for {@code weir bpf ct list}. The
 * kernel adapter implements it over the pinned map; {@link #NONE} reports an empty table until then.
 * Thread-safe.
 */
public interface ConntrackReader {

    /**
     * One entry, decoded: addresses as text, ports in host order, times as seconds from now.
     *
     * @param direction     {@code INGRESS} or {@code EGRESS}
     * @param expiresInSec  seconds until the entry expires (negative: expired, not yet collected)
     * @param state         {@code SYN_SENT}, {@code ESTABLISHED} or {@code CLOSING}
     * @param tcpFlagsSeen  the TCP flags seen on the connection (bits as in flow events)
     */
    record Entry(String protocol, String direction, String sourceIp, int sourcePort, String destinationIp,
                 int destinationPort, int endpointId, long expiresInSec, long packetsForward, long bytesForward,
                 long packetsReverse, long bytesReverse, int peerIdentity, int rule, String state, boolean audit,
                 int tcpFlagsSeen) {
    }

    /** The table now; a point-in-time read, not atomic across entries. */
    List<Entry> entries();

    /** The table's capacity, for its fill level; 0 when unknown. */
    default int capacity() {
        return 0;
    }

    /** No table: the kernel adapter is not wired yet. */
    ConntrackReader NONE = List::of;
}
