package dev.weir.datapath.nodeport;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.Arrays;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct np_ct_val}: what a packet of an {@link NpCtKey} is rewritten to, and the connection's
 * state. Written by the datapath; the agent reads it ({@code weir bpf nodeport list}). Immutable.
 *
 * @param expiresNs    {@code bpf_ktime_get_ns()} deadline (the same in both entries of a connection)
 * @param createdNs    when the connection was translated
 * @param packets      packets of this entry's direction
 * @param bytes        their bytes
 * @param natSaddr     the new source (FWD: the node's SNAT address or the client; REV: the frontend)
 * @param natDaddr     the new destination (FWD: the backend; REV: the client)
 * @param natSport     the new source port
 * @param natDport     the new destination port
 * @param state        TCP state ({@code CT_*}), 0 for UDP
 * @param flags        {@link NodePortMaps#F_SNAT}, {@link NodePortMaps#F_DSR}
 * @param tcpFlagsSeen TCP flags of both directions
 * @param svcId        the service selected from
 * @param revNatId     the frontend
 * @param backendId    the backend chosen
 */
public record NpCtVal(long expiresNs, long createdNs, long packets, long bytes, byte[] natSaddr, byte[] natDaddr,
                      int natSport, int natDport, int state, int flags, int tcpFlagsSeen, int svcId, int revNatId,
                      int backendId) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U64.withName("expires_ns"),
            Mem.U64.withName("created_ns"),
            Mem.U64.withName("packets"),
            Mem.U64.withName("bytes"),
            Mem.addr("nat_saddr"),
            Mem.addr("nat_daddr"),
            Mem.BE16.withName("nat_sport"),
            Mem.BE16.withName("nat_dport"),
            Mem.U8.withName("state"),
            Mem.U8.withName("flags"),
            Mem.U8.withName("tcp_flags_seen"),
            Mem.U8.withName("_pad"),
            Mem.U32.withName("svc_id"),
            Mem.U32.withName("rev_nat_id"),
            Mem.U32.withName("backend_id"),
            Mem.U32.withName("_pad2")).withName("np_ct_val");

    /** The map codec: {@link #LAYOUT}. */
    public static final Codec<NpCtVal> CODEC = Codec.of(LAYOUT, NpCtVal::encode, NpCtVal::decode);

    public NpCtVal {
        natSaddr = Mem.checkLength(natSaddr, 16, "new source");
        natDaddr = Mem.checkLength(natDaddr, 16, "new destination");
    }

    @Override
    public byte[] natSaddr() {
        return natSaddr.clone();
    }

    @Override
    public byte[] natDaddr() {
        return natDaddr.clone();
    }

    /** Whether the client's source was rewritten to the node's address. */
    public boolean snat() {
        return (flags & NodePortMaps.F_SNAT) != 0;
    }

    /** Whether the connection goes by direct server return ({@link NodePortMaps#F_DSR}). */
    public boolean dsr() {
        return (flags & NodePortMaps.F_DSR) != 0;
    }

    public void encode(MemorySegment dst) {
        Mem.u64(dst, 0, expiresNs);
        Mem.u64(dst, 8, createdNs);
        Mem.u64(dst, 16, packets);
        Mem.u64(dst, 24, bytes);
        Mem.bytes(dst, 32, natSaddr);
        Mem.bytes(dst, 48, natDaddr);
        Mem.be16(dst, 64, natSport);
        Mem.be16(dst, 66, natDport);
        Mem.u8(dst, 68, state);
        Mem.u8(dst, 69, flags);
        Mem.u8(dst, 70, tcpFlagsSeen);
        Mem.u8(dst, 71, 0);
        Mem.u32(dst, 72, svcId);
        Mem.u32(dst, 76, revNatId);
        Mem.u32(dst, 80, backendId);
        Mem.u32(dst, 84, 0);
    }

    public static NpCtVal decode(MemorySegment src) {
        return new NpCtVal(Mem.u64(src, 0), Mem.u64(src, 8), Mem.u64(src, 16), Mem.u64(src, 24),
                Mem.bytes(src, 32, 16), Mem.bytes(src, 48, 16), Mem.be16(src, 64), Mem.be16(src, 66),
                Mem.u8(src, 68), Mem.u8(src, 69), Mem.u8(src, 70), Mem.u32(src, 72), Mem.u32(src, 76),
                Mem.u32(src, 80));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NpCtVal v && v.expiresNs == expiresNs && v.createdNs == createdNs && v.packets == packets
                && v.bytes == bytes && Arrays.equals(v.natSaddr, natSaddr) && Arrays.equals(v.natDaddr, natDaddr)
                && v.natSport == natSport && v.natDport == natDport && v.state == state && v.flags == flags
                && v.tcpFlagsSeen == tcpFlagsSeen && v.svcId == svcId && v.revNatId == revNatId
                && v.backendId == backendId;
    }

    @Override
    public int hashCode() {
        return (Arrays.hashCode(natSaddr) * 31 + Arrays.hashCode(natDaddr)) * 31 + (natSport << 16 | natDport)
                + svcId * 7 + backendId;
    }

    @Override
    public String toString() {
        return "NpCtVal[-> %s:%d > %s:%d state=%d flags=%d svc=%d revnat=%d backend=%d]".formatted(Mem.text(natSaddr),
                natSport, Mem.text(natDaddr), natDport, state, flags, svcId, revNatId, backendId);
    }
}
