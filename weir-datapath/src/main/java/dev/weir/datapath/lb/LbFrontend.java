package dev.weir.datapath.lb;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.net.InetAddress;
import java.util.Arrays;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct lb_frontend}: a frontend to restore, value of {@code lb_revnat} (by rev-NAT id) and
 * {@code lb_sock_rev}. Immutable.
 *
 * @param addr  frontend address, 16 bytes (IPv4 v4-mapped)
 * @param port  frontend port
 * @param proto IP protocol
 */
public record LbFrontend(byte[] addr, int port, int proto) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.addr("addr"),
            Mem.BE16.withName("port"),
            Mem.U8.withName("proto"),
            Mem.pad(1)).withName("lb_frontend");

    /** The map codec: {@link #LAYOUT}. */
    public static final Codec<LbFrontend> CODEC = Codec.of(LAYOUT, LbFrontend::encode, LbFrontend::decode);

    public LbFrontend {
        addr = Mem.checkLength(addr, 16, "frontend address");
        Mem.checkRange(port, 0, 0xffff, "port");
    }

    public static LbFrontend of(InetAddress addr, int port, int proto) {
        return new LbFrontend(Mem.mapped(addr), port, proto);
    }

    @Override
    public byte[] addr() {
        return addr.clone();
    }

    public void encode(MemorySegment dst) {
        Mem.bytes(dst, 0, addr);
        Mem.be16(dst, 16, port);
        Mem.u8(dst, 18, proto);
        Mem.u8(dst, 19, 0);
    }

    public static LbFrontend decode(MemorySegment src) {
        return new LbFrontend(Mem.bytes(src, 0, 16), Mem.be16(src, 16), Mem.u8(src, 18));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LbFrontend f && Arrays.equals(f.addr, addr) && f.port == port && f.proto == proto;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(addr) * 31 + (port << 8 | proto);
    }

    @Override
    public String toString() {
        return "LbFrontend[" + LbMaps.hostPort(addr, port) + "/" + proto + "]";
    }
}
