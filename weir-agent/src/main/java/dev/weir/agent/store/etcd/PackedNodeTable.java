package dev.weir.agent.store.etcd;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.weir.agent.store.Store;
import dev.weir.agent.store.StoreException;
import dev.weir.agent.store.etcd.EtcdAllocations.Next;
import dev.weir.agent.store.etcd.EtcdReads.Range;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;

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
 * <p>The copy ({@link PackedCopy}) is kept by a watch ({@link RangeMirror}, started on first use, listing the
 * table first) and by this instance's own writes.
 * {@link #all} lists the table from etcd. A per-key table ({@code alloc/TABLE/keys/}, weir before the packed
 * layout) is not read: every call fails naming it (delete the table; the lab creates etcd's state fresh).
 *
 * <p>Threads of this process take turns on the table's writes (one lock, held through a batch); cache hits
 * take no lock. Thread-safe. Throws {@link StoreException} when etcd does not answer, the range is full,
 * another writer took keys of a batch, or the table is not in the packed layout.
 */
final class PackedNodeTable implements Store.Allocations {

    /** Bytes of keys and values in one transaction: under etcd's default {@code --max-request-bytes} (1.5 MiB). */
    static final int MAX_TXN_BYTES = 1 << 20;

    private static final int MAX_TRIES = 20;

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
    final PackedCopy copy;
    private final RangeMirror mirror;
    private volatile boolean mirrored;
    /** Its writers' turns, and the batch of the thread whose turn it is. */
    private final TableTurns<PackedBatch> turns = new TableTurns<>();

    PackedNodeTable(Etcd etcd, String table, int first, int last, ScheduledExecutorService scheduler, Consumer<String> log) {
        if (first < 1 || last < first) {
            throw new IllegalArgumentException("bad allocation range " + first + ".." + last);
        }
        this.etcd = etcd;
        this.table = table;
        this.first = first;
        this.last = last;
        this.nextKey = etcd.key(EtcdKeys.next(table));
        this.copy = new PackedCopy(etcd, table, first);
        this.mirror = new RangeMirror(etcd, "allocation table " + table, List.of(Range.under(EtcdKeys.table(table))), copy,
                scheduler, log);
    }

    /** True for the tables only their node writes: {@code lb-service-<node>}, {@code lb-backend-<node>}, {@code lb-rev-nat-<node>}. */
    static boolean isNodeTable(String table) {
        return table.startsWith("lb-");
    }

    @Override
    public int allocate(String key) {
        if (inBatch()) {
            return turns.batch().allocate(key);
        }
        view();
        int n = copy.get(key);
        if (n != 0) {
            return n;
        }
        turns.lock();
        try {
            return allocateOne(key);
        } finally {
            turns.unlock();
        }
    }

    @Override
    public int known(String key) {
        if (inBatch()) {
            return 0;
        }
        view();
        return copy.get(key);
    }

    /** One transaction: the key into its number's block, {@code next} one further. */
    private int allocateOne(String key) {
        for (int attempt = 1; ; attempt++) {
            PackedCopy.Single one = copy.single(key, last, this::full);
            if (one.put() == null) {
                return one.number();
            }
            TxnResponse r = send(List.of(one.put()), one.seen(), one.number() + 1L, "allocate in " + table);
            if (r.isSucceeded()) {
                copy.wrote(List.of(one.put()), one.number() + 1L, r.getHeader().getRevision());
                return one.number();
            }
            retry(attempt, "allocate in " + table);
        }
    }

    @Override
    public Map<String, Integer> all() {
        if (inBatch()) {
            return turns.batch().all();
        }
        view();
        refresh();
        return copy.sorted();
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
        view();
        turns.lock();
        try {
            List<Edit> edits = new ArrayList<>();
            for (String k : keys) {
                int n = copy.get(k);
                if (n != 0) {
                    edits.add(new Edit(k, n, 0));
                }
            }
            write(edits, 0, new ArrayList<>());
        } finally {
            turns.unlock();
        }
    }

    @Override
    public <T> T batch(Supplier<T> work) {
        if (turns.batch() == null) {
            view();
        }
        return turns.batch(() -> new PackedBatch(this), PackedBatch::flush, work);
    }

    private boolean inBatch() {
        return turns.batch() != null;
    }

    /**
     * Writes {@code edits}: every block they touch is rewritten in transactions of at most {@link #MAX_TXN_BYTES}
     * and {@link EtcdReads#MAX_TXN_OPS} operations, one after the other. When a transaction fails (another writer
     * moved a block or {@code next}), the table is listed again and what is not written yet is planned again:
     * an edit whose key another writer gave another number meanwhile is dropped and added to {@code conflicts}.
     *
     * @param giveBackTo 0: {@code next} is neither compared nor written (releases only); else every transaction
     *                   compares and puts it ({@link PackedCopy#nextValue})
     */
    void write(List<Edit> edits, long giveBackTo, List<String> conflicts) {
        List<Edit> left = edits;
        for (int attempt = 1; ; attempt++) {
            PackedCopy.Plan plan = copy.plan(left, conflicts);
            left = plan.left();
            if (plan.puts().isEmpty() && (giveBackTo == 0 || copy.nextSettled(giveBackTo))) {
                return;
            }
            boolean failed = false;
            for (List<BlockPut> txn : split(plan.puts())) {
                Next seen = giveBackTo == 0 ? null : copy.next();
                long value = giveBackTo == 0 ? 0 : copy.nextValue(giveBackTo);
                TxnResponse r = send(txn, seen, value, "write allocations of " + table);
                if (!r.isSucceeded()) {
                    failed = true;
                    break;
                }
                copy.wrote(txn, value, r.getHeader().getRevision());
            }
            if (!failed) {
                return;
            }
            retry(attempt, "write allocations of " + table);
        }
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

    /** After a failed write: list the table again, back off a little, and give up after {@link #MAX_TRIES}. */
    void retry(int attempt, String what) {
        if (attempt >= MAX_TRIES) {
            throw new StoreException(what + ": " + attempt + " tries failed (another writer keeps changing the table)");
        }
        refresh();
        EtcdReads.backoff(attempt);
    }

    /** Lists the table from etcd into the copy. */
    private void refresh() {
        EtcdReads.Listing l = EtcdReads.list(etcd, "read " + table, List.of(Range.under(EtcdKeys.table(table))), 0);
        copy.install(l.kvs(), l.revision());
        copy.usable();
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
        copy.usable();
    }

    /** Stops the watch (the copy stays as it is). */
    void close() {
        mirror.close();
    }

    StoreException full() {
        return new StoreException("allocation table " + table + " is full (" + first + ".." + last + ")");
    }
}
