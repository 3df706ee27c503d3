package dev.weir.bench.kvstore;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Times how long a change takes to reach every simulated node's view: each node's registry calls
 * {@link #changed} after every change of its view (its {@code onChange} callback, on the watch's thread, after
 * the change is applied), and the round's condition is checked there, so the time a node is counted is the
 * time its view first satisfied it. No polling: the waiting thread sleeps on a latch. As a safety net, a
 * round that has not completed after {@link #SWEEP} (and every {@code SWEEP} after) checks every node once more (and counts those it found,
 * {@link Result#bySweep}: they should be none).
 *
 * <p>One round at a time ({@link #await}). Thread-safe.
 */
final class ViewProbe {

    /** Whether node {@code i}'s view satisfies the round's condition; called on watch threads: must be quick. */
    interface Condition {
        boolean holds(int node);
    }

    /**
     * One round: from the action's start to the first node and to the last node satisfying the condition, in
     * nanoseconds.
     */
    record Result(long firstNanos, long allNanos, int bySweep) {
    }

    static final Duration SWEEP = Duration.ofSeconds(5);

    private final int nodes;
    private final Duration sweep;
    private volatile Round current;

    ViewProbe(int nodes) {
        this(nodes, SWEEP);
    }

    ViewProbe(int nodes, Duration sweep) {
        this.nodes = nodes;
        this.sweep = sweep;
    }

    /** From node {@code i}'s change callback. */
    void changed(int node) {
        Round r = current;
        if (r != null) {
            r.check(node);
        }
    }

    /**
     * Arms a round for {@code condition}, runs {@code action} (which makes the change), and waits until every
     * node satisfies the condition.
     *
     * @throws IllegalStateException naming how many nodes did not within {@code timeout}
     */
    Result await(Condition condition, Runnable action, Duration timeout) throws InterruptedException {
        Round r = new Round(condition, nodes);
        current = r;
        try {
            long start = System.nanoTime();
            action.run();
            long deadline = start + timeout.toNanos();
            int bySweep = 0;
            while (!r.all.await(Math.min(sweep.toNanos(), Math.max(1, deadline - System.nanoTime())), TimeUnit.NANOSECONDS)) {
                for (int i = 0; i < nodes; i++) {
                    bySweep += r.check(i) ? 1 : 0;
                }
                if (r.remaining.get() > 0 && System.nanoTime() >= deadline) {
                    throw new IllegalStateException(r.remaining.get() + " of " + nodes + " nodes' views did not change within "
                            + timeout.toSeconds() + " s");
                }
            }
            return new Result(r.first.get() - start, r.last - start, bySweep);
        } finally {
            current = null;
        }
    }

    private static final class Round {
        final Condition condition;
        final AtomicIntegerArray done;
        final AtomicInteger remaining;
        final CountDownLatch all = new CountDownLatch(1);
        final AtomicLong first = new AtomicLong(Long.MAX_VALUE);
        volatile long last;

        Round(Condition condition, int nodes) {
            this.condition = condition;
            this.done = new AtomicIntegerArray(nodes);
            this.remaining = new AtomicInteger(nodes);
        }

        /** True when this call counted the node. */
        boolean check(int node) {
            if (done.get(node) != 0 || !condition.holds(node) || !done.compareAndSet(node, 0, 1)) {
                return false;
            }
            long t = System.nanoTime();
            first.accumulateAndGet(t, Math::min);
            if (remaining.decrementAndGet() == 0) {
                last = t;
                all.countDown();
            }
            return true;
        }
    }
}
