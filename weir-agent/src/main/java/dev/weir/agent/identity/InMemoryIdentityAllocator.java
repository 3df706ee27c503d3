package dev.weir.agent.identity;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An {@link IdentityAllocator} in memory, for tests and single-node use. A label set keeps its number
 * while referenced; when its last reference is released the number stays bound to the labels (a later
 * allocation gets it back) until {@link #gc()} frees it. Numbers are handed out lowest free first.
 * Thread-safe (synchronized).
 */
public final class InMemoryIdentityAllocator implements IdentityAllocator {

    private final Map<Map<String, String>, Integer> byLabels = new HashMap<>();
    private final Map<Integer, IdentityInfo> byId = new TreeMap<>();
    private final Map<Integer, Integer> refs = new HashMap<>();
    private int nextEndpoint = Identities.FIRST_ENDPOINT;
    private int nextCidr = Identities.FIRST_CIDR;

    @Override
    public synchronized int allocate(Map<String, String> labels) {
        Map<String, String> key = new TreeMap<>(labels);
        int reserved = Identities.reserved(key);
        if (reserved != 0) {
            return reserved;
        }
        Integer id = byLabels.get(key);
        if (id == null) {
            id = fresh(Identities.isCidr(key));
            byLabels.put(key, id);
            byId.put(id, new IdentityInfo(id, Identities.kindOf(id), key));
        }
        refs.merge(id, 1, Integer::sum);
        return id;
    }

    @Override
    public synchronized void release(int id) {
        if (Identities.kindOf(id) == IdentityKind.RESERVED) {
            return;
        }
        int n = refs.getOrDefault(id, 0);
        if (n <= 0) {
            throw new IllegalArgumentException("identity " + id + " has no reference to release");
        }
        refs.put(id, n - 1);
    }

    @Override
    public synchronized Optional<IdentityInfo> lookup(int id) {
        return switch (id) {
            case Identities.HOST -> Optional.of(new IdentityInfo(id, IdentityKind.RESERVED, Identities.HOST_LABELS));
            case Identities.WORLD -> Optional.of(new IdentityInfo(id, IdentityKind.RESERVED, Identities.WORLD_LABELS));
            case Identities.REMOTE_NODE -> Optional.of(new IdentityInfo(id, IdentityKind.RESERVED, Identities.REMOTE_NODE_LABELS));
            default -> Optional.ofNullable(byId.get(id));
        };
    }

    /** References held on an identity (0 for unknown or unreferenced ones). */
    public synchronized int references(int id) {
        return refs.getOrDefault(id, 0);
    }

    /** Frees every identity without references; returns how many. Their numbers may be reused. */
    public synchronized int gc() {
        int freed = 0;
        for (var it = refs.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (e.getValue() == 0) {
                IdentityInfo info = byId.remove(e.getKey());
                byLabels.remove(info.labels());
                it.remove();
                freed++;
            }
        }
        nextEndpoint = Identities.FIRST_ENDPOINT;
        nextCidr = Identities.FIRST_CIDR;
        return freed;
    }

    /** Identities currently bound (referenced or awaiting GC). */
    public synchronized int size() {
        return byId.size();
    }

    private int fresh(boolean cidr) {
        if (cidr) {
            while (byId.containsKey(nextCidr)) {
                nextCidr++;
            }
            return nextCidr++;
        }
        while (byId.containsKey(nextEndpoint)) {
            nextEndpoint++;
        }
        if (nextEndpoint > Identities.LAST_ENDPOINT) {
            throw new IllegalStateException("endpoint identities exhausted");
        }
        return nextEndpoint++;
    }
}
