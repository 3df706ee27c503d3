package dev.weir.agent.policy;

import dev.weir.agent.net.PortRange;
import dev.weir.agent.net.Protocol;

/**
 * One policy entry of an endpoint: a key of the datapath's {@code pol} LPM trie before
 * {@link PolicyPrefixes} splits port ranges into aligned prefixes and, where a protocol is given, a null
 * family into 4 and 6 (the key orders family before protocol). Immutable.
 *
 * @param peerIdentity the peer's identity, 0 = any peer
 * @param family       4, 6, or null for both
 * @param proto        IP protocol number, or null for any (then ports is null too)
 * @param ports        destination ports, or null for all
 * @param rule         index in the rule table, 0 = none
 */
public record PolicyEntry(Direction dir, int peerIdentity, Integer family, Integer proto, PortRange ports,
                          Action action, int rule) implements Comparable<PolicyEntry> {

    public PolicyEntry {
        if (ports != null && proto == null) {
            throw new IllegalArgumentException("a port range needs a protocol");
        }
        if (family != null && family != 4 && family != 6) {
            throw new IllegalArgumentException("family must be 4, 6 or null, not " + family);
        }
    }

    /** True when a packet of this shape matches the entry's key (direction and identity aside). */
    public boolean matches(int pktFamily, int pktProto, int port) {
        return (family == null || family == pktFamily) && (proto == null || proto == pktProto)
                && (ports == null || ports.contains(port));
    }

    /**
     * The length of this entry's {@link PolicyPrefix} that matches the port: 96 identity only, 104 + family,
     * 112 + protocol, 112 + k for the aligned port block of k bits containing the port (which must be in the
     * range; without a protocol the port is not looked at).
     */
    public int prefixLength(int port) {
        if (proto == null) {
            return family == null ? PolicyPrefix.IDENTITY : PolicyPrefix.FAMILY;
        }
        return ports == null ? PolicyPrefix.PROTO : PolicyPrefix.PROTO + PortBlocks.blockBits(ports, port);
    }

    /** How specific the key is: 0 identity, 1 family, 2 protocol, 3 ports. */
    int level() {
        return proto == null ? (family == null ? 0 : 1) : (ports == null ? 2 : 3);
    }

    PolicyEntry with(Integer newFamily, PortRange newPorts, Action newAction, int newRule) {
        return new PolicyEntry(dir, peerIdentity, newFamily, proto, newPorts, newAction, newRule);
    }

    @Override
    public int compareTo(PolicyEntry o) {
        int c = dir.compareTo(o.dir);
        if (c == 0) c = Integer.compare(peerIdentity, o.peerIdentity);
        if (c == 0) c = Integer.compare(family == null ? 0 : family, o.family == null ? 0 : o.family);
        if (c == 0) c = Integer.compare(proto == null ? -1 : proto, o.proto == null ? -1 : o.proto);
        if (c == 0) c = Integer.compare(ports == null ? 0 : ports.first(), o.ports == null ? 0 : o.ports.first());
        if (c == 0) c = Integer.compare(ports == null ? 0 : ports.last(), o.ports == null ? 0 : o.ports.last());
        if (c == 0) c = action.compareTo(o.action);
        return c != 0 ? c : Integer.compare(rule, o.rule);
    }

    /** {@code ingress 257 v4 tcp/80 allow #3}; {@code any} for identity 0, {@code *} for wildcards. */
    @Override
    public String toString() {
        return dir.name().toLowerCase() + " " + (peerIdentity == 0 ? "any" : Integer.toString(peerIdentity))
                + " " + (family == null ? "*" : "v" + family) + " " + protoName(proto)
                + "/" + (ports == null ? "*" : ports) + " " + action.name().toLowerCase() + " #" + rule;
    }

    static String protoName(Integer proto) {
        if (proto == null) {
            return "*";
        }
        for (Protocol p : Protocol.values()) {
            if (p.number() == proto) {
                return p.lower();
            }
        }
        return Integer.toString(proto);
    }
}
