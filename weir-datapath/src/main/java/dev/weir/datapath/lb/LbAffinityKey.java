package dev.weir.datapath.lb;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct lb_affinity_key}: key of {@code lb_affinity}. The TC path keys by client address; the
 * socket path by the client's network namespace ({@link #ofNetns}: 8 zero bytes, then the netns cookie
 * big-endian). Immutable.
 *
 * @param client 16 bytes: an address (IPv4 v4-mapped) or a netns cookie
 * @param svcId  the service
 */
public record LbAffinityKey(byte[] client, int svcId) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.addr("client"),
            Mem.U32.withName("svc_id")).withName("lb_affinity_key");

    /** The map codec: {@link #LAYOUT}, host byte order for {@code svc_id}. */
    public static final Codec<LbAffinityKey> CODEC = Codec.of(LAYOUT, LbAffinityKey::encode, LbAffinityKey::decode);

    public LbAffinityKey {
        client = Mem.checkLength(client, 16, "client");
    }

    public static LbAffinityKey of(InetAddress client, int svcId) {
        return new LbAffinityKey(Mem.mapped(client), svcId);
    }

    /** The socket path's key for clients in the network namespace with this cookie. */
    public static LbAffinityKey ofNetns(long netnsCookie, int svcId) {
        return new LbAffinityKey(ByteBuffer.allocate(16).putLong(8, netnsCookie).array(), svcId);
    }

    /** True for a socket-path key (zero upper half). */
    public boolean isNetns() {
        return ByteBuffer.wrap(client).getLong(0) == 0;
    }

    @Override
    public byte[] client() {
        return client.clone();
    }

    public void encode(MemorySegment dst) {
        Mem.bytes(dst, 0, client);
        Mem.u32(dst, 16, svcId);
    }

    public static LbAffinityKey decode(MemorySegment src) {
        return new LbAffinityKey(Mem.bytes(src, 0, 16), Mem.u32(src, 16));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LbAffinityKey k && Arrays.equals(k.client, client) && k.svcId == svcId;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(client) * 31 + svcId;
    }

    @Override
    public String toString() {
        return "LbAffinityKey[" + (isNetns() ? "netns " + ByteBuffer.wrap(client).getLong(8) : Mem.text(client))
                + " svc " + svcId + "]";
    }
}
