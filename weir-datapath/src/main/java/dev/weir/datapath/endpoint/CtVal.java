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
 * @param revNatId {@link #F_DNAT} / {@link #F_SERVICE}: the frontend to restore ({@code lb_revnat} key), else 0
 * @param svcId {@link #F_DNAT} / {@link #F_SERVICE}: the service ({@code lb_svc_val.svc_id}), else 0
 * @param backendId {@link #F_DNAT} / {@link #F_SERVICE}: the backend chosen ({@code lb_backend} key), else 0
 */
public record CtVal(long expiresNs, long createdNs, long packetsFwd, long bytesFwd, long packetsRev, long bytesRev,
                    int peerIdentity, int rule, int state, int flags, int tcpFlagsSeen, int revNatId, int svcId,
                    int backendId) {

    public static final int NONE = 0;
    public static final int SYN_SENT = 1;
    public static final int ESTABLISHED = 2;
    public static final int CLOSING = 3;

    /** Allowed only by audit mode. */
    public static final int F_AUDIT = 1;
    /** Egress entry of a connection translated to a service backend (its tuple after DNAT). */
    public static final int F_DNAT = 1 << 1;
    /** Service entry ({@link CtKey#DIR_SERVICE}): the client's tuple to the frontend, before DNAT. */
    public static final int F_SERVICE = 1 << 2;
    /** The client is the backend: its source was rewritten to the hairpin address. */
    public static final int F_HAIRPIN = 1 << 3;

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
            Mem.pad(1),
            Mem.U32.withName("rev_nat_id"),
            Mem.U32.withName("svc_id"),
            Mem.U32.withName("backend_id")).withName("ct_val");

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
        Mem.u8(dst, 59, 0);
        Mem.u32(dst, 60, revNatId);
        Mem.u32(dst, 64, svcId);
        Mem.u32(dst, 68, backendId);
    }

    public static CtVal decode(MemorySegment src) {
        return new CtVal(Mem.u64(src, 0), Mem.u64(src, 8), Mem.u64(src, 16), Mem.u64(src, 24), Mem.u64(src, 32),
                Mem.u64(src, 40), Mem.u32(src, 48), Mem.u32(src, 52), Mem.u8(src, 56), Mem.u8(src, 57),
                Mem.u8(src, 58), Mem.u32(src, 60), Mem.u32(src, 64), Mem.u32(src, 68));
    }
}
