package dev.weir.agent.cluster;

import java.util.Map;

/**
 * An endpoint as its node publishes it for the rest of the cluster (with the etcd kvstore, the key
 * {@code weir/endpoints/<node>/<namespace>/<pod>}, held by the node agent's lease, so that it disappears
 * with the node): the endpoint and its namespace's labels, which policy on other nodes needs to select it.
 * Immutable.
 */
public record EndpointRecord(int id, String namespace, String name, Map<String, String> labels,
                             Map<String, String> namespaceLabels, String node, String ipv4, String ipv6, String iface,
                             String cgroup) {

    public EndpointRecord {
        labels = Map.copyOf(labels);
        namespaceLabels = namespaceLabels == null ? Map.of() : Map.copyOf(namespaceLabels);
    }

    public static EndpointRecord of(Endpoint e, Map<String, String> namespaceLabels) {
        return new EndpointRecord(e.id(), e.namespace(), e.name(), e.labels(), namespaceLabels, e.node(), e.ipv4(),
                e.ipv6(), e.iface(), e.cgroup());
    }

    public Endpoint endpoint() {
        return new Endpoint(id, namespace, name, labels, node, ipv4, ipv6, iface, cgroup);
    }

    /** {@code <node>/<namespace>/<pod>}: the key under {@code endpoints/}. */
    public String key() {
        return node + "/" + namespace + "/" + name;
    }
}
