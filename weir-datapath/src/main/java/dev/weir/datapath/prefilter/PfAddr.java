package dev.weir.datapath.prefilter;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.net.InetAddress;
import java.util.Arrays;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct pf_addr}: key of {@code pf_rate}, a source address, IPv4 as v4-mapped IPv6.
 * Immutable.
 *
 * @param addr 16 bytes, network order
 */
public record PfAddr(byte[] addr) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(16, Mem.U8).withName("addr")).withName("pf_addr");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<PfAddr> CODEC = Codec.of(LAYOUT, PfAddr::encode, PfAddr::decode);

    public PfAddr {
        addr = Mem.checkLength(addr, 16, "address");
    }

    /** The key of an IPv4 (stored v4-mapped) or IPv6 address. */
    public static PfAddr of(InetAddress a) {
        return new PfAddr(Mem.mapped(a));
    }

    /** The address; a v4-mapped one comes back as IPv4. */
    public InetAddress address() {
        return Mem.address(addr);
    }

    @Override
    public byte[] addr() {
        return addr.clone();
    }

    public void encode(MemorySegment dst) {
        Mem.bytes(dst, 0, addr);
    }

    public static PfAddr decode(MemorySegment src) {
        return new PfAddr(Mem.bytes(src, 0, 16));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PfAddr a && Arrays.equals(a.addr, addr);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(addr);
    }

    @Override
    public String toString() {
        return "PfAddr[" + address().getHostAddress() + "]";
    }
}
