package dev.weir.agent.store.etcd;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;

import dev.weir.agent.store.Change;
import dev.weir.agent.store.CommitPlan;
import dev.weir.agent.store.CommitResult;
import dev.weir.agent.store.Store;
import dev.weir.agent.store.StoreException;
import dev.weir.agent.store.StoredObject;
import dev.weir.agent.store.etcd.EtcdReads.Range;

/**
 * The store in etcd, shared by the agents of every machine (docs/kvstore.md, "Desired state"). Objects live
 * at {@code objects/KIND/NAMESPACE/NAME}; every commit is one transaction that also writes {@code revision},
 * whose mod_revision is the store's revision, so other keys under the prefix (node records, heartbeats)
 * never move it. Allocation tables live under {@code alloc/TABLE/} ({@link EtcdAllocations}; a node's own tables
 * {@link PackedNodeTable}).
 *
 * <p>Reads come from a local copy kept by a watch ({@link RangeMirror}, {@link ObjectCache}): {@link #snapshot}
 * costs nothing, is always consistent (objects and revision from whole etcd revisions) and, while etcd
 * cannot be reached, is the last state seen, so the dataplane keeps enforcing it; {@link #commit} then
 * fails ({@code kvstore unavailable}). {@link #awaitRevisionAfter} wakes on the watch. After a commit
 * returns, this instance's snapshots include it. What changed between two snapshots:
 * {@link Store.Snapshot#changesSince}. Commits: {@link EtcdCommit}.
 *
 * <p>Lifetime: {@link #start} lists and starts the watch (and may be called again when it failed);
 * {@link #close} stops the watches and the store's one background thread. The {@link Etcd} client is the
 * caller's: it is not closed here, and must outlive the store. Thread-safe. Throws {@link StoreException};
 * its message starts with {@code kvstore unavailable} when etcd does not answer in the client's timeout.
 */
public final class EtcdStore implements Store, AutoCloseable {

    private final Etcd etcd;
    private final Consumer<String> log;
    private final ScheduledExecutorService scheduler;
    private final ObjectCache cache;
    private final RangeMirror objects;
    private final Map<String, Store.Allocations> tables = new ConcurrentHashMap<>();
    private volatile boolean started;

    /**
     * @param etcd the client (not owned)
     * @param log  where watch losses and re-listings are reported
     */
    public EtcdStore(Etcd etcd, Consumer<String> log) {
        this.etcd = etcd;
        this.log = log;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "weir-etcd-store");
            t.setDaemon(true);
            return t;
        });
        this.cache = new ObjectCache(etcd);
        this.objects = new RangeMirror(etcd, "desired state",
                List.of(Range.under(EtcdKeys.OBJECTS), Range.key(EtcdKeys.REVISION)), cache, scheduler, log);
    }

    /** A started store that logs nowhere. */
    public static EtcdStore open(Etcd etcd) {
        EtcdStore s = new EtcdStore(etcd, m -> { });
        s.start();
        return s;
    }

    /**
     * Reads the desired state and starts watching it.
     *
     * @throws StoreException kvstore unavailable; the store is not started then
     * @throws IllegalStateException when already started
     */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("the etcd store is already started");
        }
        objects.start();
        started = true;
    }

    /**
     * Like {@link #start}, but when etcd does not answer, keeps trying in the background and returns:
     * {@link #ready} says when the desired state has been read. For an agent that must start (and keep its
     * dataplane as it is) during an etcd outage.
     */
    public synchronized void startOrRetry() {
        if (started) {
            throw new IllegalStateException("the etcd store is already started");
        }
        started = true;
        try {
            objects.start();
        } catch (StoreException e) {
            log.accept("etcd: cannot read the desired state yet (" + e.getMessage() + "); retrying");
            objects.startInBackground();
        }
    }

    /** True once the desired state has been read from etcd (snapshots before that are empty, not the truth). */
    @Override
    public boolean ready() {
        return objects.listings() > 0;
    }

    /** Runs {@code r} (quickly) whenever the watched desired state reaches a new revision. */
    public void onChange(Runnable r) {
        cache.onChange(r);
    }

    /** True while the watch is established: snapshots are current. */
    @Override
    public boolean live() {
        return objects.live();
    }

    /** How many times the desired state was listed: 1 after start, one more after each lost watch history. */
    long listings() {
        return objects.listings();
    }

    @Override
    public Snapshot snapshot() {
        if (!started) {
            throw new IllegalStateException("the etcd store is not started");
        }
        return cache.snapshot();
    }

    @Override
    public CommitResult commit(List<Change> changes, CommitCheck check) {
        snapshot();
        CommitPlan.requireUniqueKeys(changes);
        CommitResult r = new EtcdCommit(etcd, cache, changes, check).run();
        if (r.changed()) {
            catchUp(r.revision());
        }
        return r;
    }

    /** Waits until the watch has brought this commit into the snapshot; lists again when it does not. */
    private void catchUp(long revision) {
        try {
            if (!objects.awaitThrough(revision, etcd.config().timeout())) {
                log.accept("etcd: the watch has not delivered revision " + revision + " in " + etcd.config().timeout().toMillis()
                        + " ms; listing again");
                objects.relistSoon();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public long awaitRevisionAfter(long seen, Duration timeout) throws InterruptedException {
        objects.awaitUntil(() -> cache.snapshot().revision() > seen, timeout);
        return revision();
    }

    /**
     * The table {@code table} (one instance per table and store, so that its batch excludes the process's
     * other writers): a node's own tables ({@code lb-*}, {@link PackedNodeTable#isNodeTable}) packed in blocks,
     * the shared ones ({@code identities}, {@code endpoints}...) one key per mapping ({@link EtcdAllocations}).
     *
     * @throws IllegalArgumentException for a bad name or range, or another range than the table was opened with
     */
    @Override
    public Allocations allocations(String table, int first, int last) {
        if (!table.matches("[a-z][a-z0-9-]*")) {
            throw new IllegalArgumentException("bad allocation table name '" + table + "'");
        }
        Allocations a = tables.computeIfAbsent(table, t -> PackedNodeTable.isNodeTable(t)
                ? new PackedNodeTable(etcd, t, first, last, scheduler, log)
                : new EtcdAllocations(etcd, t, first, last, scheduler, log));
        int[] range = a instanceof PackedNodeTable p ? new int[] {p.first, p.last}
                : new int[] {((EtcdAllocations) a).first, ((EtcdAllocations) a).last};
        if (range[0] != first || range[1] != last) {
            throw new IllegalArgumentException("allocation table " + table + " is " + range[0] + ".." + range[1] + ", not "
                    + first + ".." + last);
        }
        return a;
    }

    /** Stops the watches and the background thread; snapshots stay readable. Idempotent. */
    @Override
    public void close() {
        objects.close();
        for (Allocations a : tables.values()) {
            if (a instanceof PackedNodeTable p) {
                p.close();
            } else {
                ((EtcdAllocations) a).close();
            }
        }
        scheduler.shutdownNow();
    }
}
