package dev.weir.agent.store;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Desired state: objects (policies, later services) under one monotonically increasing revision, plus
 * the cluster-wide number allocations (identities, endpoint ids). Every commit is all-or-nothing and makes
 * exactly one new revision. Implementations: {@link FileStore} (embedded, one machine) and
 * {@code dev.weir.agent.store.etcd.EtcdStore} (etcd, across machines; docs/kvstore.md).
 *
 * <p>Implementations are thread-safe and safe across processes sharing the same backing state.
 * Failures to read or write the backing state throw {@link StoreException}.
 */
public interface Store {

    /**
     * True when {@link #snapshot} is the desired state; false while a store that reads it from elsewhere (etcd)
     * has not read it yet: an empty snapshot then means "unknown", and nothing must be computed from it.
     */
    default boolean ready() {
        return true;
    }

    /**
     * True while {@link #snapshot} follows the store without a gap (always, for a local store; for etcd, while
     * its watch runs). Identity collection counts an identity's unused time only while this holds.
     */
    default boolean live() {
        return true;
    }

    /** The current revision; 0 for an empty store that was never written. */
    default long revision() {
        return snapshot().revision();
    }

    /** Every object at the current revision, sorted by key. */
    default List<StoredObject> list() {
        return snapshot().objects();
    }

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
     * {@link #commit(List)}, with a check of the outcome made before anything is written, against the state
     * the commit applies to (no other commit comes in between: the file store holds its writer lock, etcd
     * re-reads and checks again when another commit came first): when it throws, nothing changes and the
     * exception propagates. Not called when the changes change nothing; may be called more than once.
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

    /**
     * The objects and the revision they belong to.
     *
     * @param committedAt when the revision was committed (the committing agent's clock), or null when the store
     *                    does not know (revision 0, or written by an older weir)
     */
    record Snapshot(long revision, List<StoredObject> objects, java.time.Instant committedAt) {
        public Snapshot {
            objects = List.copyOf(objects);
        }

        public Snapshot(long revision, List<StoredObject> objects) {
            this(revision, objects, null);
        }

        /**
         * The objects that differ between {@code earlier} and this snapshot of the same store, sorted by key:
         * created, changed (an object's revision moved: a new document, or deleted and created again) and
         * deleted. Pure and exact: one merge of the two sorted lists comparing keys and revisions, no
         * document is read. This is how a caller recomputes only what changed.
         */
        public List<ObjectChange> changesSince(Snapshot earlier) {
            List<ObjectChange> out = new java.util.ArrayList<>();
            List<StoredObject> a = earlier.objects();
            int i = 0;
            int j = 0;
            while (i < a.size() || j < objects.size()) {
                int cmp = i == a.size() ? 1 : j == objects.size() ? -1 : a.get(i).key().compareTo(objects.get(j).key());
                if (cmp < 0) {
                    out.add(new ObjectChange(a.get(i).key(), ObjectChange.Kind.DELETED, a.get(i)));
                    i++;
                } else if (cmp > 0) {
                    out.add(new ObjectChange(objects.get(j).key(), ObjectChange.Kind.CREATED, objects.get(j)));
                    j++;
                } else {
                    if (a.get(i).revision() != objects.get(j).revision()) {
                        out.add(new ObjectChange(objects.get(j).key(), ObjectChange.Kind.CHANGED, objects.get(j)));
                    }
                    i++;
                    j++;
                }
            }
            return out;
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

        /**
         * The key's number as this process has it at hand (its copy of the table, no round trip, nothing written),
         * or 0 when it has none: a copy that follows other processes' writes may not have the newest yet.
         */
        int known(String key);

        /** Every allocation, key to number, sorted by key. */
        Map<String, Integer> all();

        /**
         * Forgets keys (garbage collection). Their numbers are not handed out again: a key that returns
         * gets a new number.
         */
        void release(java.util.Collection<String> keys);

        /**
         * Forgets those of {@code keys} that no node references, and returns them. Stores whose nodes
         * reference keys (etcd: {@code refs/<table>/<key>/<node>} under each node's lease, docs/kvstore.md)
         * check them, safely against a node that starts referencing a key meanwhile; a store without
         * references (the file store: one machine, where every agent computes from the same files at once)
         * releases them all.
         */
        default java.util.Collection<String> releaseUnreferenced(java.util.Collection<String> keys) {
            release(keys);
            return keys;
        }

        /**
         * Runs {@code work} as the table's only writer in this process (other threads of the process wait);
         * the table is read once, and what {@link #allocate} and {@link #release} do inside is written when
         * the work ends (also when it throws: numbers handed out stay handed out). For computations that
         * allocate thousands of keys. Batches of several tables of one store nest. Both stores assume one
         * writer per table during a batch, and other processes go on writing the store: etcd throws
         * {@link StoreException} at the end when another writer took one of the batch's keys, the file store
         * when another process appended to the table at all (writing nothing of the batch then; its next
         * batch of the table holds its writer lock throughout).
         */
        <T> T batch(java.util.function.Supplier<T> work);
    }
}
