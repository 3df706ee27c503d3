package dev.weir.datapath.lb;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.net.InetAddress;
import java.util.Arrays;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct lb_svc_key}: a service frontend, key of {@code lb_svc}. The port is big-endian in the
 * key (the codec converts). Immutable.
 *
 * @param addr  frontend address, 16 bytes (IPv4 v4-mapped)
 * @param port  frontend port
 * @param proto IP protocol ({@link LbMaps#TCP} / {@link LbMaps#UDP})
 * @param scope {@link LbMaps#SCOPE_ANY} or {@link LbMaps#SCOPE_LOCAL}
 */
public record LbSvcKey(byte[] addr, int port, int proto, int scope) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.addr("addr"),
            Mem.BE16.withName("port"),
            Mem.U8.withName("proto"),
            Mem.U8.withName("scope")).withName("lb_svc_key");

    /** The map codec: {@link #LAYOUT}. */
    public static final Codec<LbSvcKey> CODEC = Codec.of(LAYOUT, LbSvcKey::encode, LbSvcKey::decode);

    public LbSvcKey {
        addr = Mem.checkLength(addr, 16, "frontend address");
        Mem.checkRange(port, 0, 0xffff, "port");
    }

    public static LbSvcKey of(InetAddress addr, int port, int proto, int scope) {
        return new LbSvcKey(Mem.mapped(addr), port, proto, scope);
    }

    @Override
    public byte[] addr() {
        return addr.clone();
    }

    public void encode(MemorySegment dst) {
        Mem.bytes(dst, 0, addr);
        Mem.be16(dst, 16, port);
        Mem.u8(dst, 18, proto);
        Mem.u8(dst, 19, scope);
    }

    public static LbSvcKey decode(MemorySegment src) {
        return new LbSvcKey(Mem.bytes(src, 0, 16), Mem.be16(src, 16), Mem.u8(src, 18), Mem.u8(src, 19));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LbSvcKey k && Arrays.equals(k.addr, addr) && k.port == port && k.proto == proto
                && k.scope == scope;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(addr) * 31 + (port << 16 | proto << 8 | scope);
    }

    @Override
    public String toString() {
        return "LbSvcKey[" + LbMaps.hostPort(addr, port) + "/" + proto + " scope " + scope + "]";
    }
}
