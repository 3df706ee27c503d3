package dev.weir.agent.endpoint;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.cluster.EndpointRecord;
import dev.weir.agent.cluster.Namespace;
import dev.weir.agent.cluster.Node;
import dev.weir.agent.cluster.NodeRecord;
import dev.weir.agent.cluster.NodeRegistry;

/**
 * The cluster as a node sees it: its own node and endpoints from a local source (the pods weir-cni attached,
 * {@link dev.weir.agent.cni.CniEndpoints}), published to the kvstore for the others; every other node and
 * endpoint from the kvstore (the records other agents publish: {@link NodeRegistry}, in etcd or in the file
 * store's directory).
 *
 * <p>Namespaces: the local source's, plus those named by remote endpoints (each record carries its
 * namespace's labels). Nodes: the local one and every node with a live record. {@link #read} answers from
 * memory; the result is rebuilt only when the local source or the registry's view changed. Thread-safe.
 */
public final class KvstoreEndpointSource implements EndpointSource {

    private final String node;
    private final Node self;
    private final EndpointSource local;
    private final NodeRegistry registry;
    private ClusterState lastLocal;
    private long lastVersion = -1;
    private ClusterState last = ClusterState.EMPTY;
    private boolean seenLive;

    /**
     * @param self     this node, as the agent's configuration describes it; its addresses may be null, and the
     *                 local source's facts about the node are used then
     * @param local    this node's own endpoints (only them: other nodes' come from the registry)
     * @param registry the kvstore's node records (an etcd registry is started and stopped by the agent)
     */
    public KvstoreEndpointSource(Node self, EndpointSource local, NodeRegistry registry) {
        this.node = self.name();
        this.self = self;
        this.local = local;
        this.registry = registry;
    }

    @Override
    public String name() {
        return "endpoint-source(kvstore, local: " + local.name() + ")";
    }

    @Override
    public void start() {
        local.start();
    }

    @Override
    public void stop() {
        local.stop();
    }

    /**
     * {@inheritDoc}
     *
     * @throws EndpointSourceException until the kvstore has answered once: before that, the other nodes are
     *     unknown, and a state computed without them would take their endpoints out of the dataplane (an agent
     *     restarted during an etcd outage keeps enforcing what its pinned maps hold instead)
     */
    @Override
    public synchronized ClusterState read() {
        if (!seenLive && !registry.live()) {
            throw new EndpointSourceException("the kvstore has not answered yet: the dataplane keeps what it enforces", null);
        }
        seenLive = true;
        ClusterState own = local.read();
        long version = registry.version();
        if (own.equals(lastLocal) && version == lastVersion) {
            return last;
        }
        if (!own.equals(lastLocal)) {
            registry.publishEndpoints(records(own));
        }
        lastLocal = own;
        lastVersion = version;
        last = merge(own, registry.nodes(), registry.remoteEndpoints());
        return last;
    }

    /** This node's endpoints as the registry publishes them, with their namespaces' labels. */
    private List<EndpointRecord> records(ClusterState own) {
        Map<String, Map<String, String>> nsLabels = new TreeMap<>();
        own.namespaces().forEach(n -> nsLabels.put(n.name(), n.labels()));
        return own.endpointsOn(node).stream().map(e -> EndpointRecord.of(e, nsLabels.get(e.namespace()))).toList();
    }

    /** The local view, with every other node and endpoint from the kvstore. */
    ClusterState merge(ClusterState own, Map<String, NodeRecord> nodes, Map<String, EndpointRecord> remote) {
        Map<String, Node> allNodes = new TreeMap<>();
        nodes.values().forEach(r -> allNodes.put(r.name(), r.node()));
        own.nodes().forEach(n -> allNodes.put(n.name(), n));
        if (self.ipv4() != null || self.ipv6() != null) {
            allNodes.put(node, self);
        }
        Map<String, Namespace> namespaces = new TreeMap<>();
        List<Endpoint> endpoints = new ArrayList<>(own.endpointsOn(node));
        for (EndpointRecord r : remote.values()) {
            if (r.node().equals(node)) {
                continue;
            }
            endpoints.add(r.endpoint());
            namespaces.putIfAbsent(r.namespace(), new Namespace(r.namespace(), r.namespaceLabels()));
        }
        own.namespaces().forEach(n -> namespaces.put(n.name(), n));
        endpoints.sort(java.util.Comparator.comparing(Endpoint::node).thenComparing(Endpoint::key));
        return new ClusterState(List.copyOf(allNodes.values()), List.copyOf(namespaces.values()), endpoints);
    }

    @Override
    public String toString() {
        return name() + " for " + Objects.requireNonNull(node);
    }
}
