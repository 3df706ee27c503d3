package dev.weir.bench.kvstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicIntegerArray;

import org.junit.jupiter.api.Test;

class ViewProbeTest {

    @Test
    void aRoundEndsWhenTheLastNodeCallsBackWithTheConditionTrue() throws Exception {
        int n = 4;
        ViewProbe probe = new ViewProbe(n, Duration.ofSeconds(30));
        AtomicIntegerArray seen = new AtomicIntegerArray(n);
        ViewProbe.Result r = probe.await(i -> seen.get(i) == 1, () -> Thread.ofPlatform().start(() -> {
            for (int i = 0; i < n; i++) {
                probe.changed(i); // a change that is not the one awaited
                seen.set(i, 1);
                pause(20);
                probe.changed(i);
            }
        }), Duration.ofSeconds(10));
        assertThat(r.bySweep()).isZero();
        assertThat(r.firstNanos()).isPositive().isLessThan(r.allNanos());
        assertThat(r.allNanos()).isGreaterThanOrEqualTo(Duration.ofMillis(80).toNanos()).isLessThan(Duration.ofSeconds(5).toNanos());
        probe.changed(0); // no round: ignored
    }

    @Test
    void aNodeWhoseCallbackNeverComesIsFoundByTheSweepAndCounted() throws Exception {
        ViewProbe probe = new ViewProbe(2, Duration.ofMillis(50));
        ViewProbe.Result r = probe.await(i -> true, () -> probe.changed(0), Duration.ofSeconds(5));
        assertThat(r.bySweep()).isEqualTo(1);
    }

    @Test
    void aRoundThatNeverCompletesFailsNamingHowManyNodesAreMissing() {
        ViewProbe probe = new ViewProbe(3, Duration.ofMillis(50));
        assertThatThrownBy(() -> probe.await(i -> i == 0, () -> probe.changed(0), Duration.ofMillis(200)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("2 of 3 nodes");
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
