package dev.weir.agent.runtime;

import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Gives back the heap an agent grew for a burst of work (an apply of thousands of services, a thousand pods
 * arriving): once the agent has been quiet for {@link #QUIET_NANOS} (no sync applied, and the committed heap has
 * not moved: an apply being parsed and checked on the API's threads grows it) and the committed heap is more than
 * {@link #GROWTH_BYTES} above what it was after the last such collection, one full collection. G1's periodic cycles
 * free regions but do not compact, so without it an agent kept 40-70 MiB more than its live heap after such a
 * burst (docs/benchmarks.md, "Agent memory at 10,000 x 10"). The pause (a few hundred ms at 100 MiB live) is the
 * agent's; the kernel goes on forwarding. Used from the sync loop's thread only.
 */
final class HeapGiveBack {

    static final long QUIET_NANOS = 10_000_000_000L;
    static final long GROWTH_BYTES = 32L << 20;

    private final LongSupplier committed;
    private final Runnable collect;
    private final Consumer<String> log;
    private long baseline;
    private long lastActive;
    private long lastCommitted = -1;

    /** The JVM's heap and {@link System#gc}. */
    HeapGiveBack(Consumer<String> log, long now) {
        this(() -> java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted(),
                System::gc, log, now);
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
}
