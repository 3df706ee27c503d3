package dev.weir.agent.store.etcd;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The turns this process's threads take on one allocation table's writes: one lock, held through a single write
 * and through a whole batch, and the batch of the thread holding it. A batch's work runs with its batch current;
 * the batch is written when the work ends, also when it throws (numbers handed out stay handed out), and then
 * a failure of the write is added to the work's. Used by both kinds of etcd table ({@link EtcdAllocations},
 * {@link PackedNodeTable}).
 *
 * @param <B> the table's batch
 */
final class TableTurns<B> {

    private final ReentrantLock lock = new ReentrantLock();
    /** The batch of the thread holding {@link #lock}, or null. */
    private B batch;

    /** The batch this thread runs, or null. */
    B batch() {
        return lock.isHeldByCurrentThread() ? batch : null;
    }

    /** Takes this process's turn on the table's writes (the same thread may take it again inside). */
    void lock() {
        lock.lock();
    }

    void unlock() {
        lock.unlock();
    }

    /**
     * Runs {@code work} in a batch that {@code begin} starts (in the turn) and {@code end} writes; a batch inside a
     * batch is the outer one.
     */
    <T> T batch(Supplier<B> begin, Consumer<B> end, Supplier<T> work) {
        if (batch() != null) {
            return work.get();
        }
        lock.lock();
        try {
            B b = begin.get();
            batch = b;
            T result;
            try {
                result = work.get();
            } catch (RuntimeException | Error e) {
                batch = null;
                try {
                    end.accept(b);
                } catch (RuntimeException f) {
                    e.addSuppressed(f);
                }
                throw e;
            }
            batch = null;
            end.accept(b);
            return result;
        } finally {
            batch = null;
            lock.unlock();
        }
    }
}
