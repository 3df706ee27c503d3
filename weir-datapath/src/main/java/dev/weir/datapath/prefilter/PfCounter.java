package dev.weir.datapath.prefilter;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct pf_counter}: one CPU's packets and bytes in {@code pf_stats} / {@code pf_hits}.
 * Immutable.
 */
public record PfCounter(long packets, long bytes) {

    public static final PfCounter ZERO = new PfCounter(0, 0);

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U64.withName("packets"),
            Mem.U64.withName("bytes")).withName("pf_counter");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<PfCounter> CODEC = Codec.of(LAYOUT, PfCounter::encode, PfCounter::decode);

    /** The sum, for adding up per-CPU values. */
    public PfCounter plus(PfCounter o) {
        return new PfCounter(packets + o.packets, bytes + o.bytes);
    }

    public void encode(MemorySegment dst) {
        Mem.u64(dst, 0, packets);
        Mem.u64(dst, 8, bytes);
    }

    public static PfCounter decode(MemorySegment src) {
        return new PfCounter(Mem.u64(src, 0), Mem.u64(src, 8));
    }
}
