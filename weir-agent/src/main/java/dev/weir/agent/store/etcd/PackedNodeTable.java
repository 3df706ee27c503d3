package dev.weir.agent.store.etcd;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.weir.agent.store.NumberedKeys;
import dev.weir.agent.store.Store;
import dev.weir.agent.store.StoreException;
import dev.weir.agent.store.etcd.EtcdAllocations.Next;
import dev.weir.agent.store.etcd.EtcdReads.Range;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.watch.WatchEvent;

/**
 * An allocation table with one writer (a node's {@code lb-*-<node>} tables, {@link #isNodeTable}), packed:
 * {@code alloc/TABLE/blocks/B} holds the numbers of block B ({@link PackedBlocks}: {@code B * 1024} to
 * {@code B * 1024 + 1023}) that are in use and their keys, and {@code alloc/TABLE/next} the next number never
 * handed out. A batch of 40,000 new keys writes about 40 blocks instead of 40,000 keys (etcd's cost is per key
 * written; docs/benchmarks.md, "etcd's part of the install").
 *
 * <p>Every write rewrites whole blocks, each with a compare on the block's mod_revision, and every write that
 * adds a mapping also puts {@code next} with a compare on its mod_revision. So a second writer that touches a
 * block, or allocates anything, makes the write fail; the table then lists itself again and tries once more
 * against what it read. A key's number is looked up in this process's copy of the table; the compare on
 * {@code next} is what makes that safe: the copy holds every mapping added up to {@code next}'s mod_revision,
 * and no mapping can be added without moving it. {@link #allocate} outside a batch is one transaction (one
 * block and {@code next}); {@link #release} one per 127 blocks; a batch ({@link PackedBatch}) reserves numbers
 * as {@link AllocationBatch} does and writes its blocks at the end, in transactions bounded by
 * {@link #MAX_TXN_BYTES} and {@link EtcdReads#MAX_TXN_OPS}.
 *
 * <p>The copy ({@link NumberedKeys}, plus each block's value and mod_revision) is kept by a watch
 * ({@link RangeMirror}, started on first use, listing the table first) and by this instance's own writes; each
 * block is replaced only by a newer version of it, so the watch delivering an older one does no harm.
 * {@link #all} lists the table from etcd. A per-key table ({@code alloc/TABLE/keys/}, weir before the packed
 * layout) is not read: every call fails naming it (delete the table; the lab creates etcd's state fresh).
 *
 * <p>Threads of this process take turns on the table's writes (one lock, held through a batch); cache hits
 * take no lock. Thread-safe. Throws {@link StoreException} when etcd does not answer, the range is full,
 * another writer took keys of a batch, or the table is not in the packed layout.
 */
final class PackedNodeTable implements Store.Allocations, RangeMirror.Sink {

    /** Bytes of keys and values in one transaction: under etcd's default {@code --max-request-bytes} (1.5 MiB). */
    static final int MAX_TXN_BYTES = 1 << 20;

    private static final int MAX_TRIES = 20;

    /** One block's value and mod_revision in the copy. */
    private record Block(long modRevision, byte[] value) {
    }

    /** A key's number moves from {@code from} to {@code to} (0: absent; to 0 is a release). */
    record Edit(String key, int from, int to) {
    }

    /** One block to put: its number, its new entries, and the mod_revision it must still have (0: absent). */
    record BlockPut(long block, byte[] value, long seen) {
    }

    final Etcd etcd;
    final String table;
    final int first;
    final int last;
    final ByteSequence nextKey;
    private final RangeMirror mirror;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile boolean mirrored;

    /** The copy; everything below is read and written under this monitor. */
    private final NumberedKeys known = new NumberedKeys();
    private final Map<Long, Block> blocks = new HashMap<>();
    private Next next;
    /** Why the table cannot be used (a per-key table, a damaged block), or null. */
    private String unusable;
    /** The mod_revision {@code next} got from this instance's last write of it (0: none). */
    private long ownNext;
    /** The highest number any block of the copy ever held (0: none). */
    private long highest;

    /** The batch of the thread holding {@link #lock}, or null. */
    private PackedBatch batch;

