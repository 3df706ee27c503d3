package dev.weir.datapath.prefilter;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import dev.weir.datapath.Mem;
import dev.weir.datapath.DropReason;
import dev.weir.ebpf.Codec;

/**
 * {@code struct pf_frag_val}: the verdict of a datagram's first fragment, followed by its later
 * fragments. Immutable.
 *
 * @param reason the first fragment's reason code ({@link DropReason})
 * @param rule the rule that decided it, {@link #RULE_NONE} if none
 * @param flags {@link #DRY_RUN} when the first fragment's drop was a dry run (it passed)
 */
public record PfFragVal(int reason, int rule, int flags) {

    /** {@code PF_VERDICT_DRY_RUN}: a drop that was counted, not carried out. */
    public static final int DRY_RUN = 1;

    /** No rule decided the verdict ({@code PF_RULE_NONE}). */
    public static final int RULE_NONE = 0xffffffff;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U32.withName("reason"),
            Mem.U32.withName("rule"),
            Mem.U32.withName("flags")).withName("pf_frag_val");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<PfFragVal> CODEC = Codec.of(LAYOUT, PfFragVal::encode, PfFragVal::decode);

    public void encode(MemorySegment dst) {
        Mem.u32(dst, 0, reason);
        Mem.u32(dst, 4, rule);
        Mem.u32(dst, 8, flags);
    }

    /** A verdict that was carried out. */
    public PfFragVal(int reason, int rule) {
        this(reason, rule, 0);
    }

    public static PfFragVal decode(MemorySegment src) {
        return new PfFragVal(Mem.u32(src, 0), Mem.u32(src, 4), Mem.u32(src, 8));
    }
}
