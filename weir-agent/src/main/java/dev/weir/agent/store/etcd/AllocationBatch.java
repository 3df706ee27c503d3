package dev.weir.agent.store.etcd;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

import dev.weir.agent.store.StoreException;
import dev.weir.agent.store.etcd.EtcdAllocations.Next;
import dev.weir.agent.store.etcd.EtcdReads.Range;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;

/**
 * One {@link EtcdAllocations#batch}: the table is read once at the start; known keys are answered from
 * memory; new keys get numbers from blocks reserved by advancing {@code next} in one transaction each
 * (64 numbers, then as many as the batch has handed out so far, up to 65,536: a handful of round trips for
 * thousands of keys). At the end the new mappings and the releases are written in transactions of at most
 * {@link EtcdReads#MAX_TXN_OPS} keys ({@link #WINDOW} in flight), each creating its keys only if they are
 * still absent (or unchanged, for a released key given a new number), so each chunk is correct on its own
 * and they may apply in any order; then the unused rest of the
 * last block is given back, only if nobody moved {@code next} since (so no number that anybody saw is ever
 * handed out again).
 *
 * <p>A batch assumes it is the table's only writer (a node's own tables, {@code lb-*-NODE}, are packed instead:
 * {@link PackedNodeTable}, whose batch reserves numbers the same way). Another writer
 * cannot get a reserved number, but it can allocate one of the batch's new keys meanwhile: then the two
 * disagree: the end of the batch writes everything else and then throws {@link StoreException} naming the
 * keys, instead of returning numbers that etcd does not hold. Shared tables (identities, endpoints) use {@link EtcdAllocations#allocate}
 * outside a batch. A key another process releases during a batch is still answered with its old number by
 * the batch. Used by the thread holding the table's lock only.
 */
final class AllocationBatch {

    static final int MIN_BLOCK = 64;
    static final int MAX_BLOCK = 1 << 16;
    private static final int WRITE_TRIES = 3;
    /** Chunk transactions in flight at once. */
    static final int WINDOW = 8;

    private final EtcdAllocations t;
    private final TreeMap<String, Integer> keys = new TreeMap<>();
    /** The mod_revision in etcd of every key present when the batch began. */
    private final Map<String, Long> modRevisions = new HashMap<>();
    /** What to write at the end: key to its new number, or to null for a release. */
    private final Map<String, Integer> writes = new LinkedHashMap<>();
    private long next;
    private long blockEnd;
    private long nextModRevision;
    private boolean reserved;
    private int handedOut;
    /** Keys another writer allocated meanwhile, with both numbers. */
    private final List<String> conflicts = new ArrayList<>();

    private AllocationBatch(EtcdAllocations t) {
        this.t = t;
    }

    static AllocationBatch begin(EtcdAllocations t) {
        AllocationBatch b = new AllocationBatch(t);
        EtcdReads.Listing l = EtcdReads.list(t.etcd, "read " + t.table, List.of(Range.under(EtcdKeys.table(t.table))), 0);
        Next n = new Next(t.first, 0);
        for (KeyValue kv : l.kvs()) {
            String relative = t.etcd.relative(kv.getKey());
            if (relative.equals(EtcdKeys.next(t.table))) {
                n = new Next(EtcdAllocations.parseLong(kv), kv.getModRevision());
            } else if (relative.startsWith(EtcdKeys.keys(t.table)) && EtcdKeys.allocKeyName(t.table, relative) != null) {
                String key = EtcdKeys.allocKeyName(t.table, relative);
                b.keys.put(key, EtcdAllocations.parse(kv));
                b.modRevisions.put(key, kv.getModRevision());
            }
        }
        b.next = Math.max(n.value(), t.first);
        b.blockEnd = b.next;
        b.nextModRevision = n.modRevision();
        return b;
    }

    int allocate(String key) {
        Integer n = keys.get(key);
        if (n == null) {
            if (next == blockEnd) {
                reserve();
            }
            n = (int) next++;
            handedOut++;
            keys.put(key, n);
            writes.put(key, n);
        }
        return n;
    }

    void release(Collection<String> released) {
        for (String k : released) {
            if (keys.remove(k) != null) {
                writes.put(k, null);
            }
        }
    }

    Map<String, Integer> all() {
        return new TreeMap<>(keys);
    }

    private void reserve() {
        for (int attempt = 1; ; attempt++) {
            if (next > t.last) {
                throw t.full();
            }
            long end = next + Math.min(Math.clamp(handedOut, MIN_BLOCK, MAX_BLOCK), t.last + 1 - next);
            long seen = nextModRevision;
            TxnResponse r = t.etcd.call("txn", "alloc", "reserve numbers in " + t.table, () -> t.etcd.client().getKVClient().txn()
                    .If(EtcdReads.modRevisionIs(t.nextKey, seen))
                    .Then(Op.put(t.nextKey, EtcdAllocations.number(end), PutOption.DEFAULT))
                    .Else(Op.get(t.nextKey, GetOption.DEFAULT))
                    .commit());
            if (r.isSucceeded()) {
                blockEnd = end;
                nextModRevision = r.getHeader().getRevision();
                reserved = true;
                return;
            }
            Next now = t.next(r.getGetResponses().getFirst());
            next = Math.max(next, Math.max(now.value(), t.first));
            blockEnd = next;
            nextModRevision = now.modRevision();
            if (attempt >= EtcdCommit.MAX_TRIES) {
                throw new StoreException("reserve numbers in " + t.table + ": " + attempt + " tries lost the race for 'next'");
            }
            EtcdReads.backoff(attempt);
        }
    }

