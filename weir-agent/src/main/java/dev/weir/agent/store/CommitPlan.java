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
        Map<ObjectKey, StoredObject> objects = new TreeMap<>();
        before.forEach(o -> objects.put(o.key(), o));
        Map<ObjectKey, String> outcomes = new LinkedHashMap<>();
        List<Change> writes = new ArrayList<>();
        for (Change c : changes) {
            StoredObject old = objects.get(c.key());
            switch (c) {
                case Change.Put p -> {
                    if (old != null && old.document().equals(p.document())) {
                        outcomes.put(p.key(), "unchanged");
                    } else {
                        objects.put(p.key(), new StoredObject(p.key(), p.document(), p.source(), nextRevision));
                        outcomes.put(p.key(), old == null ? "created" : "configured");
                        writes.add(p);
                    }
                }
                case Change.Delete d -> {
                    if (old == null) {
                        throw new IllegalArgumentException(d.key() + " not found");
                    }
                    objects.remove(d.key());
                    outcomes.put(d.key(), "deleted");
                    writes.add(d);
                }
            }
        }
        return new CommitPlan(outcomes, before, new ArrayList<>(objects.values()), writes);
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
