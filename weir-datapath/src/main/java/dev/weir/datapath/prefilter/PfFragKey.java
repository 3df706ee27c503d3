package dev.weir.datapath.prefilter;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.net.InetAddress;
import java.util.Arrays;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct pf_frag_key}: key of {@code pf_frag}, identifying one fragmented datagram. Immutable.
 *
 * @param src source address, 16 bytes (IPv4 v4-mapped)
 * @param dst destination address, 16 bytes (IPv4 v4-mapped)
 * @param id IPv4 identification (16 bits) or IPv6 fragment identification (32 bits)
 * @param proto IPv4 protocol, or the IPv6 fragment header's next header
 * @param family 4 or 6
 */
public record PfFragKey(byte[] src, byte[] dst, int id, int proto, int family) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(16, Mem.U8).withName("src"),
            MemoryLayout.sequenceLayout(16, Mem.U8).withName("dst"),
            Mem.U32.withName("id"),
            Mem.U8.withName("proto"),
            Mem.U8.withName("family"),
            Mem.U16.withName("_pad")).withName("pf_frag_key");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<PfFragKey> CODEC = Codec.of(LAYOUT, PfFragKey::encode, PfFragKey::decode);

    public PfFragKey {
        src = Mem.checkLength(src, 16, "source");
        dst = Mem.checkLength(dst, 16, "destination");
    }

    public static PfFragKey of(InetAddress src, InetAddress dst, int id, int proto) {
        return new PfFragKey(Mem.mapped(src), Mem.mapped(dst), id, proto, src.getAddress().length == 4 ? 4 : 6);
    }

    @Override
    public byte[] src() {
        return src.clone();
    }

    @Override
    public byte[] dst() {
        return dst.clone();
    }

    public void encode(MemorySegment dst) {
        Mem.bytes(dst, 0, src);
        Mem.bytes(dst, 16, this.dst);
        Mem.u32(dst, 32, id);
        Mem.u8(dst, 36, proto);
        Mem.u8(dst, 37, family);
        Mem.u16(dst, 38, 0);
    }

    public static PfFragKey decode(MemorySegment src) {
        return new PfFragKey(Mem.bytes(src, 0, 16), Mem.bytes(src, 16, 16), Mem.u32(src, 32),
                Mem.u8(src, 36), Mem.u8(src, 37));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PfFragKey k && Arrays.equals(k.src, src) && Arrays.equals(k.dst, dst)
                && k.id == id && k.proto == proto && k.family == family;
    }

    @Override
    public int hashCode() {
        return ((Arrays.hashCode(src) * 31 + Arrays.hashCode(dst)) * 31 + id) * 31 + proto * 8 + family;
    }

    @Override
    public String toString() {
        return "PfFragKey[%s > %s id=%d proto=%d family=%d]".formatted(Mem.address(src).getHostAddress(),
                Mem.address(dst).getHostAddress(), Integer.toUnsignedLong(id), proto, family);
    }
}
