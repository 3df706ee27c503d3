package dev.weir.datapath.sockmap;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.Arrays;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct sock_key}: key of {@code sockmap_socks}, a socket by its own view of the connection (written
 * by the sock_ops program only; the control plane reads keys for diagnostics and tests). Immutable.
 *
 * @param local  the socket's address, 16 bytes (IPv4 v4-mapped)
 * @param remote the peer's address, 16 bytes
 * @param lport  the socket's port
 * @param rport  the peer's port
 */
public record SockKey(byte[] local, byte[] remote, int lport, int rport) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.addr("local"),
            Mem.addr("remote"),
            Mem.BE16.withName("lport"),
            Mem.BE16.withName("rport"),
            Mem.pad(4)).withName("sock_key");

    /** The map codec: {@link #LAYOUT}. */
    public static final Codec<SockKey> CODEC = Codec.of(LAYOUT, SockKey::encode, SockKey::decode);

    public SockKey {
        local = Mem.checkLength(local, 16, "local address");
        remote = Mem.checkLength(remote, 16, "remote address");
        Mem.checkRange(lport, 0, 0xffff, "local port");
        Mem.checkRange(rport, 0, 0xffff, "remote port");
    }

    @Override
    public byte[] local() {
        return local.clone();
    }

    @Override
    public byte[] remote() {
        return remote.clone();
    }

    /** The peer socket's key: the same connection seen from the other end. */
    public SockKey peer() {
        return new SockKey(remote, local, rport, lport);
    }

    public void encode(MemorySegment dst) {
        Mem.bytes(dst, 0, local);
        Mem.bytes(dst, 16, remote);
        Mem.be16(dst, 32, lport);
        Mem.be16(dst, 34, rport);
        Mem.u32(dst, 36, 0);
    }

    public static SockKey decode(MemorySegment src) {
        return new SockKey(Mem.bytes(src, 0, 16), Mem.bytes(src, 16, 16), Mem.be16(src, 32), Mem.be16(src, 34));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SockKey k && Arrays.equals(k.local, local) && Arrays.equals(k.remote, remote)
                && k.lport == lport && k.rport == rport;
    }

    @Override
    public int hashCode() {
        return (Arrays.hashCode(local) * 31 + Arrays.hashCode(remote)) * 31 + lport * 65536 + rport;
    }

    @Override
    public String toString() {
        return "SockKey[" + Mem.text(local) + ":" + lport + " -> " + Mem.text(remote) + ":" + rport + "]";
    }
}
