package dev.weir.agent.store;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Desired state: objects (policies, later services) under one monotonically increasing revision, plus
 * the cluster-wide number allocations (identities, endpoint ids). Every commit is all-or-nothing and makes
 * exactly one new revision. The embedded implementation is {@link FileStore}; a Kubernetes API server or
 * an etcd kvstore can implement this later.
 *
 * <p>Implementations are thread-safe and safe across processes sharing the same backing state.
 * Failures to read or write the backing state throw {@link StoreException}.
 */
public interface Store {

    /** The current revision; 0 for an empty store that was never written. */
    long revision();

    /** Every object at the current revision, sorted by key. */
    List<StoredObject> list();

    /** Every object together with the revision they belong to, read consistently. */
    Snapshot snapshot();

    default Optional<StoredObject> get(ObjectKey key) {
        return list().stream().filter(o -> o.key().equals(key)).findFirst();
    }

    /**
     * Applies the changes at once, making one new revision when something changed.
     *
     * @throws IllegalArgumentException when a delete names an object that does not exist, or a key appears
     *     twice; nothing is changed then
     */
    default CommitResult commit(List<Change> changes) {
        return commit(changes, (before, after) -> { });
    }

    /**
     * {@link #commit(List)}, with a check of the outcome made under the writer lock before anything is
     * written (so no other commit comes in between): when it throws, nothing changes and the exception
     * propagates. Not called when the changes change nothing.
     */
    CommitResult commit(List<Change> changes, CommitCheck check);

    /** Judges a commit by the objects before and after it (each list sorted by key). */
    @FunctionalInterface
    interface CommitCheck {
        void check(List<StoredObject> before, List<StoredObject> after);
    }

    /**
     * Waits until the revision is above {@code seen} or the timeout passes, and returns the revision then.
     *
     * @throws InterruptedException when interrupted while waiting
     */
    long awaitRevisionAfter(long seen, Duration timeout) throws InterruptedException;

    /** The cluster-wide allocation table {@code table} (e.g. {@code identities}, {@code endpoints}). */
    Allocations allocations(String table, int first, int last);

    /** The objects and the revision they belong to. */
    record Snapshot(long revision, List<StoredObject> objects) {
        public Snapshot {
            objects = List.copyOf(objects);
        }
    }

    /**
     * A persisted map from keys to unique numbers in {@code first..last}. A key keeps its number forever
     * (numbers are never reused), so every node and every restart sees the same numbers.
     */
    interface Allocations {
        /**
         * The key's number, allocating the next free one the first time.
         *
         * @throws StoreException when the range is exhausted or the table cannot be written
         */
        int allocate(String key);

        /** Every allocation, key to number, sorted by key. */
        Map<String, Integer> all();

        /**
         * Forgets keys (garbage collection). Their numbers are not handed out again: a key that returns
         * gets a new number.
         */
        void release(java.util.Collection<String> keys);

        /**
         * Runs {@code work} holding the store's writer lock; the table is read once, and what
         * {@link #allocate} and {@link #release} do inside is written once when the work ends (also when
         * it throws: numbers handed out stay handed out). For computations that allocate thousands of
         * keys. Batches of several tables of one store nest.
         */
        <T> T batch(java.util.function.Supplier<T> work);
    }
}
