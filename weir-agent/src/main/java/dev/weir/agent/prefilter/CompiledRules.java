package dev.weir.agent.prefilter;

import java.util.List;
import java.util.Map;

import dev.weir.agent.net.Cidr;

/**
 * A rule set turned into the contents of one generation of prefilter maps (see
 * docs/prefilter-datapath.md). Immutable once built; maps are unmodifiable.
 *
 * @param cfg    the generation's pf_cfg entry, with the prefix lengths that go to the hash maps
 * @param src4   every source IPv4 prefix with its inherited value, as one LPM table (whether a prefix goes
 *               to the trie pf_src4 or the hash pf_snet4 is {@link GenConfig#hashed}'s business); the same
 *               for the other three
 * @param ports  non-zero pf_port entries: index {@code class * 65536 + port} to slot mask
 * @param protos non-zero pf_proto entries: IP protocol number to slot mask
 */
public record CompiledRules(GenConfig cfg,
                            Map<Cidr, PrefixEntry> src4, Map<Cidr, PrefixEntry> src6,
                            Map<Cidr, PrefixEntry> dst4, Map<Cidr, PrefixEntry> dst6,
                            Map<Integer, Long> ports, Map<Integer, Long> protos) {

    public static final CompiledRules EMPTY = new CompiledRules(GenConfig.EMPTY,
            Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of());

    /** The four tries by their map name stem ({@code pf_src4} …). */
    public Map<String, Map<Cidr, PrefixEntry>> tries() {
        return Map.of("pf_src4", src4, "pf_src6", src6, "pf_dst4", dst4, "pf_dst6", dst6);
    }

    /**
     * Per-generation configuration: slot masks by need and action, mode, rate limit, sampling, per table the
     * prefix lengths held in its hash map, the deny slots in dry run, whether the whole prefilter is, and whether
     * the redirect stage is on.
     */
    public record GenConfig(long needSrc, long needDst, long needL4, long deny, long allow, long active,
                            int mode, long ratePps, long rateBurst, long sampleEvery, int[] slotRule,
                            HashedLengths hashed, long dry, boolean dryRun, boolean redirect) {
        public static final GenConfig EMPTY = new GenConfig(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, new int[Capacity.SLOTS],
                HashedLengths.NONE);

        public GenConfig {
            slotRule = slotRule.clone();
            java.util.Objects.requireNonNull(hashed, "hashed");
        }

        /** The redirect stage off. */
        public GenConfig(long needSrc, long needDst, long needL4, long deny, long allow, long active, int mode,
                         long ratePps, long rateBurst, long sampleEvery, int[] slotRule, HashedLengths hashed,
                         long dry, boolean dryRun) {
            this(needSrc, needDst, needL4, deny, allow, active, mode, ratePps, rateBurst, sampleEvery, slotRule, hashed,
                    dry, dryRun, false);
        }

        /** Nothing in dry run. */
        public GenConfig(long needSrc, long needDst, long needL4, long deny, long allow, long active, int mode,
                         long ratePps, long rateBurst, long sampleEvery, int[] slotRule, HashedLengths hashed) {
            this(needSrc, needDst, needL4, deny, allow, active, mode, ratePps, rateBurst, sampleEvery, slotRule, hashed,
                    0, false, false);
        }

        @Override
        public int[] slotRule() {
            return slotRule.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof GenConfig g && needSrc == g.needSrc && needDst == g.needDst && needL4 == g.needL4
                    && deny == g.deny && allow == g.allow && active == g.active && mode == g.mode
                    && ratePps == g.ratePps && rateBurst == g.rateBurst && sampleEvery == g.sampleEvery
                    && java.util.Arrays.equals(slotRule, g.slotRule) && hashed.equals(g.hashed) && dry == g.dry
                    && dryRun == g.dryRun && redirect == g.redirect;
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(needSrc, needDst, needL4, deny, allow, active, mode, ratePps, rateBurst,
                    sampleEvery, java.util.Arrays.hashCode(slotRule), hashed, dry, dryRun, redirect);
        }
    }

    /**
     * Per table ({@code pf_src4} …): the prefix lengths whose prefixes go to its hash map
     * ({@code pf_snet4} …), longest first, at most {@link #MAX}. They are the table's longest distinct
     * lengths, so every prefix left in the trie is shorter than each of them: looking the address up in
     * the hash at each length in order, then in the trie, finds the longest match. A table whose lengths
     * are all hashed leaves its trie empty.
     */
    public record HashedLengths(List<Integer> src4, List<Integer> src6, List<Integer> dst4, List<Integer> dst6,
                                List<String> emptyTries) {
        public static final int MAX = 8;
        public static final HashedLengths NONE = new HashedLengths(List.of(), List.of(), List.of(), List.of(),
                List.of("pf_dst4", "pf_dst6", "pf_src4", "pf_src6"));

        public HashedLengths {
            src4 = List.copyOf(src4);
            src6 = List.copyOf(src6);
            dst4 = List.copyOf(dst4);
            dst6 = List.copyOf(dst6);
            emptyTries = List.copyOf(emptyTries);
        }

        /** The lengths of a table by its stem ({@code pf_src4} …). */
        public List<Integer> of(String table) {
            return switch (table) {
                case "pf_src4" -> src4;
                case "pf_src6" -> src6;
                case "pf_dst4" -> dst4;
                case "pf_dst6" -> dst6;
                default -> throw new IllegalArgumentException("no prefix table " + table);
            };
        }

        /** True when the prefix goes to the table's hash map, false for its trie. */
        public boolean inHash(String table, Cidr prefix) {
            return of(table).contains(prefix.length());
        }

        /** True when the table's trie holds nothing (the datapath need not walk it). */
        public boolean trieEmpty(String table) {
            return emptyTries.contains(table);
        }
    }

    /**
     * One LPM entry: the slots of its own rules and of every containing prefix's rules, and up to four
     * (slot, rule id) pairs, most specific rule first, for per-rule hit counters.
     */
    public record PrefixEntry(long slots, int[] rules, int[] ruleSlots) {
        public static final int PAIRS = 4;
        public static final int UNUSED_SLOT = 0xff;

        public PrefixEntry {
            if (rules.length != PAIRS || ruleSlots.length != PAIRS) {
                throw new IllegalArgumentException("a prefix entry has exactly " + PAIRS + " pairs");
            }
            rules = rules.clone();
            ruleSlots = ruleSlots.clone();
        }

        @Override
        public int[] rules() {
            return rules.clone();
        }

        @Override
        public int[] ruleSlots() {
            return ruleSlots.clone();
        }

        /** The rule id recorded for the slot, or -1. */
        public int ruleFor(int slot) {
            for (int i = 0; i < PAIRS; i++) {
                if (ruleSlots[i] == slot) {
                    return rules[i];
                }
            }
            return -1;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof PrefixEntry p && slots == p.slots && java.util.Arrays.equals(rules, p.rules)
                    && java.util.Arrays.equals(ruleSlots, p.ruleSlots);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(slots) * 31 + java.util.Arrays.hashCode(rules) * 17 + java.util.Arrays.hashCode(ruleSlots);
        }
    }
}
