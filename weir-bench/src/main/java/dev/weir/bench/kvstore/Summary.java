package dev.weir.bench.kvstore;

import java.util.List;

/**
 * Percentiles of a set of durations, in milliseconds: nearest rank (the p-th percentile of n sorted values is
 * the one at rank ceil(p/100 * n), counting from 1), so every figure is one that was measured; with 50 samples
 * p99 is the largest. Immutable.
 */
public record Summary(int count, double min, double p50, double p99, double max) {

    /**
     * Of durations in nanoseconds.
     *
     * @throws IllegalArgumentException when there are none
     */
    public static Summary ofNanos(List<Long> nanos) {
        if (nanos.isEmpty()) {
            throw new IllegalArgumentException("no samples");
        }
        double[] ms = nanos.stream().mapToDouble(n -> n / 1e6).sorted().toArray();
        return new Summary(ms.length, ms[0], percentile(ms, 50), percentile(ms, 99), ms[ms.length - 1]);
    }

    /** The nearest-rank percentile of sorted values; p in (0, 100]. */
    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0 || p <= 0 || p > 100) {
            throw new IllegalArgumentException("percentile " + p + " of " + sorted.length + " values");
        }
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.max(1, rank) - 1];
    }

    /** {@code 12.3 / 45.6 / 78.9}: p50 / p99 / max. */
    @Override
    public String toString() {
        return ms(p50) + " / " + ms(p99) + " / " + ms(max) + " ms (n=" + count + ", min " + ms(min) + ")";
    }

    /** Milliseconds with one decimal under 100, none above. */
    public static String ms(double v) {
        return v < 100 ? String.format("%.1f", v) : String.format("%,.0f", v);
    }
}
