package dev.weir.agent.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An allocation table of a {@link FileStore}: a {@link Journal} named {@code alloc-TABLE} whose snapshot holds the
 * next free number and every key's number, and whose records hold what each write allocated and released. A
 * write appends what it changed (one new key: one small record) under the store's writer lock, after reading
 * what other processes appended, so that two processes never hand out the same number and never hand out a
 * number twice. Reads follow the journal without the lock: a key released (garbage-collected) by any process is
 * gone here once its record is read, and gets a new number, never its old one. Thread-safe.
 */
final class FileAllocations implements Store.Allocations {

    private record TableFile(long next, Map<String, Integer> keys) {
    }

    /** One write: the next free number after it, the keys it numbered, the keys it released. */
    private record TableRecord(long next, Map<String, Integer> put, List<String> release) {
    }

    /** The table as read (owned by the journal: read and changed under its monitor). */
    private static final class Table {
        long next;
        /** Keys and numbers (a backend table's 100,000 keys packed: 12 bytes each instead of ~110). */
        final NumberedKeys keys = new NumberedKeys();

        Table(long next) {
            this.next = next;
        }

        Table apply(TableRecord r) {
            next = Math.max(next, r.next());
            if (r.release() != null) {
                r.release().forEach(keys::remove);
            }
            if (r.put() != null) {
                keys.putAll(r.put());
            }
            return this;
        }
    }

