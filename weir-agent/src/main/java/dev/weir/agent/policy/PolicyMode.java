package dev.weir.agent.policy;

/**
 * A {@code weir.dev/v1} PolicyMode: how policy is enforced in its scope — the cluster (no namespace),
 * a namespace, or the pods a selector picks in a namespace. The most specific scope wins. Immutable.
 *
 * @param enforcement {@code default}: a direction is enforced when a policy selects the pod for it;
 *                    {@code always}: both directions always enforced; {@code never}: no policy at all
 * @param audit       would-be drops pass with verdict AUDIT
 */
public record PolicyMode(String namespace, String name, String source, LabelSelector podSelector,
                         Enforcement enforcement, boolean audit) implements PolicyObject {

    public static final String KIND = "PolicyMode";

    /** The enforcement setting. */
    public enum Enforcement { DEFAULT, ALWAYS, NEVER }

    /** Which pods a mode covers. */
    public enum Scope { CLUSTER, NAMESPACE, PODS }

    @Override
    public String kind() {
        return KIND;
    }

    public Scope scope() {
        return namespace == null ? Scope.CLUSTER : podSelector == null ? Scope.NAMESPACE : Scope.PODS;
    }
}
