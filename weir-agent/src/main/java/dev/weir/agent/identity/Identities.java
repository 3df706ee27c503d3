package dev.weir.agent.identity;

import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.cluster.Namespace;
import dev.weir.agent.net.Cidr;

/**
 * The identity numbering of docs/policy-datapath.md and the label scheme (Cilium's): an endpoint's
 * identity labels are its pod labels as {@code k8s:<key>}, its namespace as
 * {@code k8s:io.kubernetes.pod.namespace}, and its namespace's labels as
 * {@code k8s:io.kubernetes.pod.namespace.labels.<key>}. A CIDR identity has the single label
 * {@code cidr:<prefix>}. Stateless.
 */
public final class Identities {

    /** The "any peer" wildcard in policy keys; never an identity of anything. */
    public static final int ANY = 0;
    public static final int HOST = 1;
    public static final int WORLD = 2;
    public static final int REMOTE_NODE = 6;
    public static final int FIRST_ENDPOINT = 256;
    public static final int LAST_ENDPOINT = (1 << 24) - 1;
    public static final int FIRST_CIDR = 1 << 24;

    public static final String K8S = "k8s:";
    public static final String NAMESPACE_LABEL = "io.kubernetes.pod.namespace";
    public static final String NAMESPACE_LABELS_PREFIX = "io.kubernetes.pod.namespace.labels.";
    public static final String CIDR_PREFIX = "cidr:";

    public static final Map<String, String> HOST_LABELS = Map.of("reserved:host", "");
    public static final Map<String, String> WORLD_LABELS = Map.of("reserved:world", "");
    public static final Map<String, String> REMOTE_NODE_LABELS = Map.of("reserved:remote-node", "");

    private Identities() {
    }

    /** The identity labels of an endpoint in its namespace (namespace labels may be empty). */
    public static Map<String, String> endpointLabels(Endpoint ep, Namespace ns) {
        Map<String, String> out = new TreeMap<>();
        ep.labels().forEach((k, v) -> out.put(K8S + k, v));
        if (ns != null) {
            ns.labels().forEach((k, v) -> out.put(K8S + NAMESPACE_LABELS_PREFIX + k, v));
        }
        out.put(K8S + NAMESPACE_LABEL, ep.namespace());
        return out;
    }

    public static Map<String, String> cidrLabels(Cidr cidr) {
        return Map.of(CIDR_PREFIX + cidr, "");
    }

    /** The reserved identity of a label set, or 0 when it is not reserved. */
    public static int reserved(Map<String, String> labels) {
        if (labels.equals(HOST_LABELS)) {
            return HOST;
        }
        if (labels.equals(WORLD_LABELS)) {
            return WORLD;
        }
        return labels.equals(REMOTE_NODE_LABELS) ? REMOTE_NODE : 0;
    }

    public static boolean isCidr(Map<String, String> labels) {
        return labels.keySet().stream().anyMatch(k -> k.startsWith(CIDR_PREFIX));
    }

    public static IdentityKind kindOf(int id) {
        return id < FIRST_ENDPOINT ? IdentityKind.RESERVED : id < FIRST_CIDR ? IdentityKind.ENDPOINT : IdentityKind.CIDR;
    }

    /** The labels with the source prefix ({@code k8s:}, {@code any:}) removed, as selectors see them. */
    public static Map<String, String> selectorView(Map<String, String> labels) {
        Map<String, String> out = new TreeMap<>();
        labels.forEach((k, v) -> out.put(stripSource(k), v));
        return out;
    }

    /** {@code k8s:pod} and {@code any:pod} become {@code pod}; other keys are returned unchanged. */
    public static String stripSource(String key) {
        if (key.startsWith(K8S)) {
            return key.substring(K8S.length());
        }
        return key.startsWith("any:") ? key.substring(4) : key;
    }

    /** {@code k=v,k2=v2} sorted by key; an empty value prints as the key alone. */
    public static String describe(Map<String, String> labels) {
        return new TreeMap<>(labels).entrySet().stream()
                .map(e -> e.getValue().isEmpty() ? e.getKey() : e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(","));
    }
}
