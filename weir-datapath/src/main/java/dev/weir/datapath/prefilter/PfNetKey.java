package dev.weir.datapath.prefilter;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.Arrays;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct pf_net4} / {@code struct pf_net6}: key of the prefix hash maps ({@code pf_snet4_G},
 * {@code pf_dnet6_G} …), a prefix length and the address masked to it. Immutable; the constructor
 * clears the bits past the length, as the datapath's lookup key has them.
 *
 * @param len  prefix length, 0..32 (4-byte address) or 0..128 (16 bytes)
 * @param addr 4 or 16 bytes, network order
 */
public record PfNetKey(int len, byte[] addr) {

    public static final StructLayout LAYOUT4 = layout("pf_net4", 4);
    public static final StructLayout LAYOUT6 = layout("pf_net6", 16);

    /** The map codec of {@code pf_snet4_G} / {@code pf_dnet4_G}. */
    public static final Codec<PfNetKey> CODEC4 = Codec.of(LAYOUT4, PfNetKey::encode, s -> decode(s, 4));
    /** The map codec of {@code pf_snet6_G} / {@code pf_dnet6_G}. */
    public static final Codec<PfNetKey> CODEC6 = Codec.of(LAYOUT6, PfNetKey::encode, s -> decode(s, 16));

    private static StructLayout layout(String name, int bytes) {
        return MemoryLayout.structLayout(
                Mem.U8.withName("len"),
                MemoryLayout.sequenceLayout(3, Mem.U8).withName("pad"),
                MemoryLayout.sequenceLayout(bytes, Mem.U8).withName("addr")).withName(name);
    }

    public PfNetKey {
        if (addr.length != 4 && addr.length != 16) {
            throw new IllegalArgumentException("address of " + addr.length + " bytes (4 or 16)");
        }
        if (len < 0 || len > addr.length * 8) {
            throw new IllegalArgumentException("prefix length " + len + " for a " + addr.length * 8 + "-bit address");
        }
        addr = masked(addr, len);
    }

    /** The address with every bit past {@code len} cleared (a copy). */
    public static byte[] masked(byte[] addr, int len) {
        byte[] out = addr.clone();
        for (int i = 0; i < out.length; i++) {
            int keep = Math.clamp(len - 8L * i, 0, 8);
            out[i] &= (byte) (0xff00 >> keep);
        }
        return out;
    }

    @Override
    public byte[] addr() {
        return addr.clone();
    }

    public void encode(MemorySegment dst) {
        Mem.u8(dst, 0, len);
        Mem.bytes(dst, 1, new byte[3]);
        Mem.bytes(dst, 4, addr);
    }

    public static PfNetKey decode(MemorySegment src, int bytes) {
        return new PfNetKey(Mem.u8(src, 0), Mem.bytes(src, 4, bytes));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PfNetKey k && k.len == len && Arrays.equals(k.addr, addr);
    }

    @Override
    public int hashCode() {
        return len * 31 + Arrays.hashCode(addr);
    }

    @Override
    public String toString() {
        return Mem.address(addr).getHostAddress() + "/" + len;
    }
}
