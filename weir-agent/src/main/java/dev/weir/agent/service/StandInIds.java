package dev.weir.agent.service;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * The numbers of an update that is tried and undone ({@link IncrementalServiceEngine#tryUpdate}). A key gets the
 * number the state had for it (remembered from what the update replaced: {@link #remember}), else the number
 * the engine's own allocator has at hand ({@link LbIdAllocator#known}), else a stand-in counted down from the top
 * of the range, which nothing outside the engine sees. Nothing is allocated and releases are not passed on, so
 * the allocator (the store's tables) is untouched. Going back ({@link #undoing}), a key without a number of its own
 * would leave a stand-in in the state: that is noted ({@link #missed}) and the engine's owner starts anew. Used by
 * the updating thread only.
 */
final class StandInIds implements LbIdAllocator {

    private final LbIdAllocator real;
    private final Map<Kind, Map<String, Integer>> numbers = new EnumMap<>(Kind.class);
    private int nextStandIn = Integer.MAX_VALUE - 1;
    private boolean undoing;
    private boolean missed;

    StandInIds(LbIdAllocator real) {
        this.real = real;
        for (Kind k : Kind.values()) {
            numbers.put(k, new HashMap<>());
        }
    }

    /** The allocator this one stands in for. */
    LbIdAllocator real() {
        return real;
    }

    @Override
    public int allocate(Kind kind, String key) {
        Integer n = numbers.get(kind).get(key);
        if (n != null) {
            return n;
        }
        int known = real.known(kind, key);
        if (known != 0) {
            return known;
        }
        if (undoing) {
            missed = true;
        }
        int standIn = nextStandIn--;
        numbers.get(kind).put(key, standIn);
        return standIn;
    }

    @Override
    public int known(Kind kind, String key) {
        Integer n = numbers.get(kind).get(key);
        return n != null ? n : real.known(kind, key);
    }

    @Override
    public void release(Kind kind, String key) {
        // the update is undone: the state's keys keep their numbers
    }

    /** The numbers of what an update replaced or removed: the state's own, which going back must give again. */
    void remember(LbChange c) {
        c.servicesBefore().forEach(s -> numbers.get(Kind.SERVICE).put(s.key(), s.id()));
        c.frontendsBefore().forEach(f -> numbers.get(Kind.REV_NAT).put(BackendOverrides.key(f.address(), f.port(), f.protocol()),
                f.revNatId()));
        c.backendsBefore().forEach(b -> numbers.get(Kind.BACKEND).put(BackendOverrides.key(b.address(), b.port(), b.protocol()),
                b.id()));
    }

    /** From now on the update is undone: a key without a number of its own is a miss. */
    void undoing() {
        undoing = true;
    }

    /** True when going back handed out a stand-in: the state no longer has only its own numbers. */
    boolean missed() {
        return missed;
    }
}
