package dev.weir.datapath.prefilter;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.net.Inet4Address;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct pf_lpm4_key}: key of the IPv4 LPM tries ({@code pf_src4_G}, {@code pf_dst4_G}).
 * Immutable.
 *
 * @param prefixLen 0..32
 * @param addr the prefix; bits beyond prefixLen are the caller's business (the trie ignores them)
 */
public record PfLpm4Key(int prefixLen, Inet4Address addr) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U32.withName("prefixlen"),
            MemoryLayout.sequenceLayout(4, Mem.U8).withName("addr")).withName("pf_lpm4_key");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<PfLpm4Key> CODEC = Codec.of(LAYOUT, PfLpm4Key::encode, PfLpm4Key::decode);

    public PfLpm4Key {
        if (prefixLen < 0 || prefixLen > 32) {
            throw new IllegalArgumentException("IPv4 prefix length " + prefixLen);
        }
    }

    /** A host key, /32, as the datapath looks addresses up. */
    public static PfLpm4Key host(Inet4Address addr) {
        return new PfLpm4Key(32, addr);
    }

    public void encode(MemorySegment dst) {
        Mem.u32(dst, 0, prefixLen);
        Mem.bytes(dst, 4, addr.getAddress());
    }

    public static PfLpm4Key decode(MemorySegment src) {
        return new PfLpm4Key(Mem.u32(src, 0), (Inet4Address) Mem.address(Mem.bytes(src, 4, 4)));
    }

    @Override
    public String toString() {
        return addr.getHostAddress() + "/" + prefixLen;
    }
}
