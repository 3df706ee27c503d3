package dev.weir.agent.prefilter;

import java.util.Map;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.prefilter.CompiledRules.GenConfig;
import dev.weir.agent.prefilter.CompiledRules.PrefixEntry;

/**
 * What the prefilter decides for a packet, computed in Java two ways: from the rules' meaning
 * ({@link #byRules}) and from compiled map contents exactly as the datapath reads them
 * ({@link #byMaps}). Tests compare the two with each other and with the kernel. Rate limiting and
 * fragment tracking are outside this model. Stateless.
 */
public final class Evaluator {

    private Evaluator() {
    }

    /** A packet's header facts: addresses (4 or 16 bytes), IP protocol, destination port or -1 for none. */
    public record Packet(byte[] src, byte[] dst, int proto, int dport) {
    }

    /** The decision and, where one rule decided, its id (0 when none can be named). */
    public record Verdict(Kind kind, int rule) {
        public boolean drops() {
            return kind == Kind.DROP_DENY_RULE || kind == Kind.DROP_NOT_ALLOWED;
        }
    }

    /** Outcomes, named like the datapath's reasons. */
    public enum Kind { PASS, PASS_ALLOWED, DROP_DENY_RULE, DROP_NOT_ALLOWED }

    /** The rules' meaning: any deny match drops; in allowlist mode only an allow match passes. */
    public static Kind byRules(RuleSet set, Packet p) {
        boolean denied = false;
        boolean allowed = false;
        for (PrefilterRule r : set.rules()) {
            if (matches(r, p)) {
                denied |= r.action() == PrefilterRule.Action.DENY;
                allowed |= r.action() == PrefilterRule.Action.ALLOW;
            }
        }
        if (denied) {
            return Kind.DROP_DENY_RULE;
        }
        if (set.settings().mode() == PrefilterSettings.Mode.ALLOWLIST && !allowed) {
            return Kind.DROP_NOT_ALLOWED;
        }
        return allowed ? Kind.PASS_ALLOWED : Kind.PASS;
    }

    static boolean matches(PrefilterRule r, Packet p) {
        return (r.src() == null || r.src().containsAddress(p.src()))
                && (r.dst() == null || r.dst().containsAddress(p.dst()))
                && (r.proto() == null || r.proto().number() == p.proto())
                && (r.dport() == null || (p.dport() >= 0 && r.dport().contains(p.dport())));
    }

    /** The datapath's algorithm over compiled maps (docs/prefilter-datapath.md). */
    public static Verdict byMaps(CompiledRules c, Packet p) {
        boolean v4 = p.src().length == 4;
        PrefixEntry s = longest(v4 ? c.src4() : c.src6(), p.src());
        PrefixEntry d = longest(v4 ? c.dst4() : c.dst6(), p.dst());
        long srcBits = s == null ? 0 : s.slots();
        long dstBits = d == null ? 0 : d.slots();
        long l4Bits = c.protos().getOrDefault(p.proto(), 0L);
        int cls = switch (p.proto()) {
            case 6 -> 0;
            case 17 -> 1;
            case 132 -> 2;
            default -> -1;
        };
        if (cls >= 0 && p.dport() >= 0) {
            l4Bits |= c.ports().getOrDefault(cls * 65536 + p.dport(), 0L);
        }
        GenConfig g = c.cfg();
        long match = (srcBits | ~g.needSrc()) & (dstBits | ~g.needDst()) & (l4Bits | ~g.needL4()) & g.active();
        if ((match & g.deny()) != 0) {
            return new Verdict(Kind.DROP_DENY_RULE, attribute(g, s, d, match & g.deny()));
        }
        if (g.mode() == 1 && (match & g.allow()) == 0) {
            return new Verdict(Kind.DROP_NOT_ALLOWED, 0);
        }
        if ((match & g.allow()) != 0) {
            return new Verdict(Kind.PASS_ALLOWED, attribute(g, s, d, match & g.allow()));
        }
        return new Verdict(Kind.PASS, 0);
    }

    private static int attribute(GenConfig g, PrefixEntry s, PrefixEntry d, long mask) {
        int slot = Long.numberOfTrailingZeros(mask);
        long bit = 1L << slot;
        PrefixEntry e = (g.needSrc() & bit) != 0 ? s : (g.needDst() & bit) != 0 ? d : null;
        int rule = e == null ? -1 : e.ruleFor(slot);
        return rule >= 0 ? rule : g.slotRule()[slot];
    }

    /** The longest prefix of the table holding addr: the oracle for the datapath's hash-then-trie lookup. */
    static PrefixEntry longest(Map<Cidr, PrefixEntry> trie, byte[] addr) {
        for (int len = addr.length * 8; len >= 0; len--) {
            PrefixEntry e = trie.get(new Cidr(addr, len));
            if (e != null) {
                return e;
            }
        }
        return null;
    }
}
