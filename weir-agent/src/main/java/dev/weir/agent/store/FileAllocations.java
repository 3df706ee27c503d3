package dev.weir.agent.store;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An allocation table of a {@link FileStore}: {@code alloc-TABLE.json} holding the next free number and
 * every key's number. Allocation happens under the store's writer lock, re-reading the file, so that two
 * processes never hand out the same number. Numbers are cached while the file is unchanged; a key that
 * was released (garbage-collected) by any process is re-read, and gets a new number, never its old one.
 * Thread-safe.
 */
final class FileAllocations implements Store.Allocations {

    private record TableFile(long next, Map<String, Integer> keys) {
    }

    private final Path file;
    private final int first;
    private final int last;
    private final WriterLock lock;
    private final Map<String, Integer> known = new ConcurrentHashMap<>();
    private volatile long seenMtime = Long.MIN_VALUE;
    /** Keys waiting to be allocated together by {@link #allocate}. */
    private final java.util.Queue<Request> waiting = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** The table being changed by a {@link #batch}; only touched by the thread holding the lock. */
    private Pending pending;

    /** A batch's working copy of the table. */
    private static final class Pending {
        long next;
        final Map<String, Integer> keys;
        boolean dirty;

        Pending(TableFile t) {
            next = t.next();
            keys = new TreeMap<>(t.keys());
        }
    }

    FileAllocations(Path file, int first, int last, WriterLock lock) {
        if (first < 1 || last < first) {
            throw new IllegalArgumentException("bad allocation range " + first + ".." + last);
        }
        this.file = file;
        this.first = first;
        this.last = last;
        this.lock = lock;
    }

    @Override
    public int allocate(String key) {
        refreshIfChanged();
        Integer n = known.get(key);
        if (n != null) {
            return n;
        }
        if (lock.heldByCurrentThread()) {
            return lock.withLock(() -> pending != null ? allocateIn(pending, key) : allocateAlone(key));
        }
        // group commit: keys asked for side by side (pods added together) share one write of the table
        Request mine = new Request(key);
        waiting.add(mine);
        return lock.withLock(() -> {
            if (mine.id == 0 && mine.failure == null) {
                List<Request> group = new ArrayList<>();
                for (Request r; (r = waiting.poll()) != null; ) {
                    group.add(r);
                }
                try {
                    Pending p = new Pending(read());
                    group.forEach(r -> r.id = allocateIn(p, r.key));
                    write(p);
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
        });
    }

    private int allocateAlone(String key) {
        Pending p = new Pending(read());
        int id = allocateIn(p, key);
        write(p);
        return id;
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

    private int allocateIn(Pending p, String key) {
        Integer have = p.keys.get(key);
        if (have == null) {
            if (p.next > last) {
                throw new StoreException("allocation table " + file + " is full (" + first + ".." + last + ")");
            }
            have = (int) p.next++;
            p.keys.put(key, have);
            p.dirty = true;
        }
        known.put(key, have);
        return have;
    }

    private void write(Pending p) {
        if (p.dirty) {
            FileStore.writeJson(file, new TableFile(p.next, p.keys));
            seenMtime = mtime();
        }
        known.clear();
        known.putAll(p.keys);
    }

    @Override
    public <T> T batch(java.util.function.Supplier<T> work) {
        return lock.withLock(() -> {
            if (pending != null) {
                return work.get();
            }
            pending = new Pending(read());
            try {
                return work.get();
            } finally {
                Pending p = pending;
                pending = null;
                write(p);
            }
        });
    }

    @Override
    public void release(java.util.Collection<String> keys) {
        if (keys.isEmpty()) {
            return;
        }
        lock.withLock(() -> {
            Pending p = pending != null ? pending : new Pending(read());
            for (String k : keys) {
                p.dirty |= p.keys.remove(k) != null;
            }
            if (p != pending) {
                write(p);
            }
            known.keySet().removeAll(keys);
            return null;
        });
    }

    /** Drops the cache when another process changed the table (a release must not be undone by a stale cache). */
    private void refreshIfChanged() {
        if (lock.heldByCurrentThread() && pending != null) {
            return;
        }
        long m = mtime();
        if (m != seenMtime) {
            known.clear();
            known.putAll(read().keys());
            seenMtime = m;
        }
    }

    private long mtime() {
        try {
            return java.nio.file.Files.getLastModifiedTime(file).toMillis() ^ java.nio.file.Files.size(file);
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public Map<String, Integer> all() {
        if (lock.heldByCurrentThread() && pending != null) {
            return new TreeMap<>(pending.keys);
        }
        Map<String, Integer> all = new TreeMap<>(read().keys());
        known.putAll(all);
        return all;
    }

    private TableFile read() {
        try {
            TableFile t = FileStore.MAPPER.readValue(file.toFile(), TableFile.class);
            return new TableFile(Math.max(t.next(), first), t.keys() == null ? Map.of() : t.keys());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            return new TableFile(first, Map.of());
        } catch (IOException e) {
            throw new StoreException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
