package dev.weir.agent.store.etcd;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;

import dev.weir.agent.store.StoreException;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.watch.WatchEvent;

/**
 * A live copy of every key under one prefix, as entries, with listeners told what changed: the
 * {@link RangeMirror} of the prefix (listed once, then watched; listed again when the watch lost history, so
 * keys deleted meanwhile are reported as deletes and never kept) seen through a map. Used for the node
 * records and endpoints ({@link EtcdNodeRegistry}); the desired state has its own sink ({@link ObjectCache}).
 *
 * <p>Lifetime: {@link #start} lists (retrying in the background while etcd does not answer) and watches;
 * {@link #close} stops. Retries run on a scheduler: the copy's own thread, or one the caller shares between
 * many copies and owns (it is then not shut down by {@link #close}). Listeners are called under the mirror's
 * lock, one watch response at a time, in revision order: they must be quick. Thread-safe.
 */
public final class WatchedPrefix implements AutoCloseable, RangeMirror.Sink {

    /** One key's value as last seen: the bytes, the revision that last changed it, and its lease (0 for none). */
    public record Entry(byte[] value, long modRevision, long lease) {
    }

    /**
     * What changed: keys put (created or changed) and keys deleted, relative to the prefix, up to
     * {@code revision}. {@code relisted} is true when the change comes from a new list after the watch
     * lost its history.
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
    private final ScheduledExecutorService scheduler;
    private final boolean ownsScheduler;
    private final RangeMirror mirror;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private volatile long revision;
    private long resets;

    /**
     * With a thread of its own for retries.
     *
     * @param prefix relative to the connection's prefix, e.g. {@code nodes/}
     */
    public WatchedPrefix(Etcd etcd, String prefix, Consumer<String> log) {
        this(etcd, prefix, Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon(true)
                .name("weir-etcd-watch-" + prefix.replace('/', '-')).unstarted(r)), true, log);
    }

    /**
     * With retries on {@code scheduler}, which the caller owns and may share; it must outlive this copy.
     *
     * @param prefix relative to the connection's prefix, e.g. {@code nodes/}
     */
    public WatchedPrefix(Etcd etcd, String prefix, ScheduledExecutorService scheduler, Consumer<String> log) {
        this(etcd, prefix, scheduler, false, log);
    }

    private WatchedPrefix(Etcd etcd, String prefix, ScheduledExecutorService scheduler, boolean ownsScheduler,
                          Consumer<String> log) {
        this.etcd = etcd;
        this.prefix = prefix;
        this.log = log;
        this.scheduler = scheduler;
        this.ownsScheduler = ownsScheduler;
        this.mirror = new RangeMirror(etcd, prefix, List.of(EtcdReads.Range.under(prefix)), this, scheduler, log);
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
            mirror.start();
        } catch (StoreException e) {
            log.accept("etcd: cannot list " + prefix + " yet (" + e.getMessage() + "); retrying");
            mirror.startInBackground();
        }
    }

    /**
     * Lists and watches in the background only, retrying until etcd answers, and returns at once: for a caller
     * that already knows etcd does not answer now (a first listing would only wait a timeout more).
     */
    public void startInBackground() {
        mirror.startInBackground();
    }

    /** The keys (relative to this prefix) and their entries now. */
    public Map<String, Entry> entries() {
        return new TreeMap<>(entries);
    }

    /** One key's entry now (relative to this prefix), without copying the others. */
    public Optional<Entry> entry(String key) {
        return Optional.ofNullable(entries.get(key));
    }

    /** How many keys the copy holds now. */
    public int size() {
        return entries.size();
    }

    /** The etcd revision the copy is at. */
    public long revision() {
        return revision;
    }

    /** True when the copy has been listed and its watch is running. */
    public boolean live() {
        return mirror.live();
    }

    /** How many times the prefix was listed (1 after a start without trouble). */
    public long lists() {
        return mirror.listings();
    }

    @Override
    public void close() {
        mirror.close();
        if (ownsScheduler) {
            scheduler.shutdownNow();
        }
    }

    @Override
    public void reset(List<KeyValue> kvs, long at) {
        Map<String, Entry> now = new HashMap<>();
        kvs.forEach(kv -> now.put(relativeKey(kv), entry(kv)));
        Map<String, Entry> puts = new TreeMap<>();
        now.forEach((k, e) -> {
            Entry old = entries.get(k);
            if (old == null || old.modRevision() != e.modRevision()) {
                puts.put(k, e);
            }
        });
        Set<String> deletes = new HashSet<>(entries.keySet());
        deletes.removeAll(now.keySet());
        entries.keySet().retainAll(now.keySet());
        entries.putAll(now);
        revision = at;
        notifyListeners(new Update(puts, deletes, at, resets++ > 0));
    }

    @Override
    public void apply(List<WatchEvent> events) {
        Map<String, Entry> puts = new TreeMap<>();
        Set<String> deletes = new HashSet<>();
        long last = revision;
        for (WatchEvent ev : events) {
            KeyValue kv = ev.getKeyValue();
            String k = relativeKey(kv);
            if (ev.getEventType() == WatchEvent.EventType.DELETE) {
                if (entries.remove(k) != null) {
                    deletes.add(k);
                }
                puts.remove(k);
            } else if (ev.getEventType() == WatchEvent.EventType.PUT) {
                Entry e = entry(kv);
                entries.put(k, e);
                puts.put(k, e);
                deletes.remove(k);
            }
            last = Math.max(last, kv.getModRevision());
        }
        revision = last;
        Update u = new Update(puts, deletes, last, false);
        if (!u.isEmpty()) {
            notifyListeners(u);
        }
    }

    private void notifyListeners(Update u) {
        for (Consumer<Update> l : listeners) {
            try {
                l.accept(u);
            } catch (RuntimeException e) {
                log.accept("etcd: a listener of " + prefix + " failed: " + e);
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
