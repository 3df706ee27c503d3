package dev.weir.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class HeapGiveBackTest {

    private long committed;
    private int collections;
    private final List<String> log = new ArrayList<>();

    private HeapGiveBack giveBack(long now) {
        return new HeapGiveBack(() -> committed, () -> {
            collections++;
            committed = 100L << 20; // what the collection left
        }, log::add, now);
    }

    @Test
    void collectsOnceAfterAQuietSpellWhenTheHeapGrewAndNotAgainUntilItGrowsAgain() {
        long s = 1_000_000_000L;
        HeapGiveBack g = giveBack(0);
        committed = 300L << 20;
        g.idle(5 * s);
        assertThat(collections).as("not quiet long enough yet").isZero();
        committed = 310L << 20;
        g.idle(16 * s);
        assertThat(collections).as("the heap grew at 16 s (an apply parsed on other threads): not quiet").isZero();
        committed = 300L << 20;
        g.idle(17 * s);
        g.active(20 * s);
        g.idle(29 * s);
        assertThat(collections).as("a sync restarts the quiet spell").isZero();
        g.idle(30 * s);
        assertThat(collections).isEqualTo(1);
        assertThat(log).singleElement().asString().contains("300 MiB committed, 100 MiB after");
        committed = (100L << 20) + (10L << 20);
        g.idle(60 * s);
        g.idle(75 * s);
        assertThat(collections).as("grown less than the threshold since").isEqualTo(1);
        committed = 200L << 20;
        g.idle(80 * s);
        assertThat(collections).as("grown, but just now").isEqualTo(1);
        g.idle(90 * s);
        assertThat(collections).isEqualTo(2);
    }

    @Test
    void theFreeRatioIsTightOnlyForTheCollection() {
        var vm = java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
        String before = vm.getVMOption("MaxHeapFreeRatio").getValue();
        int min = Integer.parseInt(vm.getVMOption("MinHeapFreeRatio").getValue());
        List<String> during = new ArrayList<>();
        HeapGiveBack.collectTight(() -> during.add(vm.getVMOption("MaxHeapFreeRatio").getValue()));
        assertThat(during).containsExactly(String.valueOf(Math.max(HeapGiveBack.FREE_PERCENT, min)));
        assertThat(vm.getVMOption("MaxHeapFreeRatio").getValue()).as("put back").isEqualTo(before);
        assertThatThrownBy(() -> HeapGiveBack.collectTight(() -> {
            throw new IllegalStateException("collection failed");
        })).hasMessage("collection failed");
        assertThat(vm.getVMOption("MaxHeapFreeRatio").getValue()).as("put back after a failure too").isEqualTo(before);
    }
}
