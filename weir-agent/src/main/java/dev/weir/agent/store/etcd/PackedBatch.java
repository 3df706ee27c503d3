package dev.weir.agent.store.etcd;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.weir.agent.store.StoreException;
import dev.weir.agent.store.etcd.EtcdAllocations.Next;
import dev.weir.agent.store.etcd.PackedNodeTable.Edit;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;

/**
 * One {@link PackedNodeTable#batch}: known keys are answered from the table's copy, new keys get numbers from
 * blocks reserved by advancing {@code next} in one transaction each (64 numbers, then as many as the batch has
 * handed out so far, up to 65,536), as {@link AllocationBatch} does, so that no other writer can get them. What
 * the batch changes is kept here until the end, then written block by block ({@link PackedNodeTable#write}),
 * the unused rest of the reservation given back in the same transactions.
 *
 * <p>Another writer allocating meanwhile makes the writes fail (every one compares {@code next}): the table is
 * listed again, everything that does not clash is written, and the batch throws {@link StoreException} naming
 * the keys the other writer gave other numbers, instead of returning numbers etcd does not hold. Used by the
 * thread holding the table's lock only.
 */
final class PackedBatch {

    private final PackedNodeTable t;
    /** What to write at the end, by key, in the order first changed. */
    private final Map<String, Edit> edits = new LinkedHashMap<>();
    private long next;
    private long blockEnd;
    private long nextModRevision;
    private boolean reserved;
    private int handedOut;

    PackedBatch(PackedNodeTable t) {
        this.t = t;
        Next n = t.copy.next();
        this.next = t.copy.firstFree(n);
        this.blockEnd = next;
        this.nextModRevision = n.modRevision();
    }

    int allocate(String key) {
        Edit e = edits.get(key);
        int from;
        if (e != null) {
            if (e.to() != 0) {
                return e.to();
            }
            from = e.from();
        } else {
            int n = t.copy.get(key);
            if (n != 0) {
                return n;
            }
            from = 0;
        }
        if (next == blockEnd) {
            reserve();
        }
        int n = (int) next++;
        handedOut++;
        edits.put(key, new Edit(key, from, n));
        return n;
    }

    void release(Collection<String> keys) {
        for (String k : keys) {
            Edit e = edits.get(k);
            if (e == null) {
                int n = t.copy.get(k);
                if (n != 0) {
                    edits.put(k, new Edit(k, n, 0));
                }
            } else if (e.from() == 0) {
                edits.remove(k); // allocated in this batch: the number stays unused
            } else {
                edits.put(k, new Edit(k, e.from(), 0));
            }
        }
    }

    Map<String, Integer> all() {
        Map<String, Integer> all = new TreeMap<>(t.copy.sorted());
        for (Edit e : edits.values()) {
            if (e.to() == 0) {
                all.remove(e.key());
            } else {
                all.put(e.key(), e.to());
            }
        }
        return all;
    }

    private void reserve() {
        for (int attempt = 1; ; attempt++) {
            if (next > t.last) {
                throw t.full();
            }
            long end = next + Math.min(Math.clamp(handedOut, AllocationBatch.MIN_BLOCK, AllocationBatch.MAX_BLOCK),
                    t.last + 1 - next);
            long seen = nextModRevision;
            TxnResponse r = t.etcd.call("txn", "alloc", "reserve numbers in " + t.table, () -> t.etcd.client().getKVClient().txn()
                    .If(EtcdReads.modRevisionIs(t.nextKey, seen))
                    .Then(Op.put(t.nextKey, EtcdAllocations.number(end), PutOption.DEFAULT))
                    .commit());
            if (r.isSucceeded()) {
                blockEnd = end;
                nextModRevision = r.getHeader().getRevision();
                reserved = true;
                t.copy.reserved(end, nextModRevision);
                return;
            }
            t.retry(attempt, "reserve numbers in " + t.table);
            Next now = t.copy.next();
            next = Math.max(next, t.copy.firstFree(now));
            blockEnd = next;
            nextModRevision = now.modRevision();
        }
    }

    /**
     * Writes the batch's changes and gives back the unused numbers.
     *
     * @throws StoreException when another writer gave some of the batch's keys other numbers (everything else
     *     is written), or etcd does not answer
     */
    void flush() {
        List<Edit> all = new ArrayList<>(edits.values());
        edits.clear();
        List<String> conflicts = new ArrayList<>();
        t.write(all, reserved ? next : 0, conflicts);
        if (!conflicts.isEmpty()) {
            throw new StoreException("allocation table " + t.table + ": another writer allocated keys of this batch meanwhile"
                    + " (a batch assumes it is the table's only writer): " + String.join(", ", conflicts.subList(0,
                    Math.min(5, conflicts.size()))) + (conflicts.size() > 5 ? " and " + (conflicts.size() - 5) + " more" : ""));
        }
    }
}
