package dev.weir.agent.policy;

import java.util.List;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.cluster.Namespace;
import dev.weir.agent.cluster.Node;

/**
 * Everything policy resolution reads: nodes, namespaces, endpoints and the policy objects in force.
 * Immutable. A namespace an endpoint names but that is missing here counts as one with no labels except
 * {@code kubernetes.io/metadata.name} (which the API server always sets, and the engine adds when absent).
 */
public record ClusterSnapshot(List<Node> nodes, List<Namespace> namespaces, List<Endpoint> endpoints,
                              List<PolicyObject> policies) {
    public ClusterSnapshot {
        nodes = List.copyOf(nodes);
        namespaces = List.copyOf(namespaces);
        endpoints = List.copyOf(endpoints);
        policies = List.copyOf(policies);
    }

    /** The same cluster under other policies. */
    public ClusterSnapshot withPolicies(List<PolicyObject> newPolicies) {
        return new ClusterSnapshot(nodes, namespaces, endpoints, newPolicies);
    }

    /** The namespace's labels, {@code kubernetes.io/metadata.name} included. */
    public java.util.Map<String, String> namespaceLabels(String name) {
        java.util.Map<String, String> out = new java.util.TreeMap<>();
        namespaces.stream().filter(n -> n.name().equals(name)).findFirst().ifPresent(n -> out.putAll(n.labels()));
        out.putIfAbsent("kubernetes.io/metadata.name", name);
        return out;
    }
}