    private final String name;
    private final int first;
    private final int last;
    private final WriterLock lock;
    private final Journal<Table> journal;
    /** Keys waiting to be allocated together by {@link #allocate}. */
    private final java.util.Queue<Request> waiting = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** The changes of a {@link #batch}; only touched by {@link #batcher}, the thread running it. */
    private Pending pending;
    private volatile Thread batcher;
    /** Held through a {@link #batch} and by this process's other writers of the table, which wait for it. */
    private final java.util.concurrent.locks.ReentrantLock local = new java.util.concurrent.locks.ReentrantLock();
    /** Set when another writer appended to the table during a batch: the next batch holds the lock throughout. */
    private volatile boolean contended;
    /**
     * How old the copy {@link #known} answers from may be before it reads what other processes appended: an apply
     * check asks for each of 40,000 keys of a 10,000-service install, and a read of the journal's tail per key (a
     * file opened and read) took 600-800 ms of it. This process's own writes are in the copy at once.
     */
    private static final long KNOWN_READ_NANOS = 100_000_000L;
    /** When {@link #known} last read the journal (under its monitor). */
    private long lastKnownRead = System.nanoTime() - KNOWN_READ_NANOS;

    /** What a write changes, applied to the table when it is appended. */
    private static final class Pending {
        long next;
        final Map<String, Integer> put = new HashMap<>();
        final Set<String> release = new HashSet<>();

        Pending(long next) {
            this.next = next;
        }
    }

    FileAllocations(Path dir, String name, int first, int last, WriterLock lock, long compactAbove) {
        if (first < 1 || last < first) {
            throw new IllegalArgumentException("bad allocation range " + first + ".." + last);
        }
        this.name = name;
        this.first = first;
        this.last = last;
        this.lock = lock;
        this.journal = new Journal<>(dir, name, new TableFormat(first), compactAbove);
    }

    @Override
    public int known(String key) {
        synchronized (journal) {
            long now = System.nanoTime();
            if (now - lastKnownRead >= KNOWN_READ_NANOS) {
                journal.read();
                lastKnownRead = now;
            }
            return journal.current().keys.get(key);
        }
    }

    @Override
    public int allocate(String key) {
        if (batcher == Thread.currentThread()) {
            return allocateIn(pending, key);
        }
        if (lock.heldByCurrentThread()) {
            return lock.withLock(() -> {
                Pending p = begin();
                int id = allocateIn(p, key);
                end(p);
                return id;
            });
        }
        synchronized (journal) {
            int n = journal.read().keys.get(key);
            if (n != 0) {
                return n;
            }
        }
        // group commit: keys asked for side by side (pods added together) share one record
        Request mine = new Request(key);
        waiting.add(mine);
        return locally(() -> lock.withLock(() -> {
            if (mine.id == 0 && mine.failure == null) {
                List<Request> group = new ArrayList<>();
                for (Request r; (r = waiting.poll()) != null; ) {
                    group.add(r);
                }
                try {
                    Pending p = begin();
                    group.forEach(r -> r.id = allocateIn(p, r.key));
                    end(p);
                } catch (RuntimeException e) {
                    group.forEach(r -> {
                        r.id = 0;
                        r.failure = e;
                    });
                }
            }
            if (mine.failure != null) {
                throw mine.failure;
            }
            return mine.id;
        }));
    }

    /** Runs {@code action} as this process's only writer of the table (after a batch another thread runs). */
    private <T> T locally(java.util.function.Supplier<T> action) {
        local.lock();
        try {
            return action.get();
        } finally {
            local.unlock();
        }
    }

    /** A key waiting for its number; {@code id} is set, under the lock, by whichever waiter writes the group. */
    private static final class Request {
        final String key;
        int id;
        RuntimeException failure;

        Request(String key) {
            this.key = key;
        }
    }

    /** Starts a write (under the lock): the table read up to its end. */
    private Pending begin() {
        synchronized (journal) {
            return new Pending(journal.prepareWrite().next);
        }
    }

    private int allocateIn(Pending p, String key) {
        Integer have = lookup(p, key);
        if (have == null) {
            if (p.next > last) {
                throw new StoreException("allocation table " + name + " is full (" + first + ".." + last + ")");
            }
            have = (int) p.next++;
            p.put.put(key, have);
        }
        return have;
    }

    private Integer lookup(Pending p, String key) {
        Integer n = p.put.get(key);
        if (n != null || p.release.contains(key)) {
            return n;
        }
        synchronized (journal) {
            int stored = journal.current().keys.get(key); // under the lock after begin(), or a batch's: appends since fail it
            return stored == 0 ? null : stored;
        }
    }

    /** Appends what {@code p} changed, if anything (under the lock). */
    private void end(Pending p) {
        if (p.put.isEmpty() && p.release.isEmpty()) {
            return;
        }
        TableRecord r = new TableRecord(p.next, p.put, List.copyOf(p.release));
        synchronized (journal) {
            journal.append(FileStore.json(r), t -> t.apply(r));
            journal.compactIfDue();
        }
    }

    /**
     * Runs {@code work} with its allocations and releases gathered in memory and appended as one record at the end
     * (also when the work throws). This process's other threads wait for it, as with etcd; other processes do not:
     * the work runs without the store's writer lock (an agent's computation of 10,000 services takes seconds, and
     * every other writer of the store, the other nodes' agents included, waited for it), and the record is appended
     * under the lock only if no other writer appended to this table meanwhile. Only a node's agent writes its
     * service tables, so that is the rule; when another process did, the batch throws {@link StoreException} and
     * writes nothing (its numbers may be that writer's), and the next batch of the table holds the lock throughout.
     * A batch started under the writer lock keeps it.
     */
    @Override
    public <T> T batch(java.util.function.Supplier<T> work) {
        if (batcher == Thread.currentThread()) {
            return work.get();
        }
        if (lock.heldByCurrentThread()) {
            return lock.withLock(() -> lockedBatch(work));
        }
        return locally(() -> {
            if (contended) {
                T result = lock.withLock(() -> lockedBatch(work));
                contended = false;
                return result;
            }
            Pending p;
            Journal.Position from;
            synchronized (journal) {
                p = new Pending(journal.read().next);
                from = journal.position();
            }
            try {
                return run(p, work);
            } finally {
                if (!p.put.isEmpty() || !p.release.isEmpty()) {
                    lock.withLock(() -> {
                        synchronized (journal) {
                            journal.prepareWrite();
                            if (!journal.position().equals(from)) {
                                contended = true;
                                throw new StoreException("allocation table " + name + " was written by another process during"
                                        + " a batch of " + p.put.size() + " allocations; nothing of the batch was written");
                            }
                        }
                        end(p);
                        return null;
                    });
                }
            }
        });
    }

    /** A batch under the writer lock, which the caller holds. */
    private <T> T lockedBatch(java.util.function.Supplier<T> work) {
        Pending p = begin();
        try {
            return run(p, work);
        } finally {
            end(p);
        }
    }

    /** Runs {@code work} with {@code p} as the batch's changes (this thread's allocations and releases go to it). */
    private <T> T run(Pending p, java.util.function.Supplier<T> work) {
        pending = p;
        batcher = Thread.currentThread();
        try {
            return work.get();
        } finally {
            batcher = null;
            pending = null;
        }
    }

    @Override
    public void release(java.util.Collection<String> keys) {
        if (keys.isEmpty()) {
            return;
        }
        if (batcher == Thread.currentThread()) {
            releaseIn(pending, keys);
            return;
        }
        java.util.function.Supplier<Void> write = () -> lock.withLock(() -> {
            Pending p = begin();
            releaseIn(p, keys);
            end(p);
            return null;
        });
        if (lock.heldByCurrentThread()) {
            write.get();
        } else {
            locally(write);
        }
    }

    private void releaseIn(Pending p, java.util.Collection<String> keys) {
        for (String k : keys) {
            boolean stored;
            synchronized (journal) {
                stored = journal.current().keys.contains(k);
            }
            p.put.remove(k);
            if (stored) {
                p.release.add(k);
            }
        }
    }

    @Override
    public Map<String, Integer> all() {
        Pending p = batcher == Thread.currentThread() ? pending : null;
        Map<String, Integer> all;
        synchronized (journal) {
            all = (p != null ? journal.current() : journal.read()).keys.toSortedMap();
        }
        if (p != null) {
            all.keySet().removeAll(p.release);
            all.putAll(p.put);
        }
        return all;
    }

    /** The table's snapshot and records; an empty table starts at {@code first}. */
    private record TableFormat(int first) implements Journal.Format<Table> {
        @Override
        public Table empty() {
            return new Table(first);
        }

        @Override
        public Table readSnapshot(byte[] json) throws IOException {
            TableFile f = FileStore.MAPPER.readValue(json, TableFile.class);
            Table t = new Table(Math.max(f.next(), first));
            if (f.keys() != null) {
                t.keys.putAll(f.keys());
            }
            return t;
        }

        @Override
        public byte[] writeSnapshot(Table t) {
            return FileStore.json(new TableFile(t.next, t.keys.toSortedMap()));
        }

        @Override
        public Table apply(Table t, byte[] record) throws IOException {
            return t.apply(FileStore.MAPPER.readValue(record, TableRecord.class));
        }
    }
}
