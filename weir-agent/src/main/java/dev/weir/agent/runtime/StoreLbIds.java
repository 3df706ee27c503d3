package dev.weir.agent.runtime;

import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;

import dev.weir.agent.service.LbIdAllocator;
import dev.weir.agent.store.Store;

/**
 * Service ids kept in the store's allocation tables, one numbering per node ({@code lb-service-<node>},
 * {@code lb-backend-<node>}, {@code lb-rev-nat-<node>}). Numbers are never reused (a released key that
 * returns gets a new number), so the range is the datapath's whole u32 space that Java's int reaches. A
 * {@link #batch} writes each table once (on the file store without holding its writer lock while it computes).
 *
 * <p>Releases are gathered and written together ({@link #flush}): every table write costs a round trip (etcd)
 * or an fsync (the file store's journal), so a change that moves one endpoint should not pay one write for the
 * new key and another for the old one. A key allocated again before its release was written is simply kept.
 * Releases not yet written when the agent stops stay allocated (as keys unused at a restart always have).
 * Used from the sync loop's thread.
 */
final class StoreLbIds implements LbIdAllocator {

    private final EnumMap<Kind, Store.Allocations> tables = new EnumMap<>(Kind.class);
    private final EnumMap<Kind, Set<String>> released = new EnumMap<>(Kind.class);

    StoreLbIds(Store store, String node) {
        for (Kind kind : Kind.values()) {
            tables.put(kind, store.allocations("lb-" + kind.name().toLowerCase(Locale.ROOT).replace('_', '-') + "-" + node,
                    1, Integer.MAX_VALUE - 1));
            released.put(kind, new LinkedHashSet<>());
        }
    }

    @Override
    public int allocate(Kind kind, String key) {
        released.get(kind).remove(key);
        return tables.get(kind).allocate(key);
    }

    @Override
    public int known(Kind kind, String key) {
        return tables.get(kind).known(key);
    }

    @Override
    public void release(Kind kind, String key) {
        released.get(kind).add(key);
    }

    @Override
    public <T> T batch(Supplier<T> work) {
        return tables.get(Kind.SERVICE).batch(() -> tables.get(Kind.BACKEND).batch(() -> tables.get(Kind.REV_NAT).batch(work)));
    }

    /** Keys released and not written yet. */
    int pending() {
        return released.values().stream().mapToInt(Set::size).sum();
    }

    /** Writes the gathered releases, one call per table. */
    void flush() {
        released.forEach((kind, keys) -> {
            if (!keys.isEmpty()) {
                tables.get(kind).release(List.copyOf(keys));
                keys.clear();
            }
        });
    }
}
