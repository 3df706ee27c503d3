package dev.weir.agent.store.etcd;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

import dev.weir.agent.store.NumberedKeys;
import dev.weir.agent.store.StoreException;
import dev.weir.agent.store.etcd.EtcdAllocations.Next;
import dev.weir.agent.store.etcd.PackedNodeTable.BlockPut;
import dev.weir.agent.store.etcd.PackedNodeTable.Edit;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.watch.WatchEvent;

/**
 * This process's copy of one packed table ({@link PackedNodeTable}): every key's number ({@link NumberedKeys}),
 * each block's value and mod_revision, and {@code next}. Fed by the table's watch ({@link RangeMirror.Sink}),
 * by listings, and by the table's own writes; a block (and {@code next}) is only ever replaced by a newer version
 * of it, so the watch delivering an older one, or the table's own write again, does no harm. Plans writes
 * against itself. Thread-safe (one monitor).
 */
final class PackedCopy implements RangeMirror.Sink {

    /** One block's value and mod_revision. */
    private record Block(long modRevision, byte[] value) {
    }

    /** What a single allocation writes: the key's block with it, against {@code next} as {@code seen}. */
    record Single(int number, BlockPut put, Next seen) {
    }

    /** The blocks a write puts, and the edits not done yet. */
    record Plan(List<BlockPut> puts, List<Edit> left) {
    }

    private final Etcd etcd;
    private final String table;
    private final int first;
    private final NumberedKeys known = new NumberedKeys();
    private final Map<Long, Block> blocks = new HashMap<>();
    private Next next;
    /** Why the table cannot be used (a per-key table, a damaged block), or null. */
    private String unusable;
    /** The mod_revision {@code next} got from this process's last write of it (0: none). */
    private long ownNext;
    /** The highest number any block of the copy ever held (0: none). */
    private long highest;

    PackedCopy(Etcd etcd, String table, int first) {
        this.etcd = etcd;
        this.table = table;
        this.first = first;
        this.next = new Next(first, 0);
    }

    synchronized int get(String key) {
        return known.get(key);
    }

    /** Every key and its number, sorted by key (a new map). */
    synchronized SortedMap<String, Integer> sorted() {
        return known.toSortedMap();
    }

    synchronized Next next() {
        return next;
    }

    /** @throws StoreException when the table cannot be used (a per-key table, a damaged block) */
    synchronized void usable() {
        if (unusable != null) {
            throw new StoreException(unusable);
        }
    }

    /**
     * The first number to hand out when {@code next} is {@code n}: its value, but never one a block holds or held
     * (should {@code next} have been set back by hand).
     */
    synchronized long firstFree(Next n) {
        return Math.max(Math.max(n.value(), highest + 1), first);
    }

    /**
     * A single allocation of {@code key}: its number (the key's when it has one, {@code put} null then), else
     * the first free one, with the block that gets it and {@code next} as the copy has it.
     *
     * @throws StoreException when the number would be above {@code last} ({@code full}), or the table cannot be used
     */
    synchronized Single single(String key, int last, java.util.function.Supplier<StoreException> full) {
        usable();
        int n = known.get(key);
        if (n != 0) {
            return new Single(n, null, next);
        }
        long number = firstFree(next);
        if (number > last) {
            throw full.get();
        }
        long b = PackedBlocks.blockOf(number);
        SortedMap<Integer, String> entries = entries(b);
        entries.put((int) number, key);
        return new Single((int) number, put(b, entries), next);
    }