    /**
     * Writes the batch's mappings and releases ({@link #WINDOW} transactions in flight at a time), then gives
     * back the unused numbers.
     *
     * @return the etcd revision of the last write, 0 when nothing was written
     * @throws StoreException when another writer allocated some of the batch's keys (everything else is written),
     *     or etcd does not answer
     */
    long flush() {
        List<Map.Entry<String, Integer>> all = new ArrayList<>(writes.entrySet());
        writes.clear();
        List<List<Map.Entry<String, Integer>>> chunks = new ArrayList<>();
        for (int i = 0; i < all.size(); i += EtcdReads.MAX_TXN_OPS) {
            chunks.add(new ArrayList<>(all.subList(i, Math.min(all.size(), i + EtcdReads.MAX_TXN_OPS))));
        }
        long revision = 0;
        for (int i = 0; i < chunks.size(); i += WINDOW) {
            List<List<Map.Entry<String, Integer>>> window = chunks.subList(i, Math.min(chunks.size(), i + WINDOW));
            List<CompletableFuture<TxnResponse>> sent = window.stream().map(this::send).toList();
            for (int j = 0; j < window.size(); j++) {
                revision = Math.max(revision, settle(window.get(j), sent.get(j)));
            }
        }
        giveBack();
        if (!conflicts.isEmpty()) {
            throw new StoreException("allocation table " + t.table + ": another writer allocated keys of this batch meanwhile"
                    + " (a batch assumes it is the table's only writer): " + String.join(", ", conflicts.subList(0,
                    Math.min(5, conflicts.size()))) + (conflicts.size() > 5 ? " and " + (conflicts.size() - 5) + " more" : ""));
        }
        return revision;
    }

    /** One chunk's transaction: create (or replace unchanged) its mappings, delete its releases. */
    private CompletableFuture<TxnResponse> send(List<Map.Entry<String, Integer>> chunk) {
        List<Cmp> cmps = new ArrayList<>();
        List<Op> ops = new ArrayList<>();
        List<Op> reads = new ArrayList<>();
        for (Map.Entry<String, Integer> e : chunk) {
            ByteSequence k = t.etcd.key(EtcdKeys.allocKey(t.table, e.getKey()));
            if (e.getValue() == null) {
                ops.add(Op.delete(k, DeleteOption.DEFAULT));
            } else {
                cmps.add(EtcdReads.modRevisionIs(k, modRevisions.getOrDefault(e.getKey(), 0L)));
                ops.add(Op.put(k, EtcdAllocations.number(e.getValue()), PutOption.DEFAULT));
                reads.add(Op.get(k, GetOption.DEFAULT));
            }
        }
        return t.etcd.client().getKVClient().txn()
                .If(cmps.toArray(Cmp[]::new)).Then(ops.toArray(Op[]::new)).Else(reads.toArray(Op[]::new)).commit();
    }

    /** Waits for a chunk's answer; sends again what is not written yet. */
    private long settle(List<Map.Entry<String, Integer>> chunk, CompletableFuture<TxnResponse> sent) {
        CompletableFuture<TxnResponse> f = sent;
        for (int attempt = 1; ; attempt++) {
            CompletableFuture<TxnResponse> answer = f;
            TxnResponse r;
            try {
                r = t.etcd.call("txn", "alloc", "write allocations of " + t.table, () -> answer);
            } catch (StoreException e) {
                if (EtcdReads.refused(e) || attempt >= WRITE_TRIES) {
                    throw e;
                }
                f = send(chunk); // no answer: if it was applied, the compares fail now and the values read are ours
                continue;
            }
            if (r.isSucceeded()) {
                return r.getHeader().getRevision();
            }
            List<Map.Entry<String, Integer>> puts = chunk.stream().filter(e -> e.getValue() != null).toList();
            List<Map.Entry<String, Integer>> rest = new ArrayList<>(chunk.stream().filter(e -> e.getValue() == null).toList());
            for (int i = 0; i < puts.size(); i++) {
                Map.Entry<String, Integer> e = puts.get(i);
                GetResponse g = r.getGetResponses().get(i);
                Integer now = g.getKvs().isEmpty() ? null : EtcdAllocations.parse(g.getKvs().getFirst());
                if (Objects.equals(now, e.getValue())) {
                    continue; // ours already (an earlier try without an answer was applied)
                }
                if (now != null) {
                    conflicts.add("'" + e.getKey() + "' is " + now + " in etcd, not " + e.getValue());
                    continue;
                }
                modRevisions.remove(e.getKey()); // released meanwhile: create it
                rest.add(e);
            }
            if (rest.isEmpty()) {
                return r.getHeader().getRevision();
            }
            if (attempt >= EtcdCommit.MAX_TRIES) {
                throw new StoreException("write allocations of " + t.table + ": " + attempt + " tries failed");
            }
            chunk = rest;
            f = send(chunk);
        }
    }

    /** Sets {@code next} back to the first number not handed out, if nobody moved it since this batch did. */
    private void giveBack() {
        if (!reserved || blockEnd == next) {
            return;
        }
        long seen = nextModRevision;
        long value = next;
        try {
            t.etcd.call("txn", "alloc", "give back numbers of " + t.table, () -> t.etcd.client().getKVClient().txn()
                    .If(EtcdReads.modRevisionIs(t.nextKey, seen))
                    .Then(Op.put(t.nextKey, EtcdAllocations.number(value), PutOption.DEFAULT))
                    .commit());
        } catch (StoreException e) {
            // the numbers stay unused: never handed out, never reused
        }
    }
}
