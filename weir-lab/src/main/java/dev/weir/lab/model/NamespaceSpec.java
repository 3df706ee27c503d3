package dev.weir.lab.model;

import java.util.Map;

/**
 * A Kubernetes namespace of the model and its labels.
 *
 * @param name e.g. {@code x}
 * @param labels {@code ns=<name>} and {@code kubernetes.io/metadata.name=<name>}
 */
public record NamespaceSpec(String name, Map<String, String> labels) {
    public NamespaceSpec {
        labels = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(labels));
    }
}
