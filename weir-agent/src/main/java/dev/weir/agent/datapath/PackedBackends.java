package dev.weir.agent.datapath;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Set;

import dev.weir.datapath.lb.LbBackend;

/**
 * What {@link LbMapWriter} wrote to {@code lb_backend}, by backend id: the 20 bytes of each entry in primitive
 * arrays (open addressing, ~36 bytes an entry) instead of a map node, a boxed id, a record and its address array
 * (~120 bytes: 12 MB for the 100,000 backends of 10,000 services x 10 endpoints). A map, so the writer's diffs
 * treat it as any other; {@link #get} builds the entry it returns. Not thread-safe.
 */
final class PackedBackends extends AbstractMap<Integer, LbBackend> {

    /** Never a backend id (ids are below 2^31 - 1): marks an empty slot. */
    private static final int EMPTY = Integer.MIN_VALUE;

    private int[] ids = empty(16);
    private long[] high = new long[16];
    private long[] low = new long[16];
    /** port << 16 | proto << 8 | state */
    private int[] rest = new int[16];
    private int size;

    private static int[] empty(int n) {
        int[] a = new int[n];
        java.util.Arrays.fill(a, EMPTY);
        return a;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public boolean containsKey(Object key) {
        return key instanceof Integer id && ids[find(id)] == id;
    }

    @Override
    public LbBackend get(Object key) {
        if (!(key instanceof Integer id)) {
            return null;
        }
        int i = find(id);
        return ids[i] == id ? entry(i) : null;
    }

    @Override
    public LbBackend put(Integer key, LbBackend b) {
        int id = key;
        if (id == EMPTY) {
            throw new IllegalArgumentException("backend id " + id);
        }
        int i = find(id);
        LbBackend was = ids[i] == id ? entry(i) : null;
        if (was == null) {
            ids[i] = id;
            size++;
        }
        byte[] a = b.addr();
        high[i] = java.nio.ByteBuffer.wrap(a, 0, 8).getLong();
        low[i] = java.nio.ByteBuffer.wrap(a, 8, 8).getLong();
        rest[i] = b.port() << 16 | b.proto() << 8 | b.state();
        if (size * 3 > ids.length * 2) {
            grow();
        }
        return was;
    }

    @Override
    public LbBackend remove(Object key) {
        if (!(key instanceof Integer id)) {
            return null;
        }
        int i = find(id);
        if (ids[i] != id) {
            return null;
        }
        LbBackend was = entry(i);
        size--;
        // linear probing: move later entries of the run back into the gap, so that every entry stays reachable
        int mask = ids.length - 1;
        int gap = i;
        for (int j = (i + 1) & mask; ids[j] != EMPTY; j = (j + 1) & mask) {
            int home = slot(ids[j]);
            if (((j - home) & mask) >= ((j - gap) & mask)) {
                move(j, gap);
                gap = j;
            }
        }
        ids[gap] = EMPTY;
        return was;
    }

    @Override
    public void clear() {
        ids = empty(16);
        high = new long[16];
        low = new long[16];
        rest = new int[16];
        size = 0;
    }

    @Override
    public Set<Entry<Integer, LbBackend>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public int size() {
                return size;
            }

            @Override
            public Iterator<Entry<Integer, LbBackend>> iterator() {
                return new Iterator<>() {
                    private int next = advance(0);

                    private int advance(int from) {
                        int i = from;
                        while (i < ids.length && ids[i] == EMPTY) {
                            i++;
                        }
                        return i;
                    }

                    @Override
                    public boolean hasNext() {
                        return next < ids.length;
                    }

                    @Override
                    public Entry<Integer, LbBackend> next() {
                        if (!hasNext()) {
                            throw new NoSuchElementException();
                        }
                        Entry<Integer, LbBackend> e = new SimpleImmutableEntry<>(ids[next], entry(next));
                        next = advance(next + 1);
                        return e;
                    }
                };
            }
        };
    }

    private LbBackend entry(int i) {
        byte[] a = java.nio.ByteBuffer.allocate(16).putLong(high[i]).putLong(low[i]).array();
        return new LbBackend(a, rest[i] >>> 16, rest[i] >>> 8 & 0xff, rest[i] & 0xff);
    }

    private void move(int from, int to) {
        ids[to] = ids[from];
        high[to] = high[from];
        low[to] = low[from];
        rest[to] = rest[from];
    }

    private int slot(int id) {
        return (id * 0x9E3779B9 >>> 8) & (ids.length - 1);
    }

    /** The slot that holds {@code id}, or the empty one where it would go. */
    private int find(int id) {
        int mask = ids.length - 1;
        int i = slot(id);
        while (ids[i] != EMPTY && ids[i] != id) {
            i = (i + 1) & mask;
        }
        return i;
    }

    private void grow() {
        int[] oldIds = ids;
        long[] oldHigh = high;
        long[] oldLow = low;
        int[] oldRest = rest;
        int n = oldIds.length * 2;
        ids = empty(n);
        high = new long[n];
        low = new long[n];
        rest = new int[n];
        for (int j = 0; j < oldIds.length; j++) {
            if (oldIds[j] != EMPTY) {
                int i = find(oldIds[j]);
                ids[i] = oldIds[j];
                high[i] = oldHigh[j];
                low[i] = oldLow[j];
                rest[i] = oldRest[j];
            }
        }
    }
}
