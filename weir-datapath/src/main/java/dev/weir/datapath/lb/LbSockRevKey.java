package dev.weir.datapath.lb;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.Arrays;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct lb_sock_rev_key}: key of {@code lb_sock_rev} (value: the {@link LbFrontend} the socket
 * addressed). Written by the socket hooks only; the control plane reads it for diagnostics. Immutable.
 *
 * @param cookie the socket's cookie ({@code SO_COOKIE})
 * @param addr   the backend address the socket was sent to, 16 bytes
 * @param port   the backend port
 */
public record LbSockRevKey(long cookie, byte[] addr, int port) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U64.withName("cookie"),
            Mem.addr("addr"),
            Mem.BE16.withName("port"),
            Mem.pad(6)).withName("lb_sock_rev_key");

    /** The map codec: {@link #LAYOUT}. */
    public static final Codec<LbSockRevKey> CODEC = Codec.of(LAYOUT, LbSockRevKey::encode, LbSockRevKey::decode);

    public LbSockRevKey {
        addr = Mem.checkLength(addr, 16, "backend address");
        Mem.checkRange(port, 0, 0xffff, "port");
    }

    @Override
    public byte[] addr() {
        return addr.clone();
    }

    public void encode(MemorySegment dst) {
        Mem.u64(dst, 0, cookie);
        Mem.bytes(dst, 8, addr);
        Mem.be16(dst, 24, port);
        Mem.u16(dst, 26, 0);
        Mem.u32(dst, 28, 0);
    }

    public static LbSockRevKey decode(MemorySegment src) {
        return new LbSockRevKey(Mem.u64(src, 0), Mem.bytes(src, 8, 16), Mem.be16(src, 24));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LbSockRevKey k && k.cookie == cookie && Arrays.equals(k.addr, addr) && k.port == port;
    }

    @Override
    public int hashCode() {
        return (Long.hashCode(cookie) * 31 + Arrays.hashCode(addr)) * 31 + port;
    }

    @Override
    public String toString() {
        return "LbSockRevKey[cookie " + cookie + " " + LbMaps.hostPort(addr, port) + "]";
    }
}
