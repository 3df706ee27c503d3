package dev.weir.bench.kvstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.junit.jupiter.api.Test;

class SummaryTest {

    @Test
    void nearestRankPercentilesAreMeasuredValues() {
        List<Long> nanos = new ArrayList<>();
        for (long ms = 1; ms <= 100; ms++) {
            nanos.add(ms * 1_000_000);
        }
        Collections.shuffle(nanos, new java.util.Random(3));
        Summary s = Summary.ofNanos(nanos);
        assertThat(s.count()).isEqualTo(100);
        assertThat(s.min()).isEqualTo(1.0);
        assertThat(s.p50()).isEqualTo(50.0);
        assertThat(s.p99()).isEqualTo(99.0);
        assertThat(s.max()).isEqualTo(100.0);
    }

    @Test
    void withFiftySamplesP99IsTheLargestAndWithOneEverythingIsIt() {
        List<Long> fifty = new ArrayList<>();
        for (long i = 1; i <= 50; i++) {
            fifty.add(i * 2_000_000);
        }
        Summary s = Summary.ofNanos(fifty);
        assertThat(s.p50()).isEqualTo(50.0);
        assertThat(s.p99()).isEqualTo(100.0).isEqualTo(s.max());

        Summary one = Summary.ofNanos(List.of(1_500_000L));
        assertThat(List.of(one.min(), one.p50(), one.p99(), one.max())).containsOnly(1.5);
    }

    @Test
    void percentileEdges() {
        double[] v = {1, 2, 3, 4};
        assertThat(Summary.percentile(v, 25)).isEqualTo(1);
        assertThat(Summary.percentile(v, 26)).isEqualTo(2);
        assertThat(Summary.percentile(v, 100)).isEqualTo(4);
        assertThatThrownBy(() -> Summary.percentile(v, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Summary.ofNanos(List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void formatsMilliseconds() {
        assertThat(Summary.ms(3.14159)).isEqualTo("3.1");
        assertThat(Summary.ms(1234.5)).isEqualTo("1,235");
        assertThat(Summary.ofNanos(List.of(2_000_000L, 4_000_000L)).toString()).isEqualTo("2.0 / 4.0 / 4.0 ms (n=2, min 2.0)");
    }
}
