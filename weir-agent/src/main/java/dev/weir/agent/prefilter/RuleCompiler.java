package dev.weir.agent.prefilter;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.PortRange;
import dev.weir.agent.prefilter.CompiledRules.GenConfig;
import dev.weir.agent.prefilter.CompiledRules.HashedLengths;
import dev.weir.agent.prefilter.CompiledRules.PrefixEntry;
import dev.weir.agent.prefilter.PrefilterRule.Shape;
import dev.weir.agent.prefilter.PrefilterRule.Side;

/**
 * Turns a {@link RuleSet} into map contents ({@link CompiledRules}): assigns slots to rule shapes,
 * spreads each prefix's slots to the prefixes it contains (an LPM lookup sees only the longest match),
 * picks the prefix lengths that go to hash maps instead of tries, and expands port ranges. Pure and deterministic: the same rule set always compiles to the same maps.
 */
public final class RuleCompiler {

    /** Rule id 0 counts hits that no single rule can be named for. */
    public static final int UNATTRIBUTED = 0;

    private final Capacity capacity;

    public RuleCompiler(Capacity capacity) {
        this.capacity = capacity;
    }

    /**
     * Compiles the rule set.
     *
     * @throws IllegalArgumentException when it does not fit: too many shapes for 64 slots, more prefixes
     *                                  than a trie holds (naming the map and its size), a rule id beyond pf_hits
     */
    public CompiledRules compile(RuleSet set) {
        Map<Shape, Integer> slots = assignSlots(set.rules());
        checkRuleIds(set.rules());
        Map<String, Map<Cidr, PrefixEntry>> tables = new TreeMap<>();
        for (Side side : List.of(Side.SRC, Side.DST)) {
            for (int family : List.of(4, 6)) {
                tables.put("pf_" + side.name().toLowerCase() + family, trie(set.rules(), slots, side, family));
            }
        }
        GenConfig cfg = config(set, slots, hashedLengths(tables));
        Map<Integer, Long> ports = new HashMap<>();
        Map<Integer, Long> protos = new HashMap<>();
        for (var e : slots.entrySet()) {
            Shape s = e.getKey();
            long bit = 1L << e.getValue();
            if (s.proto() == null) {
                continue;
            }
            if (s.dport() == null) {
                protos.merge(s.proto().number(), bit, (a, b) -> a | b);
            } else {
                PortRange r = s.dport();
                int base = s.proto().portClass() * 65536;
                for (int p = r.first(); p <= r.last(); p++) {
                    ports.merge(base + p, bit, (a, b) -> a | b);
                }
            }
        }
        return new CompiledRules(cfg, tables.get("pf_src4"), tables.get("pf_src6"),
                tables.get("pf_dst4"), tables.get("pf_dst6"), Map.copyOf(ports), Map.copyOf(protos));
    }

    /** Slots in a stable order: deny shapes first, then by side, protocol and ports. */
    static Map<Shape, Integer> assignSlots(List<PrefilterRule> rules) {
        TreeSet<Shape> shapes = new TreeSet<>(RuleCompiler::compareShapes);
        rules.forEach(r -> shapes.add(r.shape()));
        if (shapes.size() > Capacity.SLOTS) {
            throw new IllegalArgumentException("the rules use " + shapes.size()
                    + " distinct shapes (action, address side, protocol, ports); the prefilter holds "
                    + Capacity.SLOTS + ": merge port ranges or drop some rules");
        }
        Map<Shape, Integer> out = new LinkedHashMap<>();
        shapes.forEach(s -> out.put(s, out.size()));
        return out;
    }

    private static int compareShapes(Shape a, Shape b) {
        int c = a.action().compareTo(b.action());
        if (c == 0) {
            c = a.side().compareTo(b.side());
        }
        if (c == 0) {
            c = Integer.compare(a.proto() == null ? -1 : a.proto().ordinal(), b.proto() == null ? -1 : b.proto().ordinal());
        }
        if (c == 0) {
            c = Integer.compare(a.dport() == null ? 0 : a.dport().first(), b.dport() == null ? 0 : b.dport().first());
        }
        if (c == 0) {
            c = Integer.compare(a.dport() == null ? 0 : a.dport().last(), b.dport() == null ? 0 : b.dport().last());
        }
        if (c == 0) {
            c = Boolean.compare(a.dryRun(), b.dryRun());
        }
        return c;
    }

    private void checkRuleIds(List<PrefilterRule> rules) {
        for (PrefilterRule r : rules) {
            if (r.id() <= UNATTRIBUTED || r.id() >= capacity.rules()) {
                throw new IllegalArgumentException("rule id " + r.id() + " is outside pf_hits (ids 1.."
                        + (capacity.rules() - 1) + "): the prefilter holds at most " + (capacity.rules() - 1) + " rules");
            }
        }
    }

    /** A table with at most this many distinct lengths is hashed whole and its trie stays empty. */
    static final int ALL_HASHED = HashedLengths.MAX;

