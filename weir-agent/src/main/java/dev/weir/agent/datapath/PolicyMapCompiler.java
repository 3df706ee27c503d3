package dev.weir.agent.datapath;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.weir.agent.net.PortRange;

/**
 * Turns one endpoint-direction's policy entries into {@code pol} LPM blocks (docs/policy-datapath.md):
 * port ranges into aligned power-of-two blocks, entries without a family but with a protocol into one
 * block per family (family precedes protocol in the key), and <b>deny propagation</b>: an allow block
 * that lies inside a deny block becomes a deny, so that a longest-prefix lookup never finds an allow
 * where a deny applies. Blocks with the same key merge: deny wins, then the lowest rule id. Pure and
 * deterministic.
 */
public final class PolicyMapCompiler {

    private PolicyMapCompiler() {
    }

    /**
     * An entry as the policy engine gives it.
     *
     * @param identity peer identity, 0 for any peer
     * @param family   4, 6, or null for both
     * @param proto    IP protocol number, or null for any
     * @param ports    destination ports, or null for any (only with a protocol)
     * @param deny     deny or allow
     * @param rule     rule reference, 0 none
     */
    public record Entry(int identity, Integer family, Integer proto, PortRange ports, boolean deny, int rule) {
        public Entry {
            if (ports != null && proto == null) {
                throw new IllegalArgumentException("ports without a protocol");
            }
        }
    }

    /** The blocks for one endpoint and direction, sorted by key. */
    public static List<PolicyBlock> compile(List<Entry> entries) {
        Map<Long, PolicyBlock> byKey = new HashMap<>();
        for (Entry e : entries) {
            for (PolicyBlock b : expand(e)) {
                byKey.merge(slot(b), b, PolicyMapCompiler::merge);
            }
        }
        return propagateDenies(new ArrayList<>(byKey.values()));
    }

    private static long slot(PolicyBlock b) {
        return b.bits() ^ ((long) b.length() * 0x9E3779B97F4A7C15L);
    }

    /** Same key from two entries: deny wins; between equals, the lowest non-zero rule id names it. */
    private static PolicyBlock merge(PolicyBlock a, PolicyBlock b) {
        if (a.deny() != b.deny()) {
            return a.deny() ? a : b;
        }
        if (a.rule() == 0 || b.rule() == 0) {
            return a.rule() == 0 ? b : a;
        }
        return a.rule() <= b.rule() ? a : b;
    }

    /** One entry's blocks. */
    public static List<PolicyBlock> expand(Entry e) {
        List<PolicyBlock> out = new ArrayList<>();
        if (e.family() == null && e.proto() == null) {
            out.add(new PolicyBlock(PolicyBlock.key(e.identity(), 0, 0, 0), PolicyBlock.IDENTITY_BITS, e.deny(), e.rule()));
            return out;
        }
        List<Integer> families = e.family() == null ? List.of(4, 6) : List.of(e.family());
        for (int fam : families) {
            if (e.proto() == null) {
                out.add(new PolicyBlock(PolicyBlock.key(e.identity(), fam, 0, 0), PolicyBlock.FAMILY_END, e.deny(), e.rule()));
            } else if (e.ports() == null) {
                out.add(new PolicyBlock(PolicyBlock.key(e.identity(), fam, e.proto(), 0), PolicyBlock.PROTO_END, e.deny(), e.rule()));
            } else {
                for (int[] blk : portBlocks(e.ports().first(), e.ports().last())) {
                    out.add(new PolicyBlock(PolicyBlock.key(e.identity(), fam, e.proto(), blk[0]),
                            PolicyBlock.PROTO_END + blk[1], e.deny(), e.rule()));
                }
            }
        }
        return out;
    }

    /** [lo, hi] as aligned blocks {start, prefix bits of 16}: the fewest prefixes that cover it exactly. */
    static List<int[]> portBlocks(int lo, int hi) {
        List<int[]> out = new ArrayList<>();
        long start = lo;
        while (start <= hi) {
            int size = 1 << (start == 0 ? 16 : Math.min(16, Long.numberOfTrailingZeros(start)));
            while (start + size - 1 > hi) {
                size >>= 1;
            }
            out.add(new int[] {(int) start, 16 - Integer.numberOfTrailingZeros(size)});
            start += size;
        }
        return out;
    }

    /** Allow blocks inside a deny block become denies (keeping the deny's rule). */
    static List<PolicyBlock> propagateDenies(List<PolicyBlock> blocks) {
        Map<Integer, Map<Long, PolicyBlock>> denies = new HashMap<>();
        for (PolicyBlock b : blocks) {
            if (b.deny()) {
                denies.computeIfAbsent(b.length(), k -> new HashMap<>()).put(b.bits(), b);
            }
        }
        List<PolicyBlock> out = new ArrayList<>(blocks.size());
        for (PolicyBlock b : blocks) {
            out.add(b.deny() ? b : coveringDeny(b, denies));
        }
        out.sort(Comparator.comparingLong(PolicyBlock::bits).thenComparingInt(PolicyBlock::length));
        return out;
    }

    private static PolicyBlock coveringDeny(PolicyBlock b, Map<Integer, Map<Long, PolicyBlock>> denies) {
        for (int len = PolicyBlock.IDENTITY_BITS; len < b.length(); len++) {
            Map<Long, PolicyBlock> atLen = denies.get(len);
            PolicyBlock d = atLen == null ? null : atLen.get(b.bits() & PolicyBlock.mask(len));
            if (d != null) {
                return b.with(true, d.rule());
            }
        }
        return b;
    }

    /** The longest block containing the key, as the kernel's LPM lookup finds it; null when none. */
    public static PolicyBlock lookup(List<PolicyBlock> blocks, int identity, int family, int proto, int port) {
        long key = PolicyBlock.key(identity, family, proto, port);
        PolicyBlock best = null;
        for (PolicyBlock b : blocks) {
            if ((key & PolicyBlock.mask(b.length())) == b.bits() && (best == null || b.length() > best.length())) {
                best = b;
            }
        }
        return best;
    }
}
