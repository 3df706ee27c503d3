package dev.weir.datapath.endpoint;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct ep_frag_val}: a first fragment's verdict, which the later fragments follow. Immutable.
 *
 * @param reason the first fragment's reason code
 * @param rule the rule that decided it, 0 none
 * @param peerIdentity the peer's identity
 * @param isReply the first fragment was a conntrack reply
 */
public record EpFragVal(int reason, int rule, int peerIdentity, boolean isReply) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U32.withName("reason"),
            Mem.U32.withName("rule"),
            Mem.U32.withName("peer_identity"),
            Mem.U8.withName("is_reply"),
            Mem.pad(3)).withName("ep_frag_val");

    public static final Codec<EpFragVal> CODEC = Codec.of(LAYOUT, EpFragVal::encode, EpFragVal::decode);

    public void encode(MemorySegment dst) {
        Mem.u32(dst, 0, reason);
        Mem.u32(dst, 4, rule);
        Mem.u32(dst, 8, peerIdentity);
        Mem.u8(dst, 12, isReply ? 1 : 0);
        dst.asSlice(13, 3).fill((byte) 0);
    }

    public static EpFragVal decode(MemorySegment src) {
        return new EpFragVal(Mem.u32(src, 0), Mem.u32(src, 4), Mem.u32(src, 8), Mem.u8(src, 12) != 0);
    }
}
