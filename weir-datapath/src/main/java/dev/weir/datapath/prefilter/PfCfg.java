package dev.weir.datapath.prefilter;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.Arrays;

import dev.weir.datapath.Mem;
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
 * @param nets the prefix lengths held in the hash maps {@code pf_snet4_G} … and the tries known empty
 */
public record PfCfg(long needSrc, long needDst, long needL4, long deny, long allow, long active,
                    int mode, int ratePps, int rateBurst, int sampleEvery, int[] slotRule, Nets nets) {

    public static final int SLOTS = 64;
    /** Prefix lengths hashed per side and family, at most. */
    public static final int NET_LENS = 8;
    /** Ends a length list in the map value. */
    public static final int NET_LEN_END = 0xff;
    /** {@link Nets#skipLpm()} bits: a trie that holds no prefix and is not walked. */
    public static final int SKIP_SRC4 = 1;
    public static final int SKIP_DST4 = 2;
    public static final int SKIP_SRC6 = 4;
    public static final int SKIP_DST6 = 8;
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
            MemoryLayout.sequenceLayout(SLOTS, Mem.U32).withName("slot_rule"),
            MemoryLayout.sequenceLayout(NET_LENS, Mem.U8).withName("src4_lens"),
            MemoryLayout.sequenceLayout(NET_LENS, Mem.U8).withName("dst4_lens"),
            MemoryLayout.sequenceLayout(NET_LENS, Mem.U8).withName("src6_lens"),
            MemoryLayout.sequenceLayout(NET_LENS, Mem.U8).withName("dst6_lens"),
            Mem.U32.withName("skip_lpm"),
            Mem.U32.withName("_pad")).withName("pf_cfg");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<PfCfg> CODEC = Codec.of(LAYOUT, PfCfg::encode, PfCfg::decode);

    private static final long SLOT_RULE = Mem.offset(LAYOUT, "slot_rule");
    private static final long LENS = Mem.offset(LAYOUT, "src4_lens");
    private static final long SKIP_LPM = Mem.offset(LAYOUT, "skip_lpm");

    public PfCfg {
        slotRule = slotRule.clone();
        if (slotRule.length != SLOTS) {
            throw new IllegalArgumentException(SLOTS + " slot rules expected, got " + slotRule.length);
        }
        java.util.Objects.requireNonNull(nets, "nets");
    }

    /** No prefix length hashed, every trie walked. */
    public PfCfg(long needSrc, long needDst, long needL4, long deny, long allow, long active,
                 int mode, int ratePps, int rateBurst, int sampleEvery, int[] slotRule) {
        this(needSrc, needDst, needL4, deny, allow, active, mode, ratePps, rateBurst, sampleEvery, slotRule, Nets.NONE);
    }

    /**
     * The prefix lengths of each side and family held in the hash maps, longest first (at most
     * {@link #NET_LENS}, each within its family), and the {@code SKIP_*} bits of the tries that are
     * empty. Immutable (arrays copied in and out).
     */
    public record Nets(int[] src4, int[] dst4, int[] src6, int[] dst6, int skipLpm) {
        public static final Nets NONE = new Nets(new int[0], new int[0], new int[0], new int[0], 0);

        public Nets {
            src4 = check(src4, 32, "src4");
            dst4 = check(dst4, 32, "dst4");
            src6 = check(src6, 128, "src6");
            dst6 = check(dst6, 128, "dst6");
            if ((skipLpm & ~0xf) != 0) {
                throw new IllegalArgumentException("skip_lpm bits 0x" + Integer.toHexString(skipLpm));
            }
        }

        private static int[] check(int[] lens, int max, String what) {
            if (lens.length > NET_LENS) {
                throw new IllegalArgumentException(what + ": " + lens.length + " hashed lengths, at most " + NET_LENS);
            }
            for (int i = 0; i < lens.length; i++) {
                if (lens[i] < 0 || lens[i] > max || (i > 0 && lens[i] >= lens[i - 1])) {
                    throw new IllegalArgumentException(what + ": lengths must be distinct, longest first, 0.." + max
                            + ": " + Arrays.toString(lens));
                }
            }
            return lens.clone();
        }

        /** The four lists in pf_cfg's order: src4, dst4, src6, dst6. */
        int[][] lists() {
            return new int[][] {src4.clone(), dst4.clone(), src6.clone(), dst6.clone()};
        }

        @Override
        public int[] src4() {
            return src4.clone();
        }

        @Override
        public int[] dst4() {
            return dst4.clone();
        }

        @Override
        public int[] src6() {
            return src6.clone();
        }

        @Override
        public int[] dst6() {
            return dst6.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Nets n && Arrays.equals(n.src4, src4) && Arrays.equals(n.dst4, dst4)
                    && Arrays.equals(n.src6, src6) && Arrays.equals(n.dst6, dst6) && n.skipLpm == skipLpm;
        }

        @Override
        public int hashCode() {
            return Arrays.deepHashCode(new Object[] {src4, dst4, src6, dst6, skipLpm});
        }

        @Override
        public String toString() {
            return "Nets[src4=%s, dst4=%s, src6=%s, dst6=%s, skipLpm=%x]".formatted(Arrays.toString(src4),
                    Arrays.toString(dst4), Arrays.toString(src6), Arrays.toString(dst6), skipLpm);
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
        int[][] lists = nets.lists();
        for (int l = 0; l < lists.length; l++) {
            for (int i = 0; i < NET_LENS; i++) {
                Mem.u8(dst, LENS + NET_LENS * l + i, i < lists[l].length ? lists[l][i] : NET_LEN_END);
            }
        }
        Mem.u32(dst, SKIP_LPM, nets.skipLpm());
        Mem.u32(dst, SKIP_LPM + 4, 0);
    }

    public static PfCfg decode(MemorySegment src) {
        int[] rules = new int[SLOTS];
        for (int i = 0; i < SLOTS; i++) {
            rules[i] = Mem.u32(src, SLOT_RULE + 4L * i);
        }
        int[][] lists = new int[4][];
        for (int l = 0; l < lists.length; l++) {
            int n = 0;
            while (n < NET_LENS && Mem.u8(src, LENS + NET_LENS * l + n) != NET_LEN_END) {
                n++;
            }
            lists[l] = new int[n];
            for (int i = 0; i < n; i++) {
                lists[l][i] = Mem.u8(src, LENS + NET_LENS * l + i);
            }
        }
        Nets nets = new Nets(lists[0], lists[1], lists[2], lists[3], Mem.u32(src, SKIP_LPM));
        return new PfCfg(Mem.u64(src, 0), Mem.u64(src, 8), Mem.u64(src, 16), Mem.u64(src, 24),
                Mem.u64(src, 32), Mem.u64(src, 40), Mem.u32(src, 48), Mem.u32(src, 52),
                Mem.u32(src, 56), Mem.u32(src, 60), rules, nets);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PfCfg c && c.needSrc == needSrc && c.needDst == needDst && c.needL4 == needL4
                && c.deny == deny && c.allow == allow && c.active == active && c.mode == mode
                && c.ratePps == ratePps && c.rateBurst == rateBurst && c.sampleEvery == sampleEvery
                && Arrays.equals(c.slotRule, slotRule) && c.nets.equals(nets);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new long[] {needSrc, needDst, needL4, deny, allow, active, mode, ratePps,
                rateBurst, sampleEvery, Arrays.hashCode(slotRule), nets.hashCode()});
    }

    @Override
    public String toString() {
        return "PfCfg[needSrc=%x, needDst=%x, needL4=%x, deny=%x, allow=%x, active=%x, mode=%d, ratePps=%d, rateBurst=%d, sampleEvery=%d, slotRule=%s, nets=%s]"
                .formatted(needSrc, needDst, needL4, deny, allow, active, mode, ratePps, rateBurst,
                        sampleEvery, Arrays.toString(slotRule), nets);
    }
}
