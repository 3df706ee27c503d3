package dev.weir.agent.policy;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.cluster.Namespace;

/**
 * What changed in the endpoints between two snapshots, for {@link IdentityTable#update}: the endpoints added,
 * removed or changed, and those whose namespace's labels changed (their identity does). Immutable once made.
 *
 * @param changed    ids of the endpoints whose identity, addresses or record may have changed
 * @param before     the last snapshot's endpoints by id
 * @param now        the next snapshot's endpoints by id
 * @param position   each endpoint's index in the next snapshot (the full computation's order)
 * @param namespaces the next snapshot's namespace labels by name ({@link #namespaceLabels}), or null when the
 *                   namespaces are as before
 */
record EndpointChanges(Set<Integer> changed, Map<Integer, Endpoint> before, Map<Integer, Endpoint> now,
                       Map<Integer, Integer> position, Map<String, Map<String, String>> namespaces) {

    /**
     * The changes from {@code last} to {@code next}, or null when an update cannot follow them and everything must
     * be computed: an endpoint id appears twice, or endpoints that did not change are in another order (the full
     * computation's order decides which endpoint an address shared by two goes to, and the order of an identity's
     * endpoints in warnings).
     */
    static EndpointChanges of(ClusterSnapshot last, ClusterSnapshot next) {
        Map<Integer, Endpoint> before = byId(last.endpoints());
        Map<Integer, Endpoint> now = byId(next.endpoints());
        if (before.size() != last.endpoints().size() || now.size() != next.endpoints().size()) {
            return null;
        }
        Set<Integer> changed = new HashSet<>();
        before.forEach((id, ep) -> {
            if (!ep.equals(now.get(id))) {
                changed.add(id);
            }
        });
        now.keySet().forEach(id -> {
            if (!before.containsKey(id)) {
                changed.add(id);
            }
        });
        Map<String, Map<String, String>> namespaces = null;
        if (!last.namespaces().equals(next.namespaces())) {
            namespaces = namespaceLabels(next.namespaces());
            Set<String> relabelled = relabelled(namespaceLabels(last.namespaces()), namespaces);
            next.endpoints().forEach(ep -> {
                if (relabelled.contains(ep.namespace())) {
                    changed.add(ep.id());
                }
            });
        }
        if (!sameOrder(last.endpoints(), next.endpoints(), changed)) {
            return null;
        }
        Map<Integer, Integer> position = new HashMap<>();
        for (int i = 0; i < next.endpoints().size(); i++) {
            position.put(next.endpoints().get(i).id(), i);
        }
        return new EndpointChanges(changed, before, now, position, namespaces);
    }

    /** Whether nothing changed that the identity table holds. */
    boolean none() {
        return changed.isEmpty() && namespaces == null;
    }

    /**
     * Each namespace's labels with {@code kubernetes.io/metadata.name} added as the API server does (the first of a
     * name counts, as in {@link ClusterSnapshot#namespaceLabels}).
     */
    static Map<String, Map<String, String>> namespaceLabels(List<Namespace> namespaces) {
        Map<String, Map<String, String>> out = new HashMap<>();
        for (Namespace n : namespaces) {
            out.computeIfAbsent(n.name(), k -> {
                Map<String, String> labels = new TreeMap<>(n.labels());
                labels.putIfAbsent("kubernetes.io/metadata.name", k);
                return labels;
            });
        }
        return out;
    }

    /** The labels of a namespace in such a map; one that is missing has only its name label. */
    static Map<String, String> labelsOf(Map<String, Map<String, String>> namespaces, String name) {
        Map<String, String> labels = namespaces.get(name);
        return labels != null ? labels : new TreeMap<>(Map.of("kubernetes.io/metadata.name", name));
    }

    /** The names whose labels differ (a namespace that appears or goes counts with its name label alone). */
    private static Set<String> relabelled(Map<String, Map<String, String>> was, Map<String, Map<String, String>> is) {
        Set<String> names = new HashSet<>(was.keySet());
        names.addAll(is.keySet());
        names.removeIf(n -> Objects.equals(labelsOf(was, n), labelsOf(is, n)));
        return names;
    }

    /** Whether the endpoints that did not change come in the same order in both lists. */
    private static boolean sameOrder(List<Endpoint> last, List<Endpoint> next, Set<Integer> changed) {
        List<Integer> a = last.stream().map(Endpoint::id).filter(id -> !changed.contains(id)).toList();
        List<Integer> b = next.stream().map(Endpoint::id).filter(id -> !changed.contains(id)).toList();
        return a.equals(b);
    }

    private static Map<Integer, Endpoint> byId(List<Endpoint> endpoints) {
        Map<Integer, Endpoint> out = new HashMap<>();
        endpoints.forEach(ep -> out.put(ep.id(), ep));
        return out;
    }
}
