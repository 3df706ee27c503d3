package dev.weir.datapath.lb;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct lb_maglev_key}: key of {@code lb_maglev} (value: a backend id). Immutable.
 *
 * @param svcId the service
 * @param index 0..M-1: {@code LbHash.tuple(client) % M}, unsigned
 * @param gen   the generation (0..255)
 */
public record LbMaglevKey(int svcId, int index, int gen) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U32.withName("svc_id"),
            Mem.U32.withName("index"),
            Mem.U8.withName("gen"),
            Mem.pad(3)).withName("lb_maglev_key");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<LbMaglevKey> CODEC = Codec.of(LAYOUT, LbMaglevKey::encode, LbMaglevKey::decode);

    public LbMaglevKey {
        Mem.checkRange(gen, 0, 0xff, "gen");
    }

    public void encode(MemorySegment dst) {
        Mem.u32(dst, 0, svcId);
        Mem.u32(dst, 4, index);
        Mem.u8(dst, 8, gen);
        Mem.u8(dst, 9, 0);
        Mem.u16(dst, 10, 0);
    }

    public static LbMaglevKey decode(MemorySegment src) {
        return new LbMaglevKey(Mem.u32(src, 0), Mem.u32(src, 4), Mem.u8(src, 8));
    }
}
