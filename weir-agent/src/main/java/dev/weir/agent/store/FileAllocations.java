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
 * processes never hand out the same number. Numbers are cached once seen (they never change).
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
