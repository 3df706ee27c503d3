package dev.weir.datapath.lb;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct lb_affinity_val}: value of {@code lb_affinity}. Immutable.
 *
 * @param lastNs    CLOCK_MONOTONIC nanoseconds of the last use ({@code bpf_ktime_get_ns()}; the same clock
 *                  as {@link System#nanoTime()} on Linux)
 * @param backendId the backend
 */
public record LbAffinityVal(long lastNs, int backendId) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U64.withName("last_ns"),
            Mem.U32.withName("backend_id"),
            Mem.U32.withName("_pad")).withName("lb_affinity_val");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<LbAffinityVal> CODEC = Codec.of(LAYOUT, LbAffinityVal::encode, LbAffinityVal::decode);

    public void encode(MemorySegment dst) {
        Mem.u64(dst, 0, lastNs);
        Mem.u32(dst, 8, backendId);
        Mem.u32(dst, 12, 0);
    }

    public static LbAffinityVal decode(MemorySegment src) {
        return new LbAffinityVal(Mem.u64(src, 0), Mem.u32(src, 8));
    }
}