    PackedNodeTable(Etcd etcd, String table, int first, int last, ScheduledExecutorService scheduler, Consumer<String> log) {
        if (first < 1 || last < first) {
            throw new IllegalArgumentException("bad allocation range " + first + ".." + last);
        }
        this.etcd = etcd;
        this.table = table;
        this.first = first;
        this.last = last;
        this.nextKey = etcd.key(EtcdKeys.next(table));
        this.next = new Next(first, 0);
        this.mirror = new RangeMirror(etcd, "allocation table " + table, List.of(Range.under(EtcdKeys.table(table))), this,
                scheduler, log);
    }

    /** True for the tables only their node writes: {@code lb-service-<node>}, {@code lb-backend-<node>}, {@code lb-rev-nat-<node>}. */
    static boolean isNodeTable(String table) {
        return table.startsWith("lb-");
    }

    boolean sameRange(int f, int l) {
        return first == f && last == l;
    }

    @Override
    public int allocate(String key) {
        if (inBatch()) {
            return batch.allocate(key);
        }
        view();
        int n = known(key);
        if (n != 0) {
            return n;
        }
        lock.lock();
        try {
            return allocateOne(key);
        } finally {
            lock.unlock();
        }
    }

    /** One transaction: the key into its number's block, {@code next} one further. */
    private int allocateOne(String key) {
        for (int attempt = 1; ; attempt++) {
            int n;
            BlockPut put;
            Next seen;
            synchronized (known) {
                usable();
                n = known.get(key);
                if (n != 0) {
                    return n;
                }
                seen = next;
                long number = firstFree(seen);
                if (number > last) {
                    throw full();
                }
                n = (int) number;
                SortedMap<Integer, String> entries = entries(PackedBlocks.blockOf(n));
                entries.put(n, key);
                put = put(PackedBlocks.blockOf(n), entries);
            }
            TxnResponse r = send(List.of(put), seen, n + 1L, "allocate in " + table);
            if (r.isSucceeded()) {
                wrote(List.of(put), n + 1L, r.getHeader().getRevision());
                return n;
            }
            retry(attempt, "allocate in " + table);
        }
    }

    int known(String key) {
        synchronized (known) {
            return known.get(key);
        }
    }

    @Override
    public Map<String, Integer> all() {
        if (inBatch()) {
            return batch.all();
        }
        view();
        refresh();
        synchronized (known) {
            return known.toSortedMap();
        }
    }

    /** The copy's keys and numbers, sorted by key. */
    SortedMap<String, Integer> copy() {
        synchronized (known) {
            return known.toSortedMap();
        }
    }

