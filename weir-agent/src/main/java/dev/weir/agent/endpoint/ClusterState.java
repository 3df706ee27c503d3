package dev.weir.agent.endpoint;

import java.util.List;
import java.util.Optional;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.cluster.Namespace;
import dev.weir.agent.cluster.Node;

/**
 * What an {@link EndpointSource} reports: every node, namespace and endpoint of the cluster (not only this
 * node's: policy needs the remote pods' addresses and labels too). Immutable; equal when nothing changed.
 */
public record ClusterState(List<Node> nodes, List<Namespace> namespaces, List<Endpoint> endpoints) {

    public static final ClusterState EMPTY = new ClusterState(List.of(), List.of(), List.of());

    public ClusterState {
        nodes = List.copyOf(nodes);
        namespaces = List.copyOf(namespaces);
        endpoints = List.copyOf(endpoints);
    }

    /** The endpoints on a node. */
    public List<Endpoint> endpointsOn(String node) {
        return endpoints.stream().filter(e -> e.node().equals(node)).toList();
    }

    public Optional<Node> node(String name) {
        return nodes.stream().filter(n -> n.name().equals(name)).findFirst();
    }

    public Optional<Endpoint> endpoint(String namespace, String name) {
        return endpoints.stream().filter(e -> e.namespace().equals(namespace) && e.name().equals(name)).findFirst();
    }
}
