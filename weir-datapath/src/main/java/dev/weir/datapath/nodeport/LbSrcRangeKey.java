package dev.weir.datapath.nodeport;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.Arrays;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct lb_src_range_key}: LPM key of {@code lb_src_range}, a LoadBalancer frontend (its rev-NAT id,
 * matched exactly) and a source prefix. The prefix length counts the id's 32 bits and all 128 address bits
 * (IPv4 v4-mapped): an IPv4 /24 is 32 + 96 + 24. Immutable.
 *
 * @param prefixLen 32..160
 * @param revNatId  the frontend's rev-NAT id
 * @param addr      16 bytes, network order
 */
public record LbSrcRangeKey(int prefixLen, int revNatId, byte[] addr) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U32.withName("prefixlen"),
            Mem.BE32.withName("rev_nat_id"),
            Mem.addr("addr")).withName("lb_src_range_key");

    /** The map codec: {@link #LAYOUT}. */
    public static final Codec<LbSrcRangeKey> CODEC = Codec.of(LAYOUT, LbSrcRangeKey::encode, LbSrcRangeKey::decode);

    public LbSrcRangeKey {
        Mem.checkRange(prefixLen, 32, 160, "prefix length");
        addr = Mem.checkLength(addr, 16, "address");
    }

    /**
     * The key of a source prefix of one family: {@code address} is 4 or 16 bytes, {@code bits} its prefix
     * length in that family's terms.
     *
     * @throws IllegalArgumentException for a bad address length or a prefix length beyond the family's
     */
    public static LbSrcRangeKey of(int revNatId, byte[] address, int bits) {
        boolean v4 = address.length == 4;
        if (!v4 && address.length != 16) {
            throw new IllegalArgumentException("address of " + address.length + " bytes");
        }
        Mem.checkRange(bits, 0, v4 ? 32 : 128, "prefix length");
        byte[] a = new byte[16];
        if (v4) {
            a[10] = (byte) 0xff;
            a[11] = (byte) 0xff;
            System.arraycopy(address, 0, a, 12, 4);
        } else {
            System.arraycopy(address, 0, a, 0, 16);
        }
        int plen = (v4 ? 96 : 0) + bits;
        for (int i = 0; i < 128; i++) {
            if (i >= plen) {
                a[i / 8] &= (byte) ~(0x80 >>> (i % 8));
            }
        }
        return new LbSrcRangeKey(32 + plen, revNatId, a);
    }

    @Override
    public byte[] addr() {
        return addr.clone();
    }

    public void encode(MemorySegment dst) {
        Mem.u32(dst, 0, prefixLen);
        Mem.be32(dst, 4, revNatId);
        Mem.bytes(dst, 8, addr);
    }

    public static LbSrcRangeKey decode(MemorySegment src) {
        return new LbSrcRangeKey(Mem.u32(src, 0), Mem.be32(src, 4), Mem.bytes(src, 8, 16));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LbSrcRangeKey k && k.prefixLen == prefixLen && k.revNatId == revNatId
                && Arrays.equals(k.addr, addr);
    }

    @Override
    public int hashCode() {
        return (prefixLen * 31 + revNatId) * 31 + Arrays.hashCode(addr);
    }

    @Override
    public String toString() {
        return "LbSrcRangeKey[revnat=%d %s/%d]".formatted(revNatId, Mem.text(addr), prefixLen - 32);
    }
}
