package dev.weir.datapath.prefilter;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.Arrays;
import java.util.HexFormat;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct pf_lpm6_key}: key of the IPv6 LPM tries ({@code pf_src6_G}, {@code pf_dst6_G}).
 * Immutable (the address array is copied in and out).
 *
 * <p>The address is 16 raw bytes rather than an {@code Inet6Address} because Java turns
 * v4-mapped IPv6 addresses into IPv4 ones.
 *
 * @param prefixLen 0..128
 * @param addr 16 bytes, network order
 */
public record PfLpm6Key(int prefixLen, byte[] addr) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U32.withName("prefixlen"),
            MemoryLayout.sequenceLayout(16, Mem.U8).withName("addr")).withName("pf_lpm6_key");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<PfLpm6Key> CODEC = Codec.of(LAYOUT, PfLpm6Key::encode, PfLpm6Key::decode);

    public PfLpm6Key {
        if (prefixLen < 0 || prefixLen > 128) {
            throw new IllegalArgumentException("IPv6 prefix length " + prefixLen);
        }
        addr = Mem.checkLength(addr, 16, "IPv6 address");
    }

    /** The key for an address given as an {@code InetAddress} (IPv4 becomes v4-mapped). */
    public static PfLpm6Key of(int prefixLen, java.net.InetAddress addr) {
        return new PfLpm6Key(prefixLen, Mem.mapped(addr));
    }

    @Override
    public byte[] addr() {
        return addr.clone();
    }

    public void encode(MemorySegment dst) {
        Mem.u32(dst, 0, prefixLen);
        Mem.bytes(dst, 4, addr);
    }

    public static PfLpm6Key decode(MemorySegment src) {
        return new PfLpm6Key(Mem.u32(src, 0), Mem.bytes(src, 4, 16));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PfLpm6Key k && k.prefixLen == prefixLen && Arrays.equals(k.addr, addr);
    }

    @Override
    public int hashCode() {
        return 31 * prefixLen + Arrays.hashCode(addr);
    }

    @Override
    public String toString() {
        return Mem.address(addr).getHostAddress() + "/" + prefixLen + " (" + HexFormat.of().formatHex(addr) + ")";
    }
}
