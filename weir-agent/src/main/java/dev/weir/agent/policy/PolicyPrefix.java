package dev.weir.agent.policy;

/**
 * One key of an endpoint's {@code pol} LPM trie with the verdict it holds (docs/policy-datapath.md,
 * {@code struct pol_key}): what a {@link PolicyEntry} becomes once {@link PolicyPrefixes} has split its port
 * range into aligned blocks and its null family (with a protocol) into 4 and 6. The map writer only encodes
 * it, under an endpoint id and a generation. Immutable; the constructor throws
 * {@link IllegalArgumentException} for a length outside 96..128.
 *
 * @param dir          the lookup's direction
 * @param peerIdentity the peer's identity, 0 = any peer
 * @param family       4 or 6; 0 when the prefix stops before the family
 * @param proto        IP protocol; 0 when the prefix stops before it
 * @param port         the first port of the block; 0 when the prefix stops before the port
 * @param length       the LPM prefix length as {@code pol_key.prefixlen} counts it: {@link #IDENTITY},
 *                     {@link #FAMILY}, or {@link #PROTO} plus 0..16 leading bits of the port
 * @param action       allow or deny
 * @param rule         index in the rule table, 0 = none
 */
public record PolicyPrefix(Direction dir, int peerIdentity, int family, int proto, int port, int length,
                           Action action, int rule) implements Comparable<PolicyPrefix> {

    /** The prefix stops after the peer identity: every family, protocol and port. */
    public static final int IDENTITY = 96;
    /** The prefix stops after the family. */
    public static final int FAMILY = 104;
    /** The prefix stops after the protocol; each port bit kept adds one. */
    public static final int PROTO = 112;

    public PolicyPrefix {
        if (length < IDENTITY || length > PROTO + 16) {
            throw new IllegalArgumentException("prefix length " + length + " outside " + IDENTITY + ".." + (PROTO + 16));
        }
    }

    /** True when the key names a protocol: {@code pol_val.has_l4}, which flow events report as their match. */
    public boolean hasL4() {
        return length >= PROTO;
    }

    /** How many leading bits of the port the key keeps, 0..16. */
    public int portBits() {
        return Math.max(0, length - PROTO);
    }

    @Override
    public int compareTo(PolicyPrefix o) {
        int c = dir.compareTo(o.dir);
        if (c == 0) c = Integer.compareUnsigned(peerIdentity, o.peerIdentity);
        if (c == 0) c = Integer.compare(family, o.family);
        if (c == 0) c = Integer.compare(proto, o.proto);
        if (c == 0) c = Integer.compare(port, o.port);
        if (c == 0) c = Integer.compare(length, o.length);
        if (c == 0) c = action.compareTo(o.action);
        return c != 0 ? c : Integer.compare(rule, o.rule);
    }

    /** {@code ingress 257 v4 tcp/80-87 allow #3}; {@code *} for what the prefix leaves out. */
    @Override
    public String toString() {
        String ports = portBits() == 0 ? "*" : portBits() == 16 ? Integer.toString(port) : port + "-" + (port + (1 << (16 - portBits())) - 1);
        return dir.name().toLowerCase() + " " + (peerIdentity == 0 ? "any" : Integer.toUnsignedString(peerIdentity))
                + " " + (length < FAMILY ? "*" : "v" + family) + " " + (hasL4() ? PolicyEntry.protoName(proto) : "*")
                + "/" + ports + " " + action.name().toLowerCase() + " #" + rule;
    }
}
