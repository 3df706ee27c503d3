package dev.weir.agent.policy;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;

import dev.weir.agent.identity.IdentityInfo;
import dev.weir.agent.net.Cidr;

/**
 * The outcome of {@link PolicyEngine#resolve}: identities (sorted by id), the ipcache (sorted by
 * prefix), each endpoint's flags and entries (by endpoint id), the rule table, and warnings about
 * intent that could not be compiled exactly. Immutable. It holds references on the identities listed in
 * {@link #allocated()}; give them back with {@link PolicyEngine#release} once a newer result replaces it.
 *
 * @param snapshot  the input, kept for evaluation
 * @param rules     rule table; {@code rules.get(i)} has id {@code i + 1}
 * @param allocated identities this result took a reference on (one per element)
 */
public record PolicyResult(List<IdentityInfo> identities, SortedMap<Cidr, Integer> ipcache,
                           SortedMap<Integer, EndpointPolicy> endpoints, List<RuleRef> rules,
                           List<String> warnings, ClusterSnapshot snapshot, List<Integer> allocated) {

    public PolicyResult {
        identities = List.copyOf(identities);
        ipcache = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(ipcache));
        endpoints = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(endpoints));
        rules = List.copyOf(rules);
        warnings = List.copyOf(warnings);
        allocated = List.copyOf(allocated);
    }

    /** The rule with that id, or null for 0 and unknown ids. */
    public RuleRef rule(int id) {
        return id >= 1 && id <= rules.size() ? rules.get(id - 1) : null;
    }

    public EndpointPolicy endpoint(int id) {
        return endpoints.get(id);
    }

    /** Identity by number, when this result lists it. */
    public IdentityInfo identity(int id) {
        return identities.stream().filter(i -> i.id() == id).findFirst().orElse(null);
    }

    /** The endpoint ids by {@code namespace/name}. */
    public Map<String, Integer> endpointIds() {
        Map<String, Integer> out = new java.util.TreeMap<>();
        snapshot.endpoints().forEach(e -> out.put(e.key(), e.id()));
        return out;
    }
}
