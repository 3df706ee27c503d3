package dev.weir.agent.store.etcd;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import dev.weir.agent.store.StoreException;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;

/**
 * A live copy of every key under one prefix: listed once, then followed by a watch from the revision after
 * the list. jetcd resumes a watch by itself after a recoverable failure (a member gone), from the last
 * revision it delivered. When the watch ends for good (compaction past that revision, no leader, a cancel)
 * the prefix is listed again and the watch restarted; keys that vanished meanwhile are reported as deletes,
 * so a listener never keeps a key etcd no longer has (the bug Cilium fixed in its watch store). No event
 * is applied twice: events at or below the copy's revision are dropped.
 *
 * <p>Lifetime: {@link #start} lists (retrying in the background while etcd does not answer) and watches;
 * {@link #close} stops. Listeners are called on one thread at a time, in revision order. Thread-safe.
 */
public final class WatchedPrefix implements AutoCloseable {

    /** One key's value as last seen: the bytes, the revision that last changed it, and its lease (0 for none). */
    public record Entry(byte[] value, long modRevision, long lease) {
    }

    /**
     * What changed: keys put (created or changed) and keys deleted, relative to the prefix, up to
     * {@code revision}. {@code relisted} is true when the change comes from a new list after the watch
     * ended.
     */
    public record Update(Map<String, Entry> puts, Set<String> deletes, long revision, boolean relisted) {
        public boolean isEmpty() {
            return puts.isEmpty() && deletes.isEmpty();
        }
    }

    private final Etcd etcd;
    private final String prefix;
    private final Consumer<String> log;
    private final List<Consumer<Update>> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService relister;
    private final Object lock = new Object();
    private final Map<String, Entry> entries = new HashMap<>();
    private long revision;
    private boolean live;
    private volatile boolean closed;
    private Watch.Watcher watcher;
    private long lists;

    /** @param prefix relative to the connection's prefix, e.g. {@code nodes/} */
    public WatchedPrefix(Etcd etcd, String prefix, Consumer<String> log) {
        this.etcd = etcd;
        this.prefix = prefix;
        this.log = log;
        this.relister = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon(true)
                .name("weir-etcd-list-" + prefix.replace('/', '-')).unstarted(r));
    }

    /** Called with every change after it is applied to the copy. */
    public void addListener(Consumer<Update> l) {
        listeners.add(l);
    }

    /**
     * Lists once (so a caller that starts with etcd up sees the keys at once) and watches; when etcd does not
     * answer, keeps trying in the background and returns.
     */
    public void start() {
        try {
            relist();
        } catch (StoreException e) {
            log.accept("etcd: cannot list " + prefix + " yet (" + e.getMessage() + "); retrying");
            scheduleRelist();
        }
    }

    /** The keys (relative to this prefix) and their entries now. */
    public Map<String, Entry> entries() {
        synchronized (lock) {
            return new TreeMap<>(entries);
        }
    }

    /** The etcd revision the copy is at. */
    public long revision() {
        synchronized (lock) {
            return revision;
        }
    }

    /** True when the copy has been listed and its watch is running. */
    public boolean live() {
        synchronized (lock) {
            return live;
        }
    }

    /** How many times the prefix was listed (1 after a start without trouble). */
    public long lists() {
        synchronized (lock) {
            return lists;
        }
    }

    @Override
    public void close() {
        closed = true;
        relister.shutdownNow();
        synchronized (lock) {
            if (watcher != null) {
                watcher.close();
                watcher = null;
            }
            live = false;
        }
    }

    private void relist() {
        if (closed) {
            return;
        }
        var r = etcd.call("list " + prefix, () -> etcd.client().getKVClient().get(etcd.key(prefix),
                GetOption.builder().isPrefix(true).build()));
        Map<String, Entry> now = new HashMap<>();
        for (KeyValue kv : r.getKvs()) {
            now.put(relativeKey(kv), entry(kv));
        }
        long rev = r.getHeader().getRevision();
        Update u;
        synchronized (lock) {
            if (watcher != null) {
                watcher.close();
                watcher = null;
            }
            Map<String, Entry> puts = new TreeMap<>();
            Set<String> deletes = new HashSet<>(entries.keySet());
            deletes.removeAll(now.keySet());
            now.forEach((k, e) -> {
                Entry old = entries.get(k);
                if (old == null || old.modRevision() != e.modRevision()) {
                    puts.put(k, e);
                }
            });
            entries.clear();
            entries.putAll(now);
            revision = rev;
            lists++;
            u = new Update(puts, deletes, rev, lists > 1);
            watcher = etcd.client().getWatchClient().watch(etcd.key(prefix),
                    WatchOption.builder().isPrefix(true).withRevision(rev + 1).build(),
                    Watch.listener(this::onWatch, this::onWatchError, this::onWatchEnded));
            live = true;
        }
        notifyListeners(u);
    }

    private void onWatch(WatchResponse response) {
        Map<String, Entry> puts = new TreeMap<>();
        Set<String> deletes = new HashSet<>();
        Update u;
        synchronized (lock) {
            long last = revision;
            for (WatchEvent ev : response.getEvents()) {
                KeyValue kv = ev.getKeyValue();
                if (kv.getModRevision() <= revision) {
                    continue;
                }
                String k = relativeKey(kv);
                if (ev.getEventType() == WatchEvent.EventType.DELETE) {
                    if (entries.remove(k) != null) {
                        deletes.add(k);
                        puts.remove(k);
                    }
                } else if (ev.getEventType() == WatchEvent.EventType.PUT) {
                    Entry e = entry(kv);
                    entries.put(k, e);
                    puts.put(k, e);
                    deletes.remove(k);
                }
                last = Math.max(last, kv.getModRevision());
            }
            revision = Math.max(revision, Math.max(last, response.getHeader().getRevision()));
            u = new Update(puts, deletes, revision, false);
        }
        if (!u.isEmpty()) {
            notifyListeners(u);
        }
    }

    private void onWatchError(Throwable t) {
        // jetcd resumes by itself after a recoverable error; an unrecoverable one ends in onWatchEnded
        log.accept("etcd: watch of " + prefix + " interrupted: " + t.getMessage());
    }

    private void onWatchEnded() {
        synchronized (lock) {
            live = false;
        }
        if (!closed) {
            log.accept("etcd: watch of " + prefix + " ended; listing again");
            scheduleRelist();
        }
    }

    private void scheduleRelist() {
        if (closed) {
            return;
        }
        try {
            relister.schedule(() -> {
                try {
                    relist();
                } catch (StoreException e) {
                    scheduleRelist();
                }
            }, 500, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    private void notifyListeners(Update u) {
        synchronized (listeners) {
            for (Consumer<Update> l : listeners) {
                try {
                    l.accept(u);
                } catch (RuntimeException e) {
                    log.accept("etcd: a listener of " + prefix + " failed: " + e);
                }
            }
        }
    }

    private String relativeKey(KeyValue kv) {
        return etcd.relative(kv.getKey()).substring(prefix.length());
    }

    private static Entry entry(KeyValue kv) {
        return new Entry(kv.getValue().getBytes(), kv.getModRevision(), kv.getLease());
    }
}
