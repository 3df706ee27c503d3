package dev.weir.datapath.lb;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct lb_svc_val}: a frontend's service, value of {@code lb_svc}. Writing it is the atomic
 * switch to generation {@code gen} with {@code count} active backends. Immutable.
 *
 * @param svcId            service id (1..), the key of its slots and Maglev entries
 * @param revNatId         key of the frontend in {@code lb_revnat}
 * @param count            active backends: slots 1..count of generation {@code gen} (0..65535)
 * @param flags            {@code LbMaps.F_*}
 * @param gen              generation of the slots and Maglev entries in use (0..255)
 * @param affinityTimeoutS ClientIP affinity timeout in seconds, 0 = none
 * @param maglevM          Maglev table size (prime) when {@link LbMaps#F_MAGLEV}
 */
public record LbSvcVal(int svcId, int revNatId, int count, int flags, int gen, int affinityTimeoutS, int maglevM) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U32.withName("svc_id"),
            Mem.U32.withName("rev_nat_id"),
            Mem.U16.withName("count"),
            Mem.U16.withName("flags"),
            Mem.U8.withName("gen"),
            Mem.pad(3),
            Mem.U32.withName("affinity_timeout_s"),
            Mem.U32.withName("maglev_m"),
            Mem.U32.withName("_pad2")).withName("lb_svc_val");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<LbSvcVal> CODEC = Codec.of(LAYOUT, LbSvcVal::encode, LbSvcVal::decode);

    public LbSvcVal {
        Mem.checkRange(count, 0, 0xffff, "count");
        Mem.checkRange(flags, 0, 0xffff, "flags");
        Mem.checkRange(gen, 0, 0xff, "gen");
    }

    /** The same service switched to generation {@code gen} with {@code count} active backends. */
    public LbSvcVal withGeneration(int gen, int count) {
        return new LbSvcVal(svcId, revNatId, count, flags, gen, affinityTimeoutS, maglevM);
    }

    public void encode(MemorySegment dst) {
        Mem.u32(dst, 0, svcId);
        Mem.u32(dst, 4, revNatId);
        Mem.u16(dst, 8, count);
        Mem.u16(dst, 10, flags);
        Mem.u8(dst, 12, gen);
        Mem.u8(dst, 13, 0);
        Mem.u16(dst, 14, 0);
        Mem.u32(dst, 16, affinityTimeoutS);
        Mem.u32(dst, 20, maglevM);
        Mem.u32(dst, 24, 0);
    }

    public static LbSvcVal decode(MemorySegment src) {
        return new LbSvcVal(Mem.u32(src, 0), Mem.u32(src, 4), Mem.u16(src, 8), Mem.u16(src, 10), Mem.u8(src, 12),
                Mem.u32(src, 16), Mem.u32(src, 20));
    }
}
