package dev.weir.datapath.endpoint;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct weir_counter} ({@code bpf/lib/counters.h}, the contract's {@code struct counter}):
 * one CPU's packets and bytes in {@code ep_stats}. Immutable.
 */
public record Counter(long packets, long bytes) {

    public static final Counter ZERO = new Counter(0, 0);

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U64.withName("packets"),
            Mem.U64.withName("bytes")).withName("weir_counter");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<Counter> CODEC = Codec.of(LAYOUT, Counter::encode, Counter::decode);

    /** The sum, for adding up per-CPU values. */
    public Counter plus(Counter o) {
        return new Counter(packets + o.packets, bytes + o.bytes);
    }

    public void encode(MemorySegment dst) {
        Mem.u64(dst, 0, packets);
        Mem.u64(dst, 8, bytes);
    }

    public static Counter decode(MemorySegment src) {
        return new Counter(Mem.u64(src, 0), Mem.u64(src, 8));
    }
}
