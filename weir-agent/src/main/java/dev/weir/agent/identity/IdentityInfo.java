package dev.weir.agent.identity;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A numeric identity and the labels it stands for. Immutable; labels are kept sorted by key.
 *
 * @param id     the cluster-wide number (see {@link Identities} for the ranges)
 * @param kind   reserved, endpoint or CIDR
 * @param labels source-prefixed labels, e.g. {@code k8s:pod=a}, {@code cidr:10.0.0.0/8=""}
 */
public record IdentityInfo(int id, IdentityKind kind, Map<String, String> labels) {

    public IdentityInfo {
        labels = Collections.unmodifiableSortedMap(new TreeMap<>(labels));
    }

    /** {@code k8s:pod=a,k8s:io.kubernetes.pod.namespace=x}: labels as Cilium prints them. */
    public String describe() {
        return Identities.describe(labels);
    }

    @Override
    public String toString() {
        return id + " " + kind + " " + describe();
    }
}
