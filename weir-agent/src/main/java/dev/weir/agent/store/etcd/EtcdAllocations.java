package dev.weir.agent.store.etcd;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.weir.agent.store.NumberedKeys;
import dev.weir.agent.store.Store;
import dev.weir.agent.store.StoreException;
import dev.weir.agent.store.etcd.EtcdReads.Range;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.watch.WatchEvent;

/**
 * An allocation table in etcd: {@code alloc/TABLE/next} (the next free number) and
 * {@code alloc/TABLE/keys/KEY} (a key's number). {@link #allocate} is one transaction that creates the key
 * only if it is absent and {@code next} is unchanged; when it fails, the answer says whether another node
 * allocated the same key (its number is returned) or only moved {@code next} (try again with it). So the
 * same key gets the same number on every node, and a number is never handed out twice. {@link #release}
 * deletes keys; {@code next} never goes back over a number that was handed out.
 *
 * <p>Known numbers are cached: the table is mirrored by a watch ({@link RangeMirror}, started on first use),
 * which also drops a key released by any process; a number this process allocates or reads is cached at once. Until the mirror's first listing, and for keys it does
 * not know, {@link #allocate} asks etcd. A key released elsewhere can still be answered from the cache until
 * the watch delivers the deletion (milliseconds; longer while this node cannot reach etcd).
 *
 * <p>{@link #batch}: see {@link AllocationBatch}. Threads of this process take turns on a table's writes
 * (one lock per table, held through a batch); cache hits take no lock. Thread-safe. Throws
 * {@link StoreException} when etcd does not answer ({@code kvstore unavailable}) or the range is full.
 */
final class EtcdAllocations implements Store.Allocations, RangeMirror.Sink {

    private static final int MAX_TRIES = 100;

    /** {@code next}'s value and mod_revision (0 when absent). */
    record Next(long value, long modRevision) {
    }

    final Etcd etcd;
    final String table;
    final int first;
    final int last;
    final ByteSequence nextKey;
    private final RangeMirror mirror;
    private final AtomicBoolean mirroring = new AtomicBoolean();
    /** The mirror's keys and numbers (IPv4 backend keys packed); read and written under its own monitor. */
    private final NumberedKeys known = new NumberedKeys();
    private volatile Next cachedNext;
    /** Its writers' turns, and the batch of the thread whose turn it is. */
    private final TableTurns<AllocationBatch> turns = new TableTurns<>();

    EtcdAllocations(Etcd etcd, String table, int first, int last, ScheduledExecutorService scheduler, Consumer<String> log) {
        if (first < 1 || last < first) {
            throw new IllegalArgumentException("bad allocation range " + first + ".." + last);
        }
        this.etcd = etcd;
        this.table = table;
        this.first = first;
        this.last = last;
        this.nextKey = etcd.key(EtcdKeys.next(table));
        this.mirror = new RangeMirror(etcd, "allocation table " + table, List.of(Range.under(EtcdKeys.table(table))), this,
                scheduler, log);
    }

    boolean sameRange(int f, int l) {
        return first == f && last == l;
    }

    @Override
    public int allocate(String key) {
        if (inBatch()) {
            return turns.batch().allocate(key);
        }
        startMirror();
        int n;
        synchronized (known) {
            n = known.get(key);
        }
        if (n != 0) {
            return n;
        }
        turns.lock();
        try {
            return allocateRemote(key);
        } finally {
            turns.unlock();
        }
    }

    @Override
    public int known(String key) {
        startMirror();
        synchronized (known) {
            return known.get(key);
        }
    }

