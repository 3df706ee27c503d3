package dev.weir.agent.flow;

/**
 * One {@code struct dns_event} as the kernel adapter reads it from the {@code dns_events} ring buffer: the
 * packet as a flow event sees it (verdict FORWARDED or DROPPED, its reason, no rule) and the bytes after its
 * L4 header, as many as the datapath copied. Immutable.
 *
 * @param packet        the packet's tuple, identities, endpoint, direction and verdict
 * @param message       UDP: the DNS message; TCP: the segment's payload (a message starts with its 2-byte length)
 * @param messageLength the payload's length in the packet (more than {@code message} holds when cut)
 */
public record RawDnsEvent(RawFlowEvent packet, byte[] message, int messageLength) {

    public RawDnsEvent {
        message = message.clone();
    }

    @Override
    public byte[] message() {
        return message.clone();
    }

    /** Whether the packet went to port 53 (a request), not from it. */
    public boolean request() {
        return packet.destinationPort() == 53;
    }
}
