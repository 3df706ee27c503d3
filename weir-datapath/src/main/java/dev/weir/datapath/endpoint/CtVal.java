package dev.weir.datapath.endpoint;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct ct_val}: a tracked connection. Times are {@code bpf_ktime_get_ns()} (CLOCK_MONOTONIC);
 * past {@code expiresNs} the entry counts as absent. Immutable.
 *
 * @param expiresNs deadline, refreshed by every packet
 * @param createdNs when the first packet was seen
 * @param packetsFwd packets in the opening direction
 * @param bytesFwd their bytes ({@code skb->len})
 * @param packetsRev reply packets
 * @param bytesRev their bytes
 * @param peerIdentity the peer's identity when the connection was created
 * @param rule {@code pol_val.rule} that allowed it, 0 none
 * @param state {@link #NONE} (not TCP), {@link #SYN_SENT}, {@link #ESTABLISHED}, {@link #CLOSING}
 * @param flags {@link #F_AUDIT}
 * @param tcpFlagsSeen every TCP flag seen, either direction
 */
public record CtVal(long expiresNs, long createdNs, long packetsFwd, long bytesFwd, long packetsRev, long bytesRev,
                    int peerIdentity, int rule, int state, int flags, int tcpFlagsSeen) {

    public static final int NONE = 0;
    public static final int SYN_SENT = 1;
    public static final int ESTABLISHED = 2;
    public static final int CLOSING = 3;

    /** Allowed only by audit mode. */
    public static final int F_AUDIT = 1;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U64.withName("expires_ns"),
            Mem.U64.withName("created_ns"),
            Mem.U64.withName("packets_fwd"),
            Mem.U64.withName("bytes_fwd"),
            Mem.U64.withName("packets_rev"),
            Mem.U64.withName("bytes_rev"),
            Mem.U32.withName("peer_identity"),
            Mem.U32.withName("rule"),
            Mem.U8.withName("state"),
            Mem.U8.withName("flags"),
            Mem.U8.withName("tcp_flags_seen"),
            Mem.pad(5)).withName("ct_val");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<CtVal> CODEC = Codec.of(LAYOUT, CtVal::encode, CtVal::decode);

    public void encode(MemorySegment dst) {
        Mem.u64(dst, 0, expiresNs);
        Mem.u64(dst, 8, createdNs);
        Mem.u64(dst, 16, packetsFwd);
        Mem.u64(dst, 24, bytesFwd);
        Mem.u64(dst, 32, packetsRev);
        Mem.u64(dst, 40, bytesRev);
        Mem.u32(dst, 48, peerIdentity);
        Mem.u32(dst, 52, rule);
        Mem.u8(dst, 56, state);
        Mem.u8(dst, 57, flags);
        Mem.u8(dst, 58, tcpFlagsSeen);
        dst.asSlice(59, 5).fill((byte) 0);
    }

    public static CtVal decode(MemorySegment src) {
        return new CtVal(Mem.u64(src, 0), Mem.u64(src, 8), Mem.u64(src, 16), Mem.u64(src, 24), Mem.u64(src, 32),
                Mem.u64(src, 40), Mem.u32(src, 48), Mem.u32(src, 52), Mem.u8(src, 56), Mem.u8(src, 57),
                Mem.u8(src, 58));
    }
}
