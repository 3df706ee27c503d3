package dev.weir.datapath.prefilter;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.Arrays;

import dev.weir.ebpf.Codec;

/**
 * {@code struct pf_cfg}: one rule generation's slot masks and settings ({@code pf_cfg[gen]}).
 * Immutable (the slot-rule array is copied in and out).
 *
 * @param needSrc slots that need a source prefix match
 * @param needDst slots that need a destination prefix match
 * @param needL4 slots that need a protocol/port match
 * @param deny deny slots
 * @param allow allow slots
 * @param active slots in use
 * @param mode {@link #DENYLIST} or {@link #ALLOWLIST}
 * @param ratePps per-source packets per second, 0 for no rate limit
 * @param rateBurst bucket size in packets (0 counts as 1)
 * @param sampleEvery 1-in-N drops per CPU become events; 0: none
 * @param slotRule 64 rule ids, the one counted for a slot when the matched prefix names none
 */
public record PfCfg(long needSrc, long needDst, long needL4, long deny, long allow, long active,
                    int mode, int ratePps, int rateBurst, int sampleEvery, int[] slotRule) {

    public static final int SLOTS = 64;
    public static final int DENYLIST = 0;
    public static final int ALLOWLIST = 1;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U64.withName("need_src"),
            Mem.U64.withName("need_dst"),
            Mem.U64.withName("need_l4"),
            Mem.U64.withName("deny"),
            Mem.U64.withName("allow"),
            Mem.U64.withName("active"),
            Mem.U32.withName("mode"),
            Mem.U32.withName("rate_pps"),
            Mem.U32.withName("rate_burst"),
            Mem.U32.withName("sample_every"),
            MemoryLayout.sequenceLayout(SLOTS, Mem.U32).withName("slot_rule")).withName("pf_cfg");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<PfCfg> CODEC = Codec.of(LAYOUT, PfCfg::encode, PfCfg::decode);

    private static final long SLOT_RULE = Mem.offset(LAYOUT, "slot_rule");

    public PfCfg {
        slotRule = slotRule.clone();
        if (slotRule.length != SLOTS) {
            throw new IllegalArgumentException(SLOTS + " slot rules expected, got " + slotRule.length);
        }
    }

    /** Denylist mode, no slots, no rate limit, no events; every slot rule {@link PfFragVal#RULE_NONE}. */
    public static PfCfg empty() {
        int[] none = new int[SLOTS];
        Arrays.fill(none, PfFragVal.RULE_NONE);
        return new PfCfg(0, 0, 0, 0, 0, 0, DENYLIST, 0, 0, 0, none);
    }

    @Override
    public int[] slotRule() {
        return slotRule.clone();
    }

    public void encode(MemorySegment dst) {
        long[] masks = {needSrc, needDst, needL4, deny, allow, active};
        for (int i = 0; i < masks.length; i++) {
            Mem.u64(dst, 8L * i, masks[i]);
        }
        Mem.u32(dst, 48, mode);
        Mem.u32(dst, 52, ratePps);
        Mem.u32(dst, 56, rateBurst);
        Mem.u32(dst, 60, sampleEvery);
        for (int i = 0; i < SLOTS; i++) {
            Mem.u32(dst, SLOT_RULE + 4L * i, slotRule[i]);
        }
    }

    public static PfCfg decode(MemorySegment src) {
        int[] rules = new int[SLOTS];
        for (int i = 0; i < SLOTS; i++) {
            rules[i] = Mem.u32(src, SLOT_RULE + 4L * i);
        }
        return new PfCfg(Mem.u64(src, 0), Mem.u64(src, 8), Mem.u64(src, 16), Mem.u64(src, 24),
                Mem.u64(src, 32), Mem.u64(src, 40), Mem.u32(src, 48), Mem.u32(src, 52),
                Mem.u32(src, 56), Mem.u32(src, 60), rules);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PfCfg c && c.needSrc == needSrc && c.needDst == needDst && c.needL4 == needL4
                && c.deny == deny && c.allow == allow && c.active == active && c.mode == mode
                && c.ratePps == ratePps && c.rateBurst == rateBurst && c.sampleEvery == sampleEvery
                && Arrays.equals(c.slotRule, slotRule);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new long[] {needSrc, needDst, needL4, deny, allow, active, mode, ratePps,
                rateBurst, sampleEvery, Arrays.hashCode(slotRule)});
    }

    @Override
    public String toString() {
        return "PfCfg[needSrc=%x, needDst=%x, needL4=%x, deny=%x, allow=%x, active=%x, mode=%d, ratePps=%d, rateBurst=%d, sampleEvery=%d, slotRule=%s]"
                .formatted(needSrc, needDst, needL4, deny, allow, active, mode, ratePps, rateBurst,
                        sampleEvery, Arrays.toString(slotRule));
    }
}
