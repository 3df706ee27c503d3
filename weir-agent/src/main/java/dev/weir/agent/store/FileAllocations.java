package dev.weir.agent.store;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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
        return lock.withLock(() -> {
            TableFile t = read();
            Integer have = t.keys().get(key);
            if (have != null) {
                known.putAll(t.keys());
                return have;
            }
            if (t.next() > last) {
                throw new StoreException("allocation table " + file + " is full (" + first + ".." + last + ")");
            }
            int id = (int) t.next();
            Map<String, Integer> keys = new TreeMap<>(t.keys());
            keys.put(key, id);
            FileStore.writeJson(file, new TableFile(id + 1L, keys));
            known.putAll(keys);
            return id;
        });
    }

    @Override
    public void release(java.util.Collection<String> keys) {
        if (keys.isEmpty()) {
            return;
        }
        lock.withLock(() -> {
            TableFile t = read();
            Map<String, Integer> left = new TreeMap<>(t.keys());
            keys.forEach(left::remove);
            FileStore.writeJson(file, new TableFile(t.next(), left));
            known.clear();
            known.putAll(left);
            return null;
        });
    }

    /** Drops the cache when another process changed the table (a release must not be undone by a stale cache). */
    private void refreshIfChanged() {
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
