package dev.weir.datapath.endpoint;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct ep_frag_val}: a first fragment's verdict, which the later fragments follow, and the
 * translation they get when it was translated (service DNAT, or the reverse NAT of a reply). Immutable.
 *
 * @param reason the first fragment's reason code
 * @param rule the rule that decided it, 0 none
 * @param peerIdentity the peer's identity
 * @param isReply the first fragment was a conntrack reply
 * @param nat {@link #NAT_NONE}, {@link #NAT_DST} or {@link #NAT_SRC}
 * @param natAddr the address the later fragments' destination ({@link #NAT_DST}) or source ({@link #NAT_SRC})
 *                becomes, 16 bytes (IPv4 v4-mapped)
 */
public record EpFragVal(int reason, int rule, int peerIdentity, boolean isReply, int nat, byte[] natAddr) {

    public static final int NAT_NONE = 0;
    /** Service DNAT: the later fragments' destination becomes the backend. */
    public static final int NAT_DST = 1;
    /** Reverse NAT of a reply: the later fragments' source becomes the frontend. */
    public static final int NAT_SRC = 2;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U32.withName("reason"),
            Mem.U32.withName("rule"),
            Mem.U32.withName("peer_identity"),
            Mem.U8.withName("is_reply"),
            Mem.U8.withName("nat"),
            Mem.pad(2),
            Mem.addr("nat_addr")).withName("ep_frag_val");

    public static final Codec<EpFragVal> CODEC = Codec.of(LAYOUT, EpFragVal::encode, EpFragVal::decode);

    public EpFragVal {
        natAddr = natAddr == null ? new byte[16] : natAddr.clone();
    }

    /** Without a translation. */
    public EpFragVal(int reason, int rule, int peerIdentity, boolean isReply) {
        this(reason, rule, peerIdentity, isReply, NAT_NONE, null);
    }

    public void encode(MemorySegment dst) {
        Mem.u32(dst, 0, reason);
        Mem.u32(dst, 4, rule);
        Mem.u32(dst, 8, peerIdentity);
        Mem.u8(dst, 12, isReply ? 1 : 0);
        Mem.u8(dst, 13, nat);
        dst.asSlice(14, 2).fill((byte) 0);
        Mem.bytes(dst, 16, natAddr);
    }

    public static EpFragVal decode(MemorySegment src) {
        return new EpFragVal(Mem.u32(src, 0), Mem.u32(src, 4), Mem.u32(src, 8), Mem.u8(src, 12) != 0, Mem.u8(src, 13),
                Mem.bytes(src, 16, 16));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EpFragVal v && reason == v.reason && rule == v.rule && peerIdentity == v.peerIdentity
                && isReply == v.isReply && nat == v.nat && java.util.Arrays.equals(natAddr, v.natAddr);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(reason, rule, peerIdentity, isReply, nat, java.util.Arrays.hashCode(natAddr));
    }

    @Override
    public byte[] natAddr() {
        return natAddr.clone();
    }
}