    /**
     * Which prefix lengths of each table go to the hash map, longest first. A miss costs one probe per
     * hashed length before the trie walk, so hashing pays when it replaces the trie: a table with at most
     * {@link #ALL_HASHED} distinct lengths is hashed whole (no trie walk at all); a table with more keeps
     * only its host length (/32, /128) in the hash — one probe for the common blocklist case — and the
     * rest in the trie. Every hashed length is longer than every trie length, as the datapath requires.
     */
    static HashedLengths hashedLengths(Map<String, Map<Cidr, PrefixEntry>> tables) {
        Map<String, List<Integer>> lens = new HashMap<>();
        List<String> empty = new ArrayList<>();
        tables.forEach((name, entries) -> {
            TreeSet<Integer> distinct = new TreeSet<>(java.util.Comparator.reverseOrder());
            entries.keySet().forEach(c -> distinct.add(c.length()));
            int host = name.endsWith("4") ? 32 : 128;
            if (distinct.size() <= ALL_HASHED) {
                lens.put(name, List.copyOf(distinct));
                empty.add(name);
            } else {
                lens.put(name, distinct.first() == host ? List.of(host) : List.of());
            }
        });
        return new HashedLengths(lens.get("pf_src4"), lens.get("pf_src6"), lens.get("pf_dst4"), lens.get("pf_dst6"),
                empty);
    }

    private static GenConfig config(RuleSet set, Map<Shape, Integer> slots, HashedLengths hashed) {
        long needSrc = 0, needDst = 0, needL4 = 0, deny = 0, allow = 0, active = 0, dry = 0;
        int[] slotRule = new int[Capacity.SLOTS];
        for (var e : slots.entrySet()) {
            Shape s = e.getKey();
            long bit = 1L << e.getValue();
            active |= bit;
            needSrc |= s.side() == Side.SRC ? bit : 0;
            needDst |= s.side() == Side.DST ? bit : 0;
            needL4 |= s.needsL4() ? bit : 0;
            deny |= s.action() == PrefilterRule.Action.DENY ? bit : 0;
            allow |= s.action() == PrefilterRule.Action.ALLOW ? bit : 0;
            dry |= s.dryRun() ? bit : 0;
        }
        for (PrefilterRule r : set.rules()) {
            if (r.side() == Side.NONE) {
                slotRule[slots.get(r.shape())] = r.id();
            }
        }
        PrefilterSettings st = set.settings();
        return new GenConfig(needSrc, needDst, needL4, deny, allow, active,
                st.mode() == PrefilterSettings.Mode.ALLOWLIST ? 1 : 0, st.ratePps(), st.rateBurst(), st.sampleEvery(), slotRule,
                hashed, dry, st.dryRun(), st.redirect());
    }

    /** One trie's contents, with inheritance: each prefix also carries the slots of the prefixes containing it. */
    private Map<Cidr, PrefixEntry> trie(List<PrefilterRule> rules, Map<Shape, Integer> slots, Side side, int family) {
        TreeMap<Cidr, List<PrefilterRule>> byPrefix = new TreeMap<>();
        for (PrefilterRule r : rules) {
            if (r.side() == side && r.prefix().orElseThrow().family() == family) {
                byPrefix.computeIfAbsent(r.prefix().get(), k -> new ArrayList<>()).add(r);
            }
        }
        if (byPrefix.size() > capacity.prefixes()) {
            throw new IllegalArgumentException("map pf_" + side.name().toLowerCase() + family + " holds "
                    + capacity.prefixes() + " prefixes; these rules need " + byPrefix.size());
        }
        Map<Cidr, PrefixEntry> out = new HashMap<>(byPrefix.size() * 2);
        Deque<Frame> stack = new ArrayDeque<>();
        for (var e : byPrefix.entrySet()) {
            Cidr p = e.getKey();
            while (!stack.isEmpty() && !stack.peek().prefix.contains(p)) {
                stack.pop();
            }
            Map<Integer, int[]> pairs = stack.isEmpty() ? new HashMap<>() : new HashMap<>(stack.peek().pairs);
            for (PrefilterRule r : e.getValue()) {
                pairs.put(slots.get(r.shape()), new int[] {r.id(), p.length()});
            }
            stack.push(new Frame(p, pairs));
            out.put(p, entry(pairs));
        }
        return out;
    }

    private record Frame(Cidr prefix, Map<Integer, int[]> pairs) {
    }

    /** Pairs of slot to {rule id, prefix length}, most specific first, at most four kept. */
    private static PrefixEntry entry(Map<Integer, int[]> pairs) {
        long mask = 0;
        List<Map.Entry<Integer, int[]>> ordered = new ArrayList<>(pairs.entrySet());
        ordered.sort((a, b) -> a.getValue()[1] != b.getValue()[1]
                ? Integer.compare(b.getValue()[1], a.getValue()[1]) : Integer.compare(a.getKey(), b.getKey()));
        int[] ids = new int[PrefixEntry.PAIRS];
        int[] sl = new int[PrefixEntry.PAIRS];
        java.util.Arrays.fill(sl, PrefixEntry.UNUSED_SLOT);
        for (int i = 0; i < ordered.size(); i++) {
            mask |= 1L << ordered.get(i).getKey();
            if (i < PrefixEntry.PAIRS) {
                ids[i] = ordered.get(i).getValue()[0];
                sl[i] = ordered.get(i).getKey();
            }
        }
        return new PrefixEntry(mask, ids, sl);
    }
}
