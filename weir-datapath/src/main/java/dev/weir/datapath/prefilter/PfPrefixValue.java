package dev.weir.datapath.prefilter;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.ArrayList;
import java.util.List;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct pf_prefix_val}: value of the LPM tries. Immutable.
 *
 * @param slots the slots of this prefix and of every prefix containing it
 * @param rules up to {@link #PAIRS} (slot, rule id) pairs naming the rule counted in
 *     {@code pf_hits} when that slot decides, most specific first
 */
public record PfPrefixValue(long slots, List<RulePair> rules) {

    /** Pairs a value holds. */
    public static final int PAIRS = 4;
    /** {@code rule_slot} of an unused pair. */
    public static final int SLOT_NONE = 0xff;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U64.withName("slots"),
            MemoryLayout.sequenceLayout(PAIRS, Mem.U32).withName("rule"),
            MemoryLayout.sequenceLayout(PAIRS, Mem.U8).withName("rule_slot"),
            Mem.U32.withName("_pad")).withName("pf_prefix_val");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<PfPrefixValue> CODEC = Codec.of(LAYOUT, PfPrefixValue::encode, PfPrefixValue::decode);

    private static final long RULE = Mem.offset(LAYOUT, "rule");
    private static final long RULE_SLOT = Mem.offset(LAYOUT, "rule_slot");

    /** A (slot, rule id) pair. */
    public record RulePair(int slot, int rule) {
        public RulePair {
            if (slot < 0 || slot >= PfCfg.SLOTS) {
                throw new IllegalArgumentException("slot " + slot + " not in 0.." + (PfCfg.SLOTS - 1));
            }
        }
    }

    public PfPrefixValue {
        rules = List.copyOf(rules);
        if (rules.size() > PAIRS) {
            throw new IllegalArgumentException("at most " + PAIRS + " rule pairs, got " + rules.size());
        }
    }

    /** A value with slots and no rule pairs (hits then count {@code cfg.slot_rule}). */
    public static PfPrefixValue of(long slots) {
        return new PfPrefixValue(slots, List.of());
    }

    public void encode(MemorySegment dst) {
        Mem.u64(dst, 0, slots);
        for (int i = 0; i < PAIRS; i++) {
            RulePair p = i < rules.size() ? rules.get(i) : null;
            Mem.u32(dst, RULE + 4L * i, p == null ? 0 : p.rule());
            Mem.u8(dst, RULE_SLOT + i, p == null ? SLOT_NONE : p.slot());
        }
        Mem.u32(dst, RULE_SLOT + PAIRS, 0);
    }

    public static PfPrefixValue decode(MemorySegment src) {
        List<RulePair> rules = new ArrayList<>();
        for (int i = 0; i < PAIRS; i++) {
            int slot = Mem.u8(src, RULE_SLOT + i);
            if (slot != SLOT_NONE) {
                rules.add(new RulePair(slot, Mem.u32(src, RULE + 4L * i)));
            }
        }
        return new PfPrefixValue(Mem.u64(src, 0), rules);
    }
}
