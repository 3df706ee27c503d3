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
 * @param dry deny slots in dry run: what they match is counted in {@code pf_dry} and passes
 * @param flags {@link #DRY_RUN}: every drop of the prefilter is a dry run; {@link #REDIRECT}: the redirect stage
 *              is on
 */
public record PfCfg(long needSrc, long needDst, long needL4, long deny, long allow, long active,
                    int mode, int ratePps, int rateBurst, int sampleEvery, int[] slotRule, Nets nets,
                    long dry, int flags) {

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
    /** {@link #flags()} bit {@code PF_CFG_DRY_RUN}: the whole prefilter counts its drops and passes. */
    public static final int DRY_RUN = 1;
    /** {@link #flags()} bit {@code PF_CFG_REDIRECT}: passed packets of local pods' established connections may be
     *  redirected to their veth (docs/prefilter-datapath.md, "Redirect to local pods"). */
    public static final int REDIRECT = 2;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U64.withName("need_src"),
            Mem.U64.withName("need_dst"),
            Mem.U64.withName("need_l4"),
            Mem.U64.withName("deny"),
            Mem.U64.withName("allow"),
            Mem.U64.withName("dry"),
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
            Mem.U32.withName("flags")).withName("pf_cfg");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<PfCfg> CODEC = Codec.of(LAYOUT, PfCfg::encode, PfCfg::decode);

    private static final long NEED_SRC = Mem.offset(LAYOUT, "need_src");
    private static final long NEED_DST = Mem.offset(LAYOUT, "need_dst");
    private static final long NEED_L4 = Mem.offset(LAYOUT, "need_l4");
    private static final long DENY = Mem.offset(LAYOUT, "deny");
    private static final long ALLOW = Mem.offset(LAYOUT, "allow");
    private static final long DRY = Mem.offset(LAYOUT, "dry");
    private static final long ACTIVE = Mem.offset(LAYOUT, "active");
    private static final long MODE = Mem.offset(LAYOUT, "mode");
    private static final long RATE_PPS = Mem.offset(LAYOUT, "rate_pps");
    private static final long RATE_BURST = Mem.offset(LAYOUT, "rate_burst");
    private static final long SAMPLE_EVERY = Mem.offset(LAYOUT, "sample_every");
    private static final long SLOT_RULE = Mem.offset(LAYOUT, "slot_rule");
    private static final long LENS = Mem.offset(LAYOUT, "src4_lens");
    private static final long SKIP_LPM = Mem.offset(LAYOUT, "skip_lpm");
    private static final long FLAGS = Mem.offset(LAYOUT, "flags");

    public PfCfg {
        slotRule = slotRule.clone();
        if (slotRule.length != SLOTS) {
            throw new IllegalArgumentException(SLOTS + " slot rules expected, got " + slotRule.length);
        }
        java.util.Objects.requireNonNull(nets, "nets");
        if ((flags & ~(DRY_RUN | REDIRECT)) != 0) {
            throw new IllegalArgumentException("pf_cfg flags 0x" + Integer.toHexString(flags));
        }
    }

    /** Nothing in dry run. */
    public PfCfg(long needSrc, long needDst, long needL4, long deny, long allow, long active,
                 int mode, int ratePps, int rateBurst, int sampleEvery, int[] slotRule, Nets nets) {
        this(needSrc, needDst, needL4, deny, allow, active, mode, ratePps, rateBurst, sampleEvery, slotRule, nets, 0, 0);
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
        Mem.u64(dst, NEED_SRC, needSrc);
        Mem.u64(dst, NEED_DST, needDst);
        Mem.u64(dst, NEED_L4, needL4);
        Mem.u64(dst, DENY, deny);
        Mem.u64(dst, ALLOW, allow);
        Mem.u64(dst, DRY, dry);
        Mem.u64(dst, ACTIVE, active);
        Mem.u32(dst, MODE, mode);
        Mem.u32(dst, RATE_PPS, ratePps);
        Mem.u32(dst, RATE_BURST, rateBurst);
        Mem.u32(dst, SAMPLE_EVERY, sampleEvery);
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
        Mem.u32(dst, FLAGS, flags);
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
        return new PfCfg(Mem.u64(src, NEED_SRC), Mem.u64(src, NEED_DST), Mem.u64(src, NEED_L4), Mem.u64(src, DENY),
                Mem.u64(src, ALLOW), Mem.u64(src, ACTIVE), Mem.u32(src, MODE), Mem.u32(src, RATE_PPS),
                Mem.u32(src, RATE_BURST), Mem.u32(src, SAMPLE_EVERY), rules, nets, Mem.u64(src, DRY), Mem.u32(src, FLAGS));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PfCfg c && c.needSrc == needSrc && c.needDst == needDst && c.needL4 == needL4
                && c.deny == deny && c.allow == allow && c.active == active && c.mode == mode
                && c.ratePps == ratePps && c.rateBurst == rateBurst && c.sampleEvery == sampleEvery
                && Arrays.equals(c.slotRule, slotRule) && c.nets.equals(nets) && c.dry == dry && c.flags == flags;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new long[] {needSrc, needDst, needL4, deny, allow, active, mode, ratePps,
                rateBurst, sampleEvery, Arrays.hashCode(slotRule), nets.hashCode(), dry, flags});
    }

    @Override
    public String toString() {
        return "PfCfg[needSrc=%x, needDst=%x, needL4=%x, deny=%x, allow=%x, active=%x, mode=%d, ratePps=%d, rateBurst=%d, sampleEvery=%d, slotRule=%s, nets=%s, dry=%x, flags=%x]"
                .formatted(needSrc, needDst, needL4, deny, allow, active, mode, ratePps, rateBurst,
                        sampleEvery, Arrays.toString(slotRule), nets, dry, flags);
    }
}
