package dev.weir.datapath.endpoint;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.Arrays;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct ep_frag_key}: key of the datapath-internal {@code ep_frag} (a fragmented datagram at
 * one endpoint hook). For inspection and tests; the agent never writes it. Immutable.
 *
 * @param saddr source, 16 bytes (IPv4 v4-mapped)
 * @param daddr destination, 16 bytes
 * @param id IPv4 identification or IPv6 fragment identification
 * @param epId endpoint id
 * @param proto IPv4 protocol or the IPv6 fragment header's next header
 * @param family 4 or 6
 * @param dir hook direction
 */
public record EpFragKey(byte[] saddr, byte[] daddr, int id, int epId, int proto, int family, int dir) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.addr("saddr"),
            Mem.addr("daddr"),
            Mem.U32.withName("id"),
            Mem.U32.withName("ep_id"),
            Mem.U8.withName("proto"),
            Mem.U8.withName("family"),
            Mem.U8.withName("dir"),
            Mem.U8.withName("_pad")).withName("ep_frag_key");

    public static final Codec<EpFragKey> CODEC = Codec.of(LAYOUT, EpFragKey::encode, EpFragKey::decode);

    public EpFragKey {
        saddr = Mem.checkLength(saddr, 16, "source");
        daddr = Mem.checkLength(daddr, 16, "destination");
    }

    @Override
    public byte[] saddr() {
        return saddr.clone();
    }

    @Override
    public byte[] daddr() {
        return daddr.clone();
    }

    public void encode(MemorySegment dst) {
        Mem.bytes(dst, 0, saddr);
        Mem.bytes(dst, 16, daddr);
        Mem.u32(dst, 32, id);
        Mem.u32(dst, 36, epId);
        Mem.u8(dst, 40, proto);
        Mem.u8(dst, 41, family);
        Mem.u8(dst, 42, dir);
        Mem.u8(dst, 43, 0);
    }

    public static EpFragKey decode(MemorySegment src) {
        return new EpFragKey(Mem.bytes(src, 0, 16), Mem.bytes(src, 16, 16), Mem.u32(src, 32), Mem.u32(src, 36),
                Mem.u8(src, 40), Mem.u8(src, 41), Mem.u8(src, 42));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EpFragKey k && Arrays.equals(k.saddr, saddr) && Arrays.equals(k.daddr, daddr)
                && k.id == id && k.epId == epId && k.proto == proto && k.family == family && k.dir == dir;
    }

    @Override
    public int hashCode() {
        return (Arrays.hashCode(saddr) * 31 + Arrays.hashCode(daddr)) * 31 + id * 17 + epId * 5 + dir;
    }
}
