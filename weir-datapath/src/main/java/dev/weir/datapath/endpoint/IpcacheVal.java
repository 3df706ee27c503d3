package dev.weir.datapath.endpoint;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct ipcache_val}: the identity of an {@code ipcache} prefix. Immutable.
 *
 * @param identity       the prefix's identity (never 0)
 * @param tunnelEndpoint tunnel mode: the IPv4 underlay address of the node that holds the prefix, as a host-order
 *                       int ({@code struct bpf_tunnel_key}'s {@code remote_ipv4}); 0 when not reached through the tunnel
 */
public record IpcacheVal(int identity, int tunnelEndpoint) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U32.withName("identity"),
            Mem.U32.withName("tunnel_endpoint")).withName("ipcache_val");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<IpcacheVal> CODEC = Codec.of(LAYOUT, IpcacheVal::encode, IpcacheVal::decode);

    public static IpcacheVal of(int identity) {
        return new IpcacheVal(identity, 0);
    }

    /** Reached through the tunnel to the node at {@code ipv4} (4 bytes, network order). */
    public static IpcacheVal tunnelled(int identity, byte[] ipv4) {
        return new IpcacheVal(identity, java.nio.ByteBuffer.wrap(ipv4).getInt());
    }

    public void encode(MemorySegment dst) {
        Mem.u32(dst, 0, identity);
        Mem.u32(dst, 4, tunnelEndpoint);
    }

    public static IpcacheVal decode(MemorySegment src) {
        return new IpcacheVal(Mem.u32(src, 0), Mem.u32(src, 4));
    }
}
