package dev.weir.datapath.lb;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct lb_slot_key}: key of {@code lb_slot} (value: a backend id). Immutable.
 *
 * @param svcId the service
 * @param slot  1..count
 * @param gen   the generation (0..255)
 */
public record LbSlotKey(int svcId, int slot, int gen) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U32.withName("svc_id"),
            Mem.U16.withName("slot"),
            Mem.U8.withName("gen"),
            Mem.pad(1)).withName("lb_slot_key");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<LbSlotKey> CODEC = Codec.of(LAYOUT, LbSlotKey::encode, LbSlotKey::decode);

    public LbSlotKey {
        Mem.checkRange(slot, 0, 0xffff, "slot");
        Mem.checkRange(gen, 0, 0xff, "gen");
    }

    public void encode(MemorySegment dst) {
        Mem.u32(dst, 0, svcId);
        Mem.u16(dst, 4, slot);
        Mem.u8(dst, 6, gen);
        Mem.u8(dst, 7, 0);
    }

    public static LbSlotKey decode(MemorySegment src) {
        return new LbSlotKey(Mem.u32(src, 0), Mem.u16(src, 4), Mem.u8(src, 6));
    }
}
