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
