package dev.weir.bench.prefilter;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class StatTest {

    private static List<Runner.Sample> samples(long... ns) {
        return java.util.Arrays.stream(ns).mapToObj(n -> new Runner.Sample(n, n + 0.5)).toList();
    }

    @Test
    void summarisesRounds() {
        Stat s = Stat.of(samples(40, 31, 29, 33, 35));
        assertThat(s.median()).isEqualTo(33);
        assertThat(s.min()).isEqualTo(29);
        assertThat(s.max()).isEqualTo(40);
        assertThat(s.cell()).isEqualTo("33 (29–40)");
        assertThat(Stat.of(samples(4, 5)).cell()).isEqualTo("4.5 (4–5)");
    }

    @Test
    void ratioIsTheMedianOfPerRoundRatios() {
        // per-round ratios 0.25, 1.5 and 0.8: their median, not the ratio of the medians (30 / 40)
        assertThat(Stat.ratio(samples(10, 30, 48), samples(40, 20, 60))).isEqualTo(0.8);
    }
}
