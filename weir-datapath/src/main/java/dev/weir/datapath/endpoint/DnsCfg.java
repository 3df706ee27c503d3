package dev.weir.datapath.endpoint;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct dns_cfg} ({@code bpf/lib/dns.h}): {@code dns_cfg[0]}, whether the endpoint hooks copy DNS
 * messages to {@code dns_events}. The kernel's field is {@code off}: a new map (all zero) is on. Immutable.
 *
 * @param on whether DNS visibility is on
 */
public record DnsCfg(boolean on) {

    public static final DnsCfg ON = new DnsCfg(true);
    public static final DnsCfg OFF = new DnsCfg(false);

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U32.withName("off"),
            Mem.U32.withName("_pad")).withName("dns_cfg");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<DnsCfg> CODEC = Codec.of(LAYOUT, DnsCfg::encode, DnsCfg::decode);

    public void encode(MemorySegment dst) {
        Mem.u32(dst, 0, on ? 0 : 1);
        Mem.u32(dst, 4, 0);
    }

    public static DnsCfg decode(MemorySegment src) {
        return new DnsCfg(Mem.u32(src, 0) == 0);
    }
}
