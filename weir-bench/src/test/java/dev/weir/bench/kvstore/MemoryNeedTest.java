package dev.weir.bench.kvstore;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MemoryNeedTest {

    private static final long GIB = 1024L * 1024 * 1024;

    @Test
    void growsWithTheSquareOfTheNodes() {
        assertThat(MemoryNeed.liveBytes(100, 10)).isEqualTo(100L * 100 * 11 * MemoryNeed.BYTES_PER_ENTRY);
        assertThat(MemoryNeed.liveBytes(1000, 10)).isEqualTo(100 * MemoryNeed.liveBytes(100, 10));
    }

    @Test
    void aThousandNodesFitInEightGibWhenTheMachineHasThem() {
        assertThat(MemoryNeed.problem(1000, 10, 8 * GIB, 20 * GIB)).isNull();
        assertThat(MemoryNeed.problem(1000, 10, 4 * GIB, 20 * GIB)).contains("need a heap of about").contains("-Xmx 4,096 MiB");
        assertThat(MemoryNeed.problem(1000, 10, 8 * GIB, 6 * GIB)).contains("6,144 MiB are available");
        assertThat(MemoryNeed.problem(100, 10, 1 * GIB, 2 * GIB)).isNull();
        assertThat(MemoryNeed.problem(100, 10, 1 * GIB, -1)).as("unknown availability: not refused").isNull();
    }

    @Test
    void readsMemAvailable() {
        assertThat(MemoryNeed.parseAvailable("MemTotal:       24683828 kB\nMemAvailable:   20862472 kB\n")).isEqualTo(20862472L * 1024);
        assertThat(MemoryNeed.parseAvailable("MemTotal: 1 kB\n")).isEqualTo(-1);
    }
}
