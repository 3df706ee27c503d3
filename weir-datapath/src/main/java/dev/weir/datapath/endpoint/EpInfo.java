package dev.weir.datapath.endpoint;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct ep_info}: value of {@code ep_by_ifindex} (key: the lxc interface's ifindex, u32).
 * Immutable.
 *
 * @param epId endpoint id, 1..65535
 * @param identity the endpoint's identity
 * @param flags {@code EP_F_*}: {@link #INGRESS_ENFORCED} ...
 * @param polGen generation of the endpoint's entries in {@code pol}: 0 or 1
 */
public record EpInfo(int epId, int identity, int flags, int polGen) {

    public static final int INGRESS_ENFORCED = 1;
    public static final int EGRESS_ENFORCED = 1 << 1;
    public static final int INGRESS_AUDIT = 1 << 2;
    public static final int EGRESS_AUDIT = 1 << 3;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U32.withName("ep_id"),
            Mem.U32.withName("identity"),
            Mem.U32.withName("flags"),
            Mem.U32.withName("pol_gen")).withName("ep_info");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<EpInfo> CODEC = Codec.of(LAYOUT, EpInfo::encode, EpInfo::decode);

    public EpInfo {
        Mem.checkRange(polGen, 0, 1, "policy generation");
    }

    /** The same endpoint with the other policy generation active. */
    public EpInfo withPolGen(int gen) {
        return new EpInfo(epId, identity, flags, gen);
    }

    public EpInfo withFlags(int newFlags) {
        return new EpInfo(epId, identity, newFlags, polGen);
    }

    public boolean enforced(int dir) {
        return (flags & (dir == EndpointMaps.DIR_EGRESS ? EGRESS_ENFORCED : INGRESS_ENFORCED)) != 0;
    }

    public boolean audit(int dir) {
        return (flags & (dir == EndpointMaps.DIR_EGRESS ? EGRESS_AUDIT : INGRESS_AUDIT)) != 0;
    }

    public void encode(MemorySegment dst) {
        Mem.u32(dst, 0, epId);
        Mem.u32(dst, 4, identity);
        Mem.u32(dst, 8, flags);
        Mem.u32(dst, 12, polGen);
    }

    public static EpInfo decode(MemorySegment src) {
        return new EpInfo(Mem.u32(src, 0), Mem.u32(src, 4), Mem.u32(src, 8), Mem.u32(src, 12));
    }
}
