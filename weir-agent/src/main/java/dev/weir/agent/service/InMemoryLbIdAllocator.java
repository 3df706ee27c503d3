package dev.weir.agent.service;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import dev.weir.agent.store.NumberedKeys;

/**
 * An {@link LbIdAllocator} in memory: lowest free number first, up to a limit per space (the map sizes).
 * Thread-safe (synchronized).
 */
public final class InMemoryLbIdAllocator implements LbIdAllocator {

    private final int limit;
    /** Per space, the keys and their numbers (IPv4 backend and rev-NAT keys packed: {@link NumberedKeys}). */
    private final Map<Kind, NumberedKeys> byKey = new EnumMap<>(Kind.class);
    /** The numbers in use, as bits (a set of boxed numbers took 32 bytes each; the apply check holds 220,000). */
    private final Map<Kind, BitSet> used = new EnumMap<>(Kind.class);
    private final Map<Kind, Integer> lowestFree = new EnumMap<>(Kind.class);

    /**
     * Numbers 1..2^31-2 in each space: the datapath's ids are u32 keys, not bounded by the map sizes (the
     * capacity check counts entries, not numbers).
     */
    public InMemoryLbIdAllocator() {
        this(Integer.MAX_VALUE - 1);
    }

    public InMemoryLbIdAllocator(int limit) {
        this.limit = limit;
        for (Kind k : Kind.values()) {
            byKey.put(k, new NumberedKeys());
            used.put(k, new BitSet());
            lowestFree.put(k, 1);
        }
    }

    @Override
    public synchronized int allocate(Kind kind, String key) {
        int id = byKey.get(kind).get(key);
        if (id != 0) {
            return id;
        }
        BitSet u = used.get(kind);
        int next = u.nextClearBit(lowestFree.get(kind));
        if (next > limit) {
            throw new IllegalStateException(kind + " ids exhausted (" + limit + ")");
        }
        u.set(next);
        lowestFree.put(kind, next + 1);
        byKey.get(kind).put(key, next);
        return next;
    }

    @Override
    public synchronized int known(Kind kind, String key) {
        return byKey.get(kind).get(key);
    }

    @Override
    public synchronized void release(Kind kind, String key) {
        int id = byKey.get(kind).remove(key);
        if (id != 0) {
            used.get(kind).clear(id);
            lowestFree.merge(kind, id, Math::min);
        }
    }

    /** Keys and their numbers in one space, by key. */
    public synchronized Map<String, Integer> allocated(Kind kind) {
        Map<String, Integer> out = new TreeMap<>();
        byKey.get(kind).forEach(out::put);
        return out;
    }

    /** Releases every key of the space not in {@code live}; returns how many. */
    public synchronized int retainOnly(Kind kind, Set<String> live) {
        List<String> stale = new ArrayList<>();
        byKey.get(kind).forEach((k, id) -> {
            if (!live.contains(k)) {
                stale.add(k);
            }
        });
        stale.forEach(k -> release(kind, k));
        return stale.size();
    }
}
