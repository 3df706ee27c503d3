package dev.weir.agent.policy;

/**
 * A parsed, validated and defaulted policy object: a Kubernetes NetworkPolicy, a weir policy or a
 * PolicyMode. Immutable.
 */
public sealed interface PolicyObject permits NetworkPolicy, WeirPolicy, PolicyMode {

    /** {@code NetworkPolicy}, {@code WeirNetworkPolicy}, {@code WeirClusterNetworkPolicy}, {@code PolicyMode}. */
    String kind();

    /** The namespace, or null for cluster-scoped objects. */
    String namespace();

    String name();

    /** Where it came from (a file name), for messages; may be null. */
    String source();

    /** {@code kind namespace/name} or {@code kind name}. */
    default String ref() {
        return kind() + " " + (namespace() == null ? name() : namespace() + "/" + name());
    }
}
