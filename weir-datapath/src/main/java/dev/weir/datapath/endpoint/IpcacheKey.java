package dev.weir.datapath.endpoint;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.net.InetAddress;
import java.util.Arrays;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct ipcache_key}: LPM key of {@code ipcache}. The address is 16 bytes, IPv4 v4-mapped;
 * the prefix length counts all 128 bits, so an IPv4 /24 is 96 + 24. Immutable.
 *
 * @param prefixLen 0..128
 * @param addr 16 bytes, network order
 */
public record IpcacheKey(int prefixLen, byte[] addr) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U32.withName("prefixlen"),
            Mem.addr("addr")).withName("ipcache_key");

    /** The map codec: {@link #LAYOUT}. */
    public static final Codec<IpcacheKey> CODEC = Codec.of(LAYOUT, IpcacheKey::encode, IpcacheKey::decode);

    public IpcacheKey {
        Mem.checkRange(prefixLen, 0, 128, "prefix length");
        addr = Mem.checkLength(addr, 16, "address");
    }

    /**
     * The key of a CIDR in its own family's terms: {@code of(10.0.0.0, 24)} is prefix length 120.
     *
     * @throws IllegalArgumentException for a prefix length beyond the family's
     */
    public static IpcacheKey of(InetAddress addr, int bits) {
        boolean v4 = addr.getAddress().length == 4;
        Mem.checkRange(bits, 0, v4 ? 32 : 128, "prefix length");
        return new IpcacheKey(v4 ? 96 + bits : bits, Mem.mapped(addr));
    }

    /** A host: /32 or /128. */
    public static IpcacheKey host(InetAddress addr) {
        return of(addr, addr.getAddress().length * 8);
    }

    @Override
    public byte[] addr() {
        return addr.clone();
    }

    public void encode(MemorySegment dst) {
        Mem.u32(dst, 0, prefixLen);
        Mem.bytes(dst, 4, addr);
    }

    public static IpcacheKey decode(MemorySegment src) {
        return new IpcacheKey(Mem.u32(src, 0), Mem.bytes(src, 4, 16));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IpcacheKey k && k.prefixLen == prefixLen && Arrays.equals(k.addr, addr);
    }

    @Override
    public int hashCode() {
        return 31 * prefixLen + Arrays.hashCode(addr);
    }

    @Override
    public String toString() {
        return Mem.text(addr) + "/" + prefixLen;
    }
}
