package dev.weir.bench.prefilter;

import java.util.ArrayList;
import java.util.List;

/**
 * Summary of one case over the rounds: the median, smallest and largest of the kernel's per-packet
 * figure, and the median of the wall-clock figure (a cross-check that includes the syscall). Immutable.
 */
public record Stat(double median, long min, long max, double wallMedian, List<Long> rounds) {

    public Stat {
        rounds = List.copyOf(rounds);
    }

    public static Stat of(List<Runner.Sample> samples) {
        List<Long> kernel = samples.stream().map(Runner.Sample::kernelNs).toList();
        List<Double> wall = samples.stream().map(Runner.Sample::wallNs).toList();
        return new Stat(median(kernel.stream().map(Long::doubleValue).toList()),
                kernel.stream().mapToLong(Long::longValue).min().orElseThrow(),
                kernel.stream().mapToLong(Long::longValue).max().orElseThrow(),
                median(wall), kernel);
    }

    /** The median over rounds of a's figure divided by b's in the same round. */
    public static double ratio(List<Runner.Sample> a, List<Runner.Sample> b) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException("ratio of " + a.size() + " and " + b.size() + " rounds");
        }
        List<Double> r = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            r.add((double) a.get(i).kernelNs() / Math.max(1, b.get(i).kernelNs()));
        }
        return median(r);
    }

    public static double median(List<Double> values) {
        List<Double> s = values.stream().sorted().toList();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /** {@code 31 (29–40)}: median, then the range over rounds. */
    public String cell() {
        return number(median) + " (" + min + "–" + max + ")";
    }

    public static String number(double v) {
        return v == Math.rint(v) ? String.format("%.0f", v) : String.format("%.1f", v);
    }
}