    @Override
    public void release(Collection<String> keys) {
        if (keys.isEmpty()) {
            return;
        }
        if (inBatch()) {
            batch.release(keys);
            return;
        }
        view();
        lock.lock();
        try {
            List<Edit> edits = new ArrayList<>();
            synchronized (known) {
                for (String k : keys) {
                    int n = known.get(k);
                    if (n != 0) {
                        edits.add(new Edit(k, n, 0));
                    }
                }
            }
            List<String> conflicts = new ArrayList<>();
            write(edits, 0, conflicts);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public <T> T batch(Supplier<T> work) {
        if (inBatch()) {
            return work.get();
        }
        view();
        lock.lock();
        try {
            PackedBatch b = new PackedBatch(this);
            batch = b;
            T result;
            try {
                result = work.get();
            } catch (RuntimeException | Error e) {
                batch = null;
                try {
                    b.flush();
                } catch (RuntimeException f) {
                    e.addSuppressed(f);
                }
                throw e;
            }
            batch = null;
            b.flush();
            return result;
        } finally {
            batch = null;
            lock.unlock();
        }
    }

    private boolean inBatch() {
        return lock.isHeldByCurrentThread() && batch != null;
    }

    /**
     * Writes {@code edits}: every block they touch is rewritten in transactions of at most {@link #MAX_TXN_BYTES}
     * and {@link EtcdReads#MAX_TXN_OPS} operations, one after the other. When a transaction fails (another writer
     * moved a block or {@code next}), the table is listed again and what is not written yet is planned again:
     * an edit whose key another writer gave another number meanwhile is dropped and added to {@code conflicts}.
     *
     * @param giveBackTo 0: {@code next} is neither compared nor written (releases only); else every transaction
     *                   compares and puts it, with this value while {@code next} is still this instance's last
     *                   write of it (the first number a batch did not hand out), with its own value otherwise
     * @return the etcd revision of the last write; 0 when nothing was written
     */
    long write(List<Edit> edits, long giveBackTo, List<String> conflicts) {
        List<Edit> left = edits;
        long revision = 0;
        for (int attempt = 1; ; attempt++) {
            List<BlockPut> puts;
            synchronized (known) {
                usable();
                puts = plan(left, conflicts);
                left = pending(left);
            }
            boolean moveNext = giveBackTo != 0 && !nextSettled(giveBackTo);
            if (puts.isEmpty() && !moveNext) {
                return revision;
            }
            boolean failed = false;
            for (List<BlockPut> txn : split(puts)) {
                Next seen;
                long value;
                synchronized (known) {
                    seen = giveBackTo == 0 ? null : next;
                    value = giveBackTo == 0 ? 0 : nextValue(giveBackTo);
                }
                TxnResponse r = send(txn, seen, value, "write allocations of " + table);
                if (!r.isSucceeded()) {
                    failed = true;
                    break;
                }
                revision = r.getHeader().getRevision();
                wrote(txn, seen == null ? 0 : value, revision);
            }
            if (!failed) {
                return revision;
            }
            retry(attempt, "write allocations of " + table);
        }
    }

    /**
     * What {@link #write} puts into {@code next}: {@code giveBackTo} while {@code next} is still this instance's
     * last write of it (the rest of a batch's reservation goes back), else the value it has (only its
     * mod_revision moves).
     */
    private long nextValue(long giveBackTo) {
        synchronized (known) {
            return ownNext != 0 && next.modRevision() == ownNext ? giveBackTo : Math.max(next.value(), first);
        }
    }

    /** True when {@code next} needs no write of its own: this instance wrote it last, and it is {@code giveBackTo}. */
    private boolean nextSettled(long giveBackTo) {
        synchronized (known) {
            return ownNext != 0 && next.modRevision() == ownNext && next.value() == giveBackTo;
        }
    }

    /** The edits the copy does not show done yet (an edit is done when its key has the number it moves to). */
    private List<Edit> pending(List<Edit> edits) {
        List<Edit> out = new ArrayList<>();
        for (Edit e : edits) {
            int now = known.get(e.key());
            if (now != e.to() && !(e.to() != 0 && now != 0 && now != e.from())) {
                out.add(e);
            }
        }
        return out;
    }

    /** The blocks that {@code edits} change, against the copy (under its monitor); conflicts are dropped and named. */
    private List<BlockPut> plan(List<Edit> edits, List<String> conflicts) {
        Map<Long, SortedMap<Integer, String>> changed = new TreeMap<>();
        for (Edit e : edits) {
            int now = known.get(e.key());
            if (now == e.to()) {
                continue;
            }
            if (e.to() != 0 && now != 0 && now != e.from()) {
                conflicts.add("'" + e.key() + "' is " + now + " in etcd, not " + e.to());
                continue;
            }
            if (now != 0) {
                SortedMap<Integer, String> b = changed.computeIfAbsent(PackedBlocks.blockOf(now), this::entries);
                if (e.key().equals(b.get(now))) {
                    b.remove(now);
                }
            }
            if (e.to() != 0) {
                SortedMap<Integer, String> b = changed.computeIfAbsent(PackedBlocks.blockOf(e.to()), this::entries);
                String holder = b.get(e.to());
                if (holder != null && !holder.equals(e.key())) {
                    conflicts.add("'" + e.key() + "' cannot have " + e.to() + ": etcd gives it to '" + holder + "'");
                    continue;
                }
                b.put(e.to(), e.key());
            }
        }
        List<BlockPut> puts = new ArrayList<>();
        changed.forEach((b, entries) -> puts.add(put(b, entries)));
        return puts;
    }

    /** Block {@code b}'s entries in the copy (a new map). */
    private SortedMap<Integer, String> entries(long b) {
        Block have = blocks.get(b);
        return have == null ? new TreeMap<>() : PackedBlocks.decode(have.value(), b, EtcdKeys.block(table, b));
    }

    private BlockPut put(long b, SortedMap<Integer, String> entries) {
        Block have = blocks.get(b);
        return new BlockPut(b, PackedBlocks.encode(entries), have == null ? 0 : have.modRevision());
    }

    /** Puts in transactions of at most {@link #MAX_TXN_BYTES} and {@link EtcdReads#MAX_TXN_OPS} - 1 blocks ({@code next} is one more). */
    static List<List<BlockPut>> split(List<BlockPut> puts) {
        List<List<BlockPut>> out = new ArrayList<>();
        List<BlockPut> txn = new ArrayList<>();
        long bytes = 0;
        for (BlockPut p : puts) {
            int cost = PackedBlocks.cost("weir/alloc/lb-rev-nat-xxxxxxxxxxxxxxxx/blocks/" + p.block(), p.value());
            if (!txn.isEmpty() && (txn.size() + 1 >= EtcdReads.MAX_TXN_OPS || bytes + cost > MAX_TXN_BYTES)) {
                out.add(txn);
                txn = new ArrayList<>();
                bytes = 0;
            }
            txn.add(p);
            bytes += cost;
        }
        if (!txn.isEmpty() || out.isEmpty()) {
            out.add(txn);
        }
        return out;
    }

    /**
     * One transaction: the blocks (each compared with the mod_revision it had in the copy) and, when
     * {@code seen} is not null, {@code next} (compared with {@code seen}) set to {@code nextValue}.
     */
    private TxnResponse send(List<BlockPut> puts, Next seen, long nextValue, String what) {
        List<Cmp> cmps = new ArrayList<>();
        List<Op> ops = new ArrayList<>();
        for (BlockPut p : puts) {
            ByteSequence k = etcd.key(EtcdKeys.block(table, p.block()));
            cmps.add(EtcdReads.modRevisionIs(k, p.seen()));
            ops.add(Op.put(k, ByteSequence.from(p.value()), PutOption.DEFAULT));
        }
        if (seen != null) {
            cmps.add(EtcdReads.modRevisionIs(nextKey, seen.modRevision()));
            ops.add(Op.put(nextKey, EtcdAllocations.number(nextValue), PutOption.DEFAULT));
        }
        return etcd.call("txn", "alloc", what, () -> etcd.client().getKVClient().txn()
                .If(cmps.toArray(Cmp[]::new)).Then(ops.toArray(Op[]::new)).commit());
    }

    /** Puts this instance's own write into the copy. */
    private void wrote(List<BlockPut> puts, long nextValue, long revision) {
        synchronized (known) {
            for (BlockPut p : puts) {
                merge(p.block(), revision, p.value());
            }
            if (nextValue != 0) {
                mergeNext(nextValue, revision);
                ownNext = revision;
            }
        }
    }

    /** {@code next} moved by a batch's reservation at {@code revision}. */
    void reserved(long value, long revision) {
        synchronized (known) {
            mergeNext(value, revision);
            ownNext = revision;
        }
    }

    Next next() {
        synchronized (known) {
            return next;
        }
    }

    /**
     * The first number to hand out when {@code next} is {@code n}: its value, but never one a block holds or held
     * (should {@code next} have been set back by hand).
     */
    long firstFree(Next n) {
        synchronized (known) {
            return Math.max(Math.max(n.value(), highest + 1), first);
        }
    }

    /** After a failed write: list the table again, back off a little, and give up after {@link #MAX_TRIES}. */
    void retry(int attempt, String what) {
        if (attempt >= MAX_TRIES) {
            throw new StoreException(what + ": " + attempt + " tries failed (another writer keeps changing the table)");
        }
        refresh();
        EtcdReads.backoff(attempt);
    }

    /** Lists the table from etcd into the copy. */
    void refresh() {
        EtcdReads.Listing l = EtcdReads.list(etcd, "read " + table, List.of(Range.under(EtcdKeys.table(table))), 0);
        synchronized (known) {
            install(l.kvs(), l.revision());
        }
        usable();
    }

    /** Lists the table and starts its watch, the first time. */
    private void view() {
        if (!mirrored) {
            synchronized (mirror) {
                if (!mirrored) {
                    mirror.start();
                    mirrored = true;
                }
            }
        }
        usable();
    }

    private void usable() {
        synchronized (known) {
            if (unusable != null) {
                throw new StoreException(unusable);
            }
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
            install(kvs, revision);
        }
    }

    @Override
    public void apply(List<WatchEvent> events) {
        synchronized (known) {
            for (WatchEvent e : events) {
                if (e.getEventType() != WatchEvent.EventType.DELETE) {
                    take(e.getKeyValue());
                }
                // blocks and next are never deleted by weir; a listing drops what was deleted by hand
            }
        }
    }

    /** A listing at {@code revision} into the copy: newer versions win, blocks absent from it and not newer go. */
    private void install(List<KeyValue> kvs, long revision) {
        List<Long> listed = new ArrayList<>();
        for (KeyValue kv : kvs) {
            long b = take(kv);
            if (b >= 0) {
                listed.add(b);
            }
        }
        java.util.Set<Long> present = new java.util.HashSet<>(listed);
        for (Iterator<Map.Entry<Long, Block>> i = blocks.entrySet().iterator(); i.hasNext(); ) {
            Map.Entry<Long, Block> e = i.next();
            if (!present.contains(e.getKey()) && e.getValue().modRevision() <= revision) {
                forget(e.getKey(), e.getValue());
                i.remove();
            }
        }
    }

    /** One key of the table into the copy; returns its block number, or -1 when it is not a block. */
    private long take(KeyValue kv) {
        String relative = etcd.relative(kv.getKey());
        if (relative.equals(EtcdKeys.next(table))) {
            try {
                mergeNext(EtcdAllocations.parseLong(kv), kv.getModRevision());
            } catch (StoreException e) {
                unusable = "allocation table " + table + ": " + e.getMessage();
            }
        } else if (relative.startsWith(EtcdKeys.keys(table))) {
            unusable = "allocation table " + table + " has per-key mappings (" + relative + "): weir keeps per-node tables"
                    + " packed in blocks (alloc/" + table + "/blocks/) and does not read the per-key layout;"
                    + " delete alloc/" + table + "/ (the node's service ids are handed out again)";
        } else if (relative.startsWith(EtcdKeys.blocks(table))) {
            long b = EtcdKeys.blockNumber(table, relative);
            if (b < 0) {
                unusable = "allocation table " + table + ": not a block key: " + relative;
                return -1;
            }
            try {
                merge(b, kv.getModRevision(), kv.getValue().getBytes());
            } catch (StoreException e) {
                unusable = "allocation table " + table + ": " + e.getMessage();
            }
            return b;
        }
        return -1;
    }

    /** Block {@code b} at {@code revision} into the copy, unless the copy has it at that revision or later. */
    private void merge(long b, long revision, byte[] value) {
        Block old = blocks.get(b);
        if (old != null && old.modRevision() >= revision) {
            return;
        }
        TreeMap<Integer, String> now = PackedBlocks.decode(value, b, EtcdKeys.block(table, b));
        if (old != null) {
            forget(b, old);
        }
        now.forEach((n, key) -> known.put(key, n));
        if (!now.isEmpty()) {
            highest = Math.max(highest, now.lastKey());
        }
        blocks.put(b, new Block(revision, value));
    }

    /** Drops the keys of an old version of block {@code b} (those that still have its number). */
    private void forget(long b, Block old) {
        PackedBlocks.decode(old.value(), b, EtcdKeys.block(table, b)).forEach((n, key) -> {
            if (known.get(key) == n) {
                known.remove(key);
            }
        });
    }

    private void mergeNext(long value, long revision) {
        if (revision > next.modRevision()) {
            next = new Next(value, revision);
        }
    }
}
