package dev.weir.agent.prefilter;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.PortRange;
import dev.weir.agent.net.Protocol;

/**
 * One prefilter rule: an action and what it matches. At most one address side (source or destination
 * prefix), optionally a protocol, and for TCP/UDP/SCTP optionally a destination port range. Missing
 * criteria match anything. Immutable.
 *
 * @param id     stable rule id (1-based), the index of its hit counter
 * @param action deny or allow
 * @param src    source prefix, or null
 * @param dst    destination prefix, or null
 * @param proto  protocol, or null for any
 * @param dport  destination ports, or null for any (needs a protocol with ports)
 * @param dryRun a deny rule in dry run: what it matches is counted (would-drop) and passes
 */
public record PrefilterRule(int id, Action action, Cidr src, Cidr dst, Protocol proto, PortRange dport,
                            boolean dryRun) {

    /** What a matching rule does. */
    public enum Action { DENY, ALLOW }

    /** Which address the rule's prefix matches. */
    public enum Side { SRC, DST, NONE }

    public PrefilterRule {
        if (action == null) {
            throw new IllegalArgumentException("a rule needs an action (deny or allow)");
        }
        if (src != null && dst != null) {
            throw new IllegalArgumentException("a prefilter rule matches one address side: give --src or --dst, not both");
        }
        if (dport != null && (proto == null || !proto.hasPorts())) {
            throw new IllegalArgumentException("--dport needs --proto tcp, udp or sctp"
                    + (proto == null ? "" : " (" + proto.lower() + " has no ports)"));
        }
        if (dryRun && action != Action.DENY) {
            throw new IllegalArgumentException("dry run is for deny rules (an allow rule drops nothing itself);"
                    + " to try an allowlist, put the whole prefilter in dry run");
        }
    }

    /** An enforced rule. */
    public PrefilterRule(int id, Action action, Cidr src, Cidr dst, Protocol proto, PortRange dport) {
        this(id, action, src, dst, proto, dport, false);
    }

    /**
     * Whether the rule matches a packet (the datapath's test, for explaining one: {@code weir diagnose path}):
     * its prefix holds the packet's address of its side, its protocol is the packet's, its ports hold the
     * destination port.
     *
     * @param port the destination port, ignored for protocols without ports
     */
    public boolean matches(byte[] srcAddr, byte[] dstAddr, Protocol protocol, int port) {
        if (src != null && !src.containsAddress(srcAddr) || dst != null && !dst.containsAddress(dstAddr)) {
            return false;
        }
        if (proto != null && proto != protocol) {
            return false;
        }
        return dport == null || dport.contains(port);
    }

    public Side side() {
        return src != null ? Side.SRC : dst != null ? Side.DST : Side.NONE;
    }

    public Optional<Cidr> prefix() {
        return Optional.ofNullable(src != null ? src : dst);
    }

    /** The same rule under another id. */
    public PrefilterRule withId(int newId) {
        return new PrefilterRule(newId, action, src, dst, proto, dport, dryRun);
    }

    /** True when both rules match the same traffic with the same action (ids aside). */
    public boolean sameMatch(PrefilterRule o) {
        return withId(0).equals(o.withId(0));
    }

    /** The slot shape: rules that differ only in their prefix share a slot. */
    public Shape shape() {
        return new Shape(action, side(), proto, dport, dryRun);
    }

    /** Action, address side, L4 selector and dry run: what a slot stands for. */
    public record Shape(Action action, Side side, Protocol proto, PortRange dport, boolean dryRun) {
        public boolean needsL4() {
            return proto != null;
        }
    }

    /**
     * Human form, close to the command line that made it: {@code deny src 203.0.113.0/24 udp dport 53}, with
     * {@code dry-run} last for a rule in dry run.
     */
    public String describe() {
        List<String> p = new ArrayList<>();
        p.add(action.name().toLowerCase());
        if (src != null) {
            p.add("src " + src);
        }
        if (dst != null) {
            p.add("dst " + dst);
        }
        if (proto != null) {
            p.add(proto.lower());
        }
        if (dport != null) {
            p.add("dport " + dport);
        }
        if (p.size() == 1) {
            p.add("all");
        }
        if (dryRun) {
            p.add("dry-run");
        }
        return String.join(" ", p);
    }
}
