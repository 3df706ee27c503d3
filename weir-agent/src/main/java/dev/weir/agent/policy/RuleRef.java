package dev.weir.agent.policy;

/**
 * A rule of a policy, as flows name it: entries carry its {@code id} (index in
 * {@link PolicyResult#rules()}, 1-based; 0 = none).
 *
 * @param path the rule's field path in its object, e.g. {@code spec.ingress[0]}, {@code spec.egressDeny[1]}
 */
public record RuleRef(int id, String kind, String namespace, String name, String path) {
    @Override
    public String toString() {
        return id + " " + kind + " " + (namespace == null ? "" : namespace + "/") + name + " " + path;
    }
}
