package dev.weir.datapath.prefilter;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct pf_bucket}: a source's token bucket in {@code pf_rate}. Immutable.
 *
 * @param tokens credit in nanoseconds: one packet costs {@code 1e9 / rate_pps} ns, the bucket holds
 *     at most {@code rate_burst} packets' worth
 * @param lastNs {@code bpf_ktime_get_ns()} of the last refill
 */
public record PfBucket(long tokens, long lastNs) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U64.withName("tokens"),
            Mem.U64.withName("last_ns")).withName("pf_bucket");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<PfBucket> CODEC = Codec.of(LAYOUT, PfBucket::encode, PfBucket::decode);

    /** Whole packets the bucket holds at rate {@code ratePps}. */
    public long packets(int ratePps) {
        return ratePps <= 0 ? 0 : Long.divideUnsigned(tokens, 1_000_000_000L / ratePps);
    }

    public void encode(MemorySegment dst) {
        Mem.u64(dst, 0, tokens);
        Mem.u64(dst, 8, lastNs);
    }

    public static PfBucket decode(MemorySegment src) {
        return new PfBucket(Mem.u64(src, 0), Mem.u64(src, 8));
    }
}
