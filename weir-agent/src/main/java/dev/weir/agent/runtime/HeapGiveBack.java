package dev.weir.agent.runtime;

import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Gives back the heap an agent grew for a burst of work (an apply of thousands of services, a thousand pods
 * arriving): once the agent has been quiet for {@link #QUIET_NANOS} (no sync applied, and the committed heap has
 * not moved: an apply being parsed and checked on the API's threads grows it) and the committed heap is more than
 * {@link #GROWTH_BYTES} above what it was after the last such collection, one full collection, after which at most
 * {@link #FREE_PERCENT} % of the heap stays free. G1's periodic cycles free regions but do not compact, so without
 * it an agent kept 40-70 MiB more than its live heap after such a burst (docs/benchmarks.md, "Agent memory at
 * 10,000 x 10"). The pause (a few hundred ms at 100 MiB live) is the agent's; the kernel goes on forwarding.
 *
 * <p>The free ratio is tightened for that collection alone ({@code MaxHeapFreeRatio}, a flag the JVM lets a
 * running program set), and put back after: during a burst G1 keeps its own headroom. With the tight ratio all
 * the time, each concurrent cycle's remark shrank the heap to what it held, the next allocations grew it again,
 * and a 10,000-service apply spent about a third of its agents' CPU collecting (docs/benchmarks.md, "Install from
 * empty: the collector's headroom"). Used from the sync loop's thread only.
 */
final class HeapGiveBack {

    static final long QUIET_NANOS = 10_000_000_000L;
    static final long GROWTH_BYTES = 16L << 20;
    static final int FREE_PERCENT = 10;

    private final LongSupplier committed;
    private final Runnable collect;
    private final Consumer<String> log;
    private long baseline;
    private long lastActive;
    private long lastCommitted = -1;

    /** The JVM's heap and {@link System#gc} with a tight free ratio ({@link #collectTight}). */
    HeapGiveBack(Consumer<String> log, long now) {
        this(() -> java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted(),
                () -> collectTight(System::gc), log, now);
    }

    HeapGiveBack(LongSupplier committed, Runnable collect, Consumer<String> log, long now) {
        this.committed = committed;
        this.collect = collect;
        this.log = log;
        this.lastActive = now;
    }

    /** The loop applied something at {@code now} (nanoTime). */
    void active(long now) {
        lastActive = now;
    }

    /** The loop looked and found nothing to do at {@code now}: collects if it has been quiet and the heap grew. */
    void idle(long now) {
        long before = committed.getAsLong();
        if (before != lastCommitted) {
            lastCommitted = before;
            lastActive = now;
        }
        if (now - lastActive < QUIET_NANOS || before - baseline < GROWTH_BYTES) {
            return;
        }
        long t0 = System.nanoTime();
        collect.run();
        baseline = committed.getAsLong();
        lastCommitted = baseline;
        log.accept(String.format("heap given back after the last burst of work: %d MiB committed, %d MiB after one full"
                + " collection in %.0f ms", before >> 20, baseline >> 20, (System.nanoTime() - t0) / 1e6));
    }

    /**
     * Runs {@code collect} (a full collection: {@link System#gc}) with {@code MaxHeapFreeRatio} at {@link #FREE_PERCENT}
     * (not below the JVM's {@code MinHeapFreeRatio}), the flag's own value put back after. Where the flag cannot be
     * set, the collection alone.
     */
    static void collectTight(Runnable collect) {
        var vm = java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
        String max = vm.getVMOption("MaxHeapFreeRatio").getValue();
        int min = Integer.parseInt(vm.getVMOption("MinHeapFreeRatio").getValue());
        boolean tightened = false;
        try {
            vm.setVMOption("MaxHeapFreeRatio", String.valueOf(Math.max(FREE_PERCENT, min)));
            tightened = true;
        } catch (IllegalArgumentException | SecurityException e) {
            // not writeable here: the collection still compacts
        }
        try {
            collect.run();
        } finally {
            if (tightened) {
                vm.setVMOption("MaxHeapFreeRatio", max);
            }
        }
    }
}
