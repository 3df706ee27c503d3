package dev.weir.agent.store.etcd;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import dev.weir.agent.store.StoreException;
import dev.weir.agent.store.etcd.EtcdReads.Listing;
import dev.weir.agent.store.etcd.EtcdReads.Range;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.options.OptionsUtil;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;

/**
 * A local copy of some etcd key ranges: listed once at one revision, then kept by one watch over the span of
 * the ranges (events for keys between them are dropped). The copy itself lives in a {@link Sink}, which
 * is called under this mirror's lock, one watch response (whole etcd revisions) at a time.
 *
 * <p>Resumption is this class's, not jetcd's: on any watch error the watcher is closed and, after
 * {@link #RETRY}, a new one is opened. Every watch starts at {@link #through()} (every event up to it has
 * been applied), not one later, and drops the events of that revision again: etcd accepts a watch from
 * exactly its compaction revision but has then dropped that revision's deletions, so a watch from
 * {@code through + 1} after a compaction at {@code through + 1} would silently miss deletions. Starting at
 * {@code through} makes every compaction that could matter fail the watch; then the ranges are listed
 * again and the sink reset, so the copy equals etcd exactly (keys deleted meanwhile disappear). A listing
 * that fails is retried after {@link #RETRY} until one succeeds.
 *
 * <p>Lifetime: {@link #start} (or {@link #startInBackground}) to {@link #close}; watch callbacks and
 * retries run on jetcd's threads and on the given scheduler, which the caller owns. Thread-safe.
 */
final class RangeMirror implements AutoCloseable {

    /** Receives the copy's changes; called under the mirror's lock, never concurrently. */
    interface Sink {
        /** Replaces everything with a listing (the first, or one after the watch lost its history). */
        void reset(List<KeyValue> kvs, long revision);

        /** The events of one watch response, in order, for keys in the ranges only. */
        void apply(List<WatchEvent> events);
    }

    static final Duration RETRY = Duration.ofMillis(250);

    private final Etcd etcd;
    private final String what;
    private final List<Range> ranges;
    private final Sink sink;
    private final ScheduledExecutorService scheduler;
    private final Consumer<String> log;
    private final ByteSequence watchFrom;
    private final ByteSequence watchEnd;

    private final Object lock = new Object();
    /** Every event up to this etcd revision has been applied; -1 before the first listing. */
    private long through = -1;
    private boolean live;
    private boolean closed;
    private long generation;
    private long listings;
    private Watch.Watcher watcher;

    /**
     * @param what   what is mirrored, for messages ({@code desired state}, {@code allocation table x})
     * @param ranges the ranges, relative to the prefix
     */
    RangeMirror(Etcd etcd, String what, List<Range> ranges, Sink sink, ScheduledExecutorService scheduler,
                Consumer<String> log) {
        this.etcd = etcd;
        this.what = what;
        this.ranges = List.copyOf(ranges);
        this.sink = sink;
        this.scheduler = scheduler;
        this.log = log;
        ByteSequence from = null;
        ByteSequence end = null;
        for (Range r : ranges) {
            ByteSequence k = etcd.key(r.key());
            ByteSequence e = r.prefix() ? OptionsUtil.prefixEndOf(k) : k.concat(ByteSequence.from(new byte[] {0}));
            from = from == null || compare(k, from) < 0 ? k : from;
            end = end == null || compare(e, end) > 0 ? e : end;
        }
        this.watchFrom = from;
        this.watchEnd = end;
    }

    /**
     * Lists the ranges and starts watching.
     *
     * @throws StoreException kvstore unavailable: nothing is mirrored then (call again)
     */
    void start() {
        install(EtcdReads.list(etcd, "list " + what, ranges, 0));
    }

    /** Like {@link #start}, but on the scheduler, retrying until a listing succeeds. */
    void startInBackground() {
        schedule(this::relist, Duration.ZERO);
    }

    /** The etcd revision every event of the ranges has been applied up to; -1 before the first listing. */
    long through() {
        synchronized (lock) {
            return through;
        }
    }

    /** True while a watch is established and has reported no error since. */
    boolean live() {
        synchronized (lock) {
            return live;
        }
    }

    /** How many times the ranges were listed (1 after start; more after compactions). */
    long listings() {
        synchronized (lock) {
            return listings;
        }
    }

    /** Waits until every event up to {@code revision} has been applied; false when the timeout passed first. */
    boolean awaitThrough(long revision, Duration timeout) throws InterruptedException {
        return awaitUntil(() -> through >= revision, timeout);
    }