    private int allocateRemote(String key) {
        ByteSequence k = etcd.key(EtcdKeys.allocKey(table, key));
        Next next = cachedNext != null ? cachedNext : new Next(first, 0);
        for (int attempt = 1; attempt <= MAX_TRIES; attempt++) {
            long n = Math.max(next.value(), first);
            if (n > last) {
                return existing(k).orElseThrow(this::full);
            }
            Next seen = next;
            TxnResponse r = etcd.call("txn", "alloc", "allocate in " + table, () -> etcd.client().getKVClient().txn()
                    .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.version(0)), EtcdReads.modRevisionIs(nextKey, seen.modRevision()))
                    .Then(Op.put(k, number(n), PutOption.DEFAULT), Op.put(nextKey, number(n + 1), PutOption.DEFAULT))
                    .Else(Op.get(k, GetOption.DEFAULT), Op.get(nextKey, GetOption.DEFAULT))
                    .commit());
            if (r.isSucceeded()) {
                return learned(key, (int) n);
            }
            GetResponse have = r.getGetResponses().get(0);
            if (!have.getKvs().isEmpty()) {
                return learned(key, parse(have.getKvs().getFirst()));
            }
            next = next(r.getGetResponses().get(1));
            if (attempt > 1) {
                EtcdReads.backoff(attempt);
            }
        }
        throw new StoreException("allocate in " + table + ": " + MAX_TRIES + " tries lost the race for 'next'; try again");
    }

    /** A number this process allocated or read: known at once, before the watch brings it. */
    private int learned(String key, int n) {
        synchronized (known) {
            known.put(key, n);
        }
        return n;
    }

    private java.util.Optional<Integer> existing(ByteSequence k) {
        GetResponse g = etcd.call("get", "alloc", "read " + table, () -> etcd.client().getKVClient().get(k));
        return g.getKvs().stream().findFirst().map(EtcdAllocations::parse);
    }

    @Override
    public Map<String, Integer> all() {
        if (inBatch()) {
            return turns.batch().all();
        }
        Map<String, Integer> all = new TreeMap<>();
        for (KeyValue kv : EtcdReads.list(etcd, "read " + table, List.of(Range.under(EtcdKeys.keys(table))), 0).kvs()) {
            String key = EtcdKeys.allocKeyName(table, etcd.relative(kv.getKey()));
            if (key != null) {
                all.put(key, parse(kv));
            }
        }
        return all;
    }

    @Override
    public void release(Collection<String> keys) {
        if (keys.isEmpty()) {
            return;
        }
        if (inBatch()) {
            turns.batch().release(keys);
            return;
        }
        turns.lock();
        try {
            long revision = 0;
            List<String> all = new ArrayList<>(keys);
            for (int i = 0; i < all.size(); i += EtcdReads.MAX_TXN_OPS) {
                Op[] deletes = all.subList(i, Math.min(all.size(), i + EtcdReads.MAX_TXN_OPS)).stream()
                        .map(k -> Op.delete(etcd.key(EtcdKeys.allocKey(table, k)), DeleteOption.DEFAULT)).toArray(Op[]::new);
                revision = etcd.call("txn", "alloc", "release in " + table, () -> etcd.client().getKVClient().txn().Then(deletes).commit())
                        .getHeader().getRevision();
            }
            settled(revision);
            synchronized (known) {
                keys.forEach(known::remove);
            }
        } finally {
            turns.unlock();
        }
    }

    /**
     * Deletes each key that no node references ({@code refs/<table>/<key>/}, {@link EtcdKeys#refs}), safely against
     * a node that starts referencing it meanwhile: the key and its references are read in one transaction at
     * one revision, and the delete only goes through when the key's mod_revision is still the one read. A node
     * that references a key rewrites the key in the same transaction as its reference
     * ({@code EtcdNodeRegistry}), so either its reference was read here, or the delete fails.
     */
    @Override
    public Collection<String> releaseUnreferenced(Collection<String> keys) {
        if (inBatch()) {
            throw new IllegalStateException("releaseUnreferenced inside a batch");
        }
        List<String> released = new ArrayList<>();
        turns.lock();
        try {
            long revision = 0;
            for (String key : keys) {
                long read = unreferencedRevision(key);
                if (read != 0) {
                    long deleted = deleteIfUnchanged(key, read);
                    if (deleted != 0) {
                        released.add(key);
                        revision = deleted;
                    }
                }
            }
            settled(revision);
        } finally {
            turns.unlock();
        }
        return released;
    }

    /**
     * The first step of {@link #releaseUnreferenced}: the key and the count of its references, read in one
     * transaction at one revision.
     *
     * @return the key's mod_revision when it exists and no node references it; 0 otherwise
     */
    long unreferencedRevision(String key) {
        ByteSequence k = etcd.key(EtcdKeys.allocKey(table, key));
        ByteSequence refs = etcd.key(EtcdKeys.refs(table, key));
        TxnResponse read = etcd.call("txn", "alloc", "read the references of " + table + " keys", () -> etcd.client()
                .getKVClient().txn().Then(Op.get(k, GetOption.DEFAULT),
                        Op.get(refs, GetOption.builder().isPrefix(true).withCountOnly(true).build())).commit());
        List<KeyValue> have = read.getGetResponses().get(0).getKvs();
        if (have.isEmpty() || read.getGetResponses().get(1).getCount() > 0) {
            return 0; // gone already, or some node uses it
        }
        return have.getFirst().getModRevision();
    }

    /**
     * The second step of {@link #releaseUnreferenced}: deletes the key only while its mod_revision is still
     * {@code modRevision}, the one {@link #unreferencedRevision} read.
     *
     * @return the revision of the delete; 0 when the key changed (a node referenced it) or is gone
     */
    long deleteIfUnchanged(String key, long modRevision) {
        ByteSequence k = etcd.key(EtcdKeys.allocKey(table, key));
        TxnResponse delete = etcd.call("txn", "alloc", "release in " + table, () -> etcd.client().getKVClient().txn()
                .If(EtcdReads.modRevisionIs(k, modRevision)).Then(Op.delete(k, DeleteOption.DEFAULT)).commit());
        if (!delete.isSucceeded()) {
            return 0;
        }
        synchronized (known) {
            known.remove(key);
        }
        return delete.getHeader().getRevision();
    }

    @Override
    public <T> T batch(Supplier<T> work) {
        return turns.batch(() -> AllocationBatch.begin(this), b -> settled(b.flush()), work);
    }

    private boolean inBatch() {
        return turns.batch() != null;
    }

    /** Waits (briefly) until the mirror has seen this process's own write at {@code revision}. */
    private void settled(long revision) {
        if (revision == 0 || !mirror.live()) {
            return;
        }
        try {
            mirror.awaitThrough(revision, etcd.config().timeout());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void startMirror() {
        if (mirroring.compareAndSet(false, true)) {
            mirror.startInBackground();
        }
    }

    void close() {
        mirror.close();
    }

    StoreException full() {
        return new StoreException("allocation table " + table + " is full (" + first + ".." + last + ")");
    }

    @Override
    public void reset(List<KeyValue> kvs, long revision) {
        synchronized (known) {
            known.clear();
        }
        cachedNext = null;
        kvs.forEach(this::put);
    }

    @Override
    public void apply(List<WatchEvent> events) {
        for (WatchEvent e : events) {
            if (e.getEventType() == WatchEvent.EventType.DELETE) {
                String relative = etcd.relative(e.getKeyValue().getKey());
                String key = relative.startsWith(EtcdKeys.keys(table)) ? EtcdKeys.allocKeyName(table, relative) : null;
                if (key != null) {
                    synchronized (known) {
                        known.remove(key);
                    }
                } else {
                    cachedNext = null;
                }
            } else {
                put(e.getKeyValue());
            }
        }
    }

    private void put(KeyValue kv) {
        String relative = etcd.relative(kv.getKey());
        try {
            String key = relative.startsWith(EtcdKeys.keys(table)) ? EtcdKeys.allocKeyName(table, relative) : null;
            if (key != null) {
                int n = parse(kv);
                synchronized (known) {
                    known.put(key, n);
                }
            } else if (relative.equals(EtcdKeys.next(table))) {
                cachedNext = new Next(parseLong(kv), kv.getModRevision());
            }
        } catch (StoreException e) {
            // not a number (written by hand): not cached, so etcd is asked
        }
    }

    /** {@code next} from a get of it. */
    Next next(GetResponse g) {
        return g.getKvs().isEmpty() ? new Next(first, 0)
                : new Next(parseLong(g.getKvs().getFirst()), g.getKvs().getFirst().getModRevision());
    }

    static ByteSequence number(long n) {
        return Etcd.bytes(Long.toString(n));
    }

    static int parse(KeyValue kv) {
        long n = parseLong(kv);
        if (n < 1 || n > Integer.MAX_VALUE) {
            throw new StoreException("not an allocated number at " + Etcd.string(kv.getKey()) + ": " + n);
        }
        return (int) n;
    }

    static long parseLong(KeyValue kv) {
        String s = Etcd.string(kv.getValue());
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new StoreException("not a number at " + Etcd.string(kv.getKey()) + ": '" + s + "'");
        }
    }
}
