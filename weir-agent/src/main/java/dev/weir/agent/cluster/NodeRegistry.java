package dev.weir.agent.cluster;

import java.util.List;
import java.util.Map;

/**
 * Where nodes publish their own record and endpoints and read every other node's: etcd across machines
 * ({@code EtcdNodeRegistry}), the shared store directory on one machine ({@code FileNodeRegistry}).
 * Implementations are thread-safe.
 */
public interface NodeRegistry {

    /** Sets this node's record; written soon. */
    void publishNode(NodeRecord record);

    /** Sets this node's endpoints (every one of them); written soon. */
    void publishEndpoints(List<EndpointRecord> local);

    /**
     * Sets the keys of an allocation table that this node's endpoints use (key to its number), so that no node
     * collects them meanwhile (docs/kvstore.md, "Identity references"); written soon. {@code stale} runs when a
     * key turns out to have been collected or renumbered before the reference reached the store: the caller
     * computes again (and allocates again). Registries whose nodes all compute from one store at once (the file
     * store's) need no references and ignore them.
     */
    default void publishReferences(String table, Map<String, Integer> keys, Runnable stale) {
    }

    /** Every node's record as last seen (this node's included once written), by name. */
    Map<String, NodeRecord> nodes();

    /** Every endpoint other nodes publish, by {@code node/namespace/pod}. */
    Map<String, EndpointRecord> remoteEndpoints();

    /** Moves whenever another node's record or endpoint changes: a cheap way to see that nothing did. */
    long version();

    /** True when the view is current. */
    boolean live();

    /** The last write failure, or null when the last write went through. */
    String lastError();

    /** Registers a callback for every change of the view (another node or endpoint). */
    void onChange(Runnable r);
}