    /**
     * Waits until {@code condition} (evaluated under the lock, so against the sink's state between two
     * responses) holds; false when the timeout passed first.
     */
    boolean awaitUntil(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (!condition.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || closed) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return true;
        }
    }

    /** Lists again soon (e.g. when the watch does not catch up with a revision known to exist). */
    void relistSoon() {
        schedule(this::relist, Duration.ZERO);
    }

    private void relist() {
        Listing l;
        try {
            l = EtcdReads.list(etcd, "list " + what, ranges, 0);
        } catch (StoreException e) {
            schedule(this::relist, RETRY);
            return;
        }
        install(l);
    }

    private void install(Listing l) {
        Watch.Watcher old;
        long gen;
        synchronized (lock) {
            if (closed) {
                return;
            }
            sink.reset(l.kvs().stream().filter(kv -> inRanges(kv.getKey())).toList(), l.revision());
            if (listings > 0) {
                log.accept("etcd: listed " + what + " again at revision " + l.revision());
            }
            through = l.revision();
            listings++;
            gen = ++generation;
            old = watcher;
            watcher = null;
            lock.notifyAll();
        }
        closeQuietly(old);
        watch(gen, l.revision());
    }

    private void rewatch() {
        Watch.Watcher old;
        long gen;
        long from;
        synchronized (lock) {
            if (closed) {
                return;
            }
            gen = ++generation;
            from = through;
            old = watcher;
            watcher = null;
        }
        closeQuietly(old);
        watch(gen, from);
    }

    /**
     * Opens a watcher for generation {@code gen} from revision {@code from} (= through: its events are dropped);
     * never called holding the lock (jetcd calls back under its own).
     */
    private void watch(long gen, long from) {
        WatchOption option = WatchOption.builder().withRange(watchEnd).withRevision(Math.max(1, from)).withCreateNotify(true)
                .withRequireLeader(true).build();
        Watch.Watcher w;
        try {
            w = etcd.client().getWatchClient().watch(watchFrom, option,
                    Watch.listener(r -> onNext(gen, r), t -> onError(gen, t), () -> onCompleted(gen)));
        } catch (RuntimeException e) {
            failed(gen, e);
            return;
        }
        boolean keep;
        synchronized (lock) {
            keep = !closed && gen == generation;
            if (keep) {
                watcher = w;
            }
        }
        if (!keep) {
            closeQuietly(w);
        }
    }

    /** The events received, by scope and kind, to the connection's observer. */
    private void report(List<WatchEvent> events) {
        Etcd.Observer o = etcd.observer();
        for (WatchEvent e : events) {
            o.events(Etcd.scope(etcd.relative(e.getKeyValue().getKey())),
                    e.getEventType() == WatchEvent.EventType.DELETE ? "delete" : "put", 1);
        }
    }

    private void onNext(long gen, WatchResponse r) {
        synchronized (lock) {
            if (closed || gen != generation) {
                return;
            }
            live = true;
            List<WatchEvent> events = r.getEvents();
            if (!events.isEmpty()) {
                long applied = through;
                List<WatchEvent> mine = events.stream()
                        .filter(e -> e.getKeyValue().getModRevision() > applied && inRanges(e.getKeyValue().getKey())).toList();
                if (!mine.isEmpty()) {
                    sink.apply(mine);
                    report(mine);
                }
                through = Math.max(through, events.getLast().getKeyValue().getModRevision());
            } else if (r.isProgressNotify()) {
                through = Math.max(through, r.getHeader().getRevision());
            }
            lock.notifyAll();
        }
    }

    private void onError(long gen, Throwable t) {
        failed(gen, t);
    }

    private void onCompleted(long gen) {
        failed(gen, new IllegalStateException("the watch ended"));
    }

    private void failed(long gen, Throwable t) {
        Watch.Watcher old;
        boolean wasLive;
        synchronized (lock) {
            if (closed || gen != generation) {
                return;
            }
            wasLive = live;
            live = false;
            generation++;
            old = watcher;
            watcher = null;
            lock.notifyAll();
        }
        closeQuietly(old);
        if (t instanceof io.etcd.jetcd.common.exception.ClosedClientException) {
            log.accept("etcd: the watch of " + what + " stopped: the client is closed");
        } else if (t instanceof CompactedException) {
            log.accept("etcd: the watch of " + what + " lost its history (compacted at revision "
                    + ((CompactedException) t).getCompactedRevision() + "); listing again");
            schedule(this::relist, Duration.ZERO);
        } else {
            if (wasLive) {
                log.accept("etcd: the watch of " + what + " failed (" + t.getMessage() + "); resuming");
            }
            schedule(this::rewatch, RETRY);
        }
    }

    private boolean inRanges(ByteSequence key) {
        String k = etcd.relative(key);
        for (Range r : ranges) {
            if (r.contains(k)) {
                return true;
            }
        }
        return false;
    }

    private void schedule(Runnable task, Duration delay) {
        try {
            scheduler.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // the owner is closing
        }
    }

    private static void closeQuietly(Watch.Watcher w) {
        if (w != null) {
            try {
                w.close();
            } catch (RuntimeException e) {
                // a watcher of a closed client
            }
        }
    }

    private static int compare(ByteSequence a, ByteSequence b) {
        return Arrays.compareUnsigned(a.getBytes(), b.getBytes());
    }

    /** Stops watching; the sink keeps its last state. Idempotent. */
    @Override
    public void close() {
        Watch.Watcher old;
        synchronized (lock) {
            closed = true;
            live = false;
            old = watcher;
            watcher = null;
            lock.notifyAll();
        }
        closeQuietly(old);
    }
}
