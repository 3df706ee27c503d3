package dev.weir.datapath.nodeport;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.Arrays;
import java.util.Objects;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct np_frag_val}: what the later fragments of a datagram whose first fragment the underlay (or
 * {@code weir_from_ep}, for a local backend's reply) translated or dropped get: that fragment's addresses, or
 * its drop. The key is {@link dev.weir.datapath.endpoint.EpFragKey} (endpoint id 0, direction
 * {@link NodePortMaps#DIR_FWD} or {@link NodePortMaps#DIR_REV}). Internal to the datapath; for inspection and
 * tests. Immutable.
 *
 * @param natSaddr the later fragments' new source, 16 bytes (IPv4 v4-mapped)
 * @param natDaddr their new destination
 * @param reason   the first fragment's reason: a service translation or a drop
 * @param svcId    the service
 * @param revNatId the frontend
 */
public record NpFragVal(byte[] natSaddr, byte[] natDaddr, int reason, int svcId, int revNatId) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.addr("nat_saddr"),
            Mem.addr("nat_daddr"),
            Mem.U32.withName("reason"),
            Mem.U32.withName("svc_id"),
            Mem.U32.withName("rev_nat_id"),
            Mem.U32.withName("_pad")).withName("np_frag_val");

    /** The map codec: {@link #LAYOUT}. */
    public static final Codec<NpFragVal> CODEC = Codec.of(LAYOUT, NpFragVal::encode, NpFragVal::decode);

    public NpFragVal {
        natSaddr = Mem.checkLength(natSaddr, 16, "new source");
        natDaddr = Mem.checkLength(natDaddr, 16, "new destination");
    }

    @Override
    public byte[] natSaddr() {
        return natSaddr.clone();
    }

    @Override
    public byte[] natDaddr() {
        return natDaddr.clone();
    }

    public void encode(MemorySegment dst) {
        Mem.bytes(dst, 0, natSaddr);
        Mem.bytes(dst, 16, natDaddr);
        Mem.u32(dst, 32, reason);
        Mem.u32(dst, 36, svcId);
        Mem.u32(dst, 40, revNatId);
        Mem.u32(dst, 44, 0);
    }

    public static NpFragVal decode(MemorySegment src) {
        return new NpFragVal(Mem.bytes(src, 0, 16), Mem.bytes(src, 16, 16), Mem.u32(src, 32), Mem.u32(src, 36),
                Mem.u32(src, 40));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NpFragVal v && Arrays.equals(natSaddr, v.natSaddr) && Arrays.equals(natDaddr, v.natDaddr)
                && reason == v.reason && svcId == v.svcId && revNatId == v.revNatId;
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(natSaddr), Arrays.hashCode(natDaddr), reason, svcId, revNatId);
    }
}
