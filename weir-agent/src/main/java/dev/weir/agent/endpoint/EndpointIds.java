package dev.weir.agent.endpoint;

import dev.weir.agent.store.Store;

/**
 * Endpoint ids (1..65535, the datapath's key) that are stable across agent restarts and agreed by every
 * node: allocated once per {@code namespace/pod} in the store's {@code endpoints} table and never reused.
 * Thread-safe.
 */
public final class EndpointIds {

    public static final int FIRST = 1;
    public static final int LAST = 65535;

    private final Store.Allocations table;

    public EndpointIds(Store store) {
        this.table = store.allocations("endpoints", FIRST, LAST);
    }

    /** The id of {@code namespace/name}, allocating it the first time. */
    public int idOf(String namespace, String name) {
        return table.allocate(namespace + "/" + name);
    }
}
