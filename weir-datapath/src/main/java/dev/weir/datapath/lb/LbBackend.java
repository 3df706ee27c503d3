package dev.weir.datapath.lb;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.net.InetAddress;
import java.util.Arrays;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct lb_backend}: value of {@code lb_backend}, keyed by backend id. Immutable.
 *
 * @param addr  backend address, 16 bytes (IPv4 v4-mapped)
 * @param port  backend port
 * @param proto IP protocol
 * @param state {@code LbMaps.BE_*}; only {@link LbMaps#BE_ACTIVE} is selectable
 */
public record LbBackend(byte[] addr, int port, int proto, int state) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.addr("addr"),
            Mem.BE16.withName("port"),
            Mem.U8.withName("proto"),
            Mem.U8.withName("state"),
            Mem.U32.withName("_pad")).withName("lb_backend");

    /** The map codec: {@link #LAYOUT}. */
    public static final Codec<LbBackend> CODEC = Codec.of(LAYOUT, LbBackend::encode, LbBackend::decode);

    public LbBackend {
        addr = Mem.checkLength(addr, 16, "backend address");
        Mem.checkRange(port, 0, 0xffff, "port");
    }

    public static LbBackend of(InetAddress addr, int port, int proto, int state) {
        return new LbBackend(Mem.mapped(addr), port, proto, state);
    }

    public LbBackend withState(int newState) {
        return new LbBackend(addr, port, proto, newState);
    }

    @Override
    public byte[] addr() {
        return addr.clone();
    }

    public void encode(MemorySegment dst) {
        Mem.bytes(dst, 0, addr);
        Mem.be16(dst, 16, port);
        Mem.u8(dst, 18, proto);
        Mem.u8(dst, 19, state);
        Mem.u32(dst, 20, 0);
    }

    public static LbBackend decode(MemorySegment src) {
        return new LbBackend(Mem.bytes(src, 0, 16), Mem.be16(src, 16), Mem.u8(src, 18), Mem.u8(src, 19));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LbBackend b && Arrays.equals(b.addr, addr) && b.port == port && b.proto == proto
                && b.state == state;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(addr) * 31 + (port << 16 | proto << 8 | state);
    }

    @Override
    public String toString() {
        return "LbBackend[" + LbMaps.hostPort(addr, port) + "/" + proto + " state " + state + "]";
    }
}
