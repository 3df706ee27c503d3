package dev.weir.agent.store;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a {@link Store#commit} does to one state of the store, worked out before anything is written: each
 * object's outcome ({@code created}, {@code configured}, {@code unchanged}, {@code deleted}), the objects
 * before and after, and the writes that make the difference (puts whose document changed, deletes). Every
 * store computes its commits with this one class, so they agree on the semantics. Immutable.
 *
 * @param outcomes per object, in the order of the changes
 * @param before   every object before, sorted by key
 * @param after    every object after, sorted by key; changed objects carry {@code nextRevision}
 * @param writes   the changes that change something, in the order given
 */
public record CommitPlan(Map<ObjectKey, String> outcomes, List<StoredObject> before, List<StoredObject> after,
                         List<Change> writes) {

    public CommitPlan {
        outcomes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(outcomes));
        before = List.copyOf(before);
        after = List.copyOf(after);
        writes = List.copyOf(writes);
    }

    /**
     * @throws IllegalArgumentException when a key appears twice in {@code changes}
     */
    public static void requireUniqueKeys(List<Change> changes) {
        Set<ObjectKey> seen = new HashSet<>();
        for (Change c : changes) {
            if (!seen.add(c.key())) {
                throw new IllegalArgumentException(c.key() + " appears twice in one change set");
            }
        }
    }

    /**
     * Applies {@code changes} to {@code before} (sorted by key, as a snapshot lists them).
     *
     * @param nextRevision the revision changed objects get in {@link #after} (a store that learns the real one
     *                     only when it writes, such as etcd, gives a lower bound)
     * @throws IllegalArgumentException when a delete names an object that does not exist
     */
    public static CommitPlan of(List<StoredObject> before, List<Change> changes, long nextRevision) {
        // the changed keys only (null: deleted), then one merge with the sorted objects: O(n + k log k), no map of everything
        TreeMap<ObjectKey, StoredObject> changed = new TreeMap<>();
        Map<ObjectKey, String> outcomes = new LinkedHashMap<>();
        List<Change> writes = new ArrayList<>();
        for (Change c : changes) {
            StoredObject old = changed.containsKey(c.key()) ? changed.get(c.key()) : find(before, c.key());
            switch (c) {
                case Change.Put p -> {
                    if (old != null && old.document().equals(p.document())) {
                        outcomes.put(p.key(), "unchanged");
                    } else {
                        changed.put(p.key(), new StoredObject(p.key(), p.document(), p.source(), nextRevision));
                        outcomes.put(p.key(), old == null ? "created" : "configured");
                        writes.add(p);
                    }
                }
                case Change.Delete d -> {
                    if (old == null) {
                        throw new IllegalArgumentException(d.key() + " not found");
                    }
                    changed.put(d.key(), null);
                    outcomes.put(d.key(), "deleted");
                    writes.add(d);
                }
            }
        }
        return new CommitPlan(outcomes, before, merge(before, changed), writes);
    }

    /** The object with {@code key} in {@code sorted} (by key), or null. */
    private static StoredObject find(List<StoredObject> sorted, ObjectKey key) {
        int lo = 0;
        int hi = sorted.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = sorted.get(mid).key().compareTo(key);
            if (c == 0) {
                return sorted.get(mid);
            }
            if (c < 0) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return null;
    }

    /** {@code sorted} with the changed keys put (or removed, for null), still sorted. */
    static List<StoredObject> merge(List<StoredObject> sorted, TreeMap<ObjectKey, StoredObject> changed) {
        if (changed.isEmpty()) {
            return sorted;
        }
        List<StoredObject> out = new ArrayList<>(sorted.size() + changed.size());
        var it = changed.entrySet().iterator();
        Map.Entry<ObjectKey, StoredObject> next = it.next();
        for (StoredObject o : sorted) {
            while (next != null && next.getKey().compareTo(o.key()) < 0) {
                if (next.getValue() != null) {
                    out.add(next.getValue());
                }
                next = it.hasNext() ? it.next() : null;
            }
            if (next != null && next.getKey().equals(o.key())) {
                if (next.getValue() != null) {
                    out.add(next.getValue());
                }
                next = it.hasNext() ? it.next() : null;
            } else {
                out.add(o);
            }
        }
        while (next != null) {
            if (next.getValue() != null) {
                out.add(next.getValue());
            }
            next = it.hasNext() ? it.next() : null;
        }
        return out;
    }

    /** True when the commit changes something (and so makes a new revision). */
    public boolean changed() {
        return !writes.isEmpty();
    }

    /** The commit's result once it is at {@code revision} (the previous revision when nothing changed). */
    public CommitResult result(long revision) {
        return new CommitResult(revision, outcomes);
    }
}