    /** The blocks that {@code edits} change; an edit whose key another writer gave another number is dropped and named. */
    synchronized Plan plan(List<Edit> edits, List<String> conflicts) {
        usable();
        Map<Long, SortedMap<Integer, String>> changed = new TreeMap<>();
        List<Edit> left = new ArrayList<>();
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
            left.add(e);
        }
        List<BlockPut> puts = new ArrayList<>();
        changed.forEach((b, entries) -> puts.add(put(b, entries)));
        return new Plan(puts, left);
    }

    /** Block {@code b}'s entries (a new map). */
    private SortedMap<Integer, String> entries(long b) {
        Block have = blocks.get(b);
        return have == null ? new TreeMap<>() : PackedBlocks.decode(have.value(), b, EtcdKeys.block(table, b));
    }

    private BlockPut put(long b, SortedMap<Integer, String> entries) {
        Block have = blocks.get(b);
        return new BlockPut(b, PackedBlocks.encode(entries), have == null ? 0 : have.modRevision());
    }

    /**
     * What a write puts into {@code next}: {@code giveBackTo} while {@code next} is still this process's last
     * write of it (the rest of a batch's reservation goes back), else the value it has (only its mod_revision moves).
     */
    synchronized long nextValue(long giveBackTo) {
        return ours() ? giveBackTo : Math.max(next.value(), first);
    }

    /** True when {@code next} needs no write of its own: this process wrote it last, and it is {@code giveBackTo}. */
    synchronized boolean nextSettled(long giveBackTo) {
        return ours() && next.value() == giveBackTo;
    }

    private boolean ours() {
        return ownNext != 0 && next.modRevision() == ownNext;
    }

    /** This process's own write at {@code revision}: the blocks, and {@code next} unless {@code nextValue} is 0. */
    synchronized void wrote(List<BlockPut> puts, long nextValue, long revision) {
        for (BlockPut p : puts) {
            merge(p.block(), revision, p.value());
        }
        if (nextValue != 0) {
            reserved(nextValue, revision);
        }
    }

    /** {@code next} written by this process at {@code revision}. */
    synchronized void reserved(long value, long revision) {
        mergeNext(value, revision);
        ownNext = revision;
    }

    @Override
    public synchronized void reset(List<KeyValue> kvs, long revision) {
        install(kvs, revision);
    }

    @Override
    public synchronized void apply(List<WatchEvent> events) {
        for (WatchEvent e : events) {
            if (e.getEventType() != WatchEvent.EventType.DELETE) {
                take(e.getKeyValue());
            } else {
                deleted(etcd.relative(e.getKeyValue().getKey()), e.getKeyValue().getModRevision());
            }
        }
    }

    /** A listing at {@code revision}: newer versions win; blocks and {@code next} absent from it and not newer go. */
    synchronized void install(List<KeyValue> kvs, long revision) {
        Set<Long> listed = new HashSet<>();
        boolean nextListed = false;
        for (KeyValue kv : kvs) {
            long b = take(kv);
            if (b >= 0) {
                listed.add(b);
            }
            nextListed |= etcd.relative(kv.getKey()).equals(EtcdKeys.next(table));
        }
        for (Iterator<Map.Entry<Long, Block>> i = blocks.entrySet().iterator(); i.hasNext(); ) {
            Map.Entry<Long, Block> e = i.next();
            if (!listed.contains(e.getKey()) && e.getValue().modRevision() <= revision) {
                forget(e.getKey(), e.getValue());
                i.remove();
            }
        }
        if (!nextListed && next.modRevision() <= revision) {
            next = new Next(first, 0);
        }
    }

    /**
     * A key of the table deleted at {@code revision} (weir never deletes blocks or {@code next}; by hand): the
     * block's keys go, {@code next} counts as absent (numbers a block held are still never handed out again).
     */
    private void deleted(String relative, long revision) {
        if (relative.equals(EtcdKeys.next(table)) && next.modRevision() < revision) {
            next = new Next(first, 0);
        } else if (relative.startsWith(EtcdKeys.blocks(table))) {
            long b = EtcdKeys.blockNumber(table, relative);
            Block old = blocks.get(b);
            if (old != null && old.modRevision() < revision) {
                forget(b, old);
                blocks.remove(b);
            }
        }
    }

    /** One key of the table; returns its block number, or -1 when it is not a block. */
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

    /** Block {@code b} at {@code revision}, unless the copy has it at that revision or later. */
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
