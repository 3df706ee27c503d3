package dev.weir.datapath.sockmap;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct sock_ep_val}: value of {@code sockmap_ep} (key: a local pod's address). The sk_msg program
 * reads the endpoint's {@code ep_info} at {@code ifindex} and uses it only when its id is {@code epId}. Immutable.
 *
 * @param epId    the endpoint id
 * @param ifindex its lxc interface's index in the node's namespace
 */
public record SockEp(int epId, int ifindex) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U32.withName("ep_id"),
            Mem.U32.withName("ifindex")).withName("sock_ep_val");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<SockEp> CODEC = Codec.of(LAYOUT, SockEp::encode, SockEp::decode);

    public void encode(MemorySegment dst) {
        Mem.u32(dst, 0, epId);
        Mem.u32(dst, 4, ifindex);
    }

    public static SockEp decode(MemorySegment src) {
        return new SockEp(Mem.u32(src, 0), Mem.u32(src, 4));
    }
}
