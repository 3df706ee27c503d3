package dev.weir.datapath.capture;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct cap_cfg}: {@code cap_cfg[0]}, what the hooks capture. Immutable.
 *
 * @param verdicts bits {@code 1 << verdict} (1 FORWARDED, 2 DROPPED); 0 turns capture off
 * @param hooks    bits {@code 1 << hook code} ({@link CaptureMaps.Hook}); 0 means every hook
 * @param snaplen  bytes of each packet to copy, 1 .. {@link CaptureMaps#SNAP_MAX}
 */
public record CapCfg(int verdicts, int hooks, int snaplen) {

    /** Capture off. */
    public static final CapCfg OFF = new CapCfg(0, 0, 0);

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U32.withName("verdicts"),
            Mem.U32.withName("hooks"),
            Mem.U32.withName("snaplen"),
            Mem.U32.withName("_pad")).withName("cap_cfg");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<CapCfg> CODEC = Codec.of(LAYOUT, CapCfg::encode, CapCfg::decode);

    public CapCfg {
        if (verdicts != 0) {
            Mem.checkRange(snaplen, 1, CaptureMaps.SNAP_MAX, "snaplen");
        }
    }

    public void encode(MemorySegment dst) {
        Mem.u32(dst, 0, verdicts);
        Mem.u32(dst, 4, hooks);
        Mem.u32(dst, 8, snaplen);
        Mem.u32(dst, 12, 0);
    }

    public static CapCfg decode(MemorySegment src) {
        return new CapCfg(Mem.u32(src, 0), Mem.u32(src, 4), Mem.u32(src, 8));
    }
}
