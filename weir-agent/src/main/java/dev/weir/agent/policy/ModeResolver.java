package dev.weir.agent.policy;

import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;

import dev.weir.agent.cluster.Endpoint;

/**
 * Picks the {@link PolicyMode} that governs an endpoint: a pod-scoped mode of its namespace whose
 * selector matches it, else its namespace's mode, else the cluster's, else the default (enforcement
 * {@code default}, no audit). Among several of one scope the first by name wins, with a warning.
 */
final class ModeResolver {

    static final PolicyMode DEFAULT = new PolicyMode(null, "(default)", null, null, PolicyMode.Enforcement.DEFAULT, false);

    private final List<PolicyMode> modes;
    private final Consumer<String> warnings;

    ModeResolver(List<PolicyObject> policies, Consumer<String> warnings) {
        this.modes = policies.stream().filter(p -> p instanceof PolicyMode).map(p -> (PolicyMode) p)
                .sorted(Comparator.comparing(PolicyMode::name)).toList();
        this.warnings = warnings;
    }

    PolicyMode modeOf(Endpoint ep) {
        for (PolicyMode.Scope scope : List.of(PolicyMode.Scope.PODS, PolicyMode.Scope.NAMESPACE, PolicyMode.Scope.CLUSTER)) {
            List<PolicyMode> candidates = modes.stream().filter(m -> m.scope() == scope && covers(m, ep)).toList();
            if (!candidates.isEmpty()) {
                return pick(candidates, ep);
            }
        }
        return DEFAULT;
    }

    /**
     * Whether the mode is among those {@link #modeOf} considers for the endpoint: the endpoint's mode and warnings
     * depend on these modes alone.
     */
    static boolean covers(PolicyMode m, Endpoint ep) {
        return switch (m.scope()) {
            case CLUSTER -> true;
            case NAMESPACE -> m.namespace().equals(ep.namespace());
            case PODS -> m.namespace().equals(ep.namespace()) && m.podSelector().matches(ep.labels());
        };
    }

    private PolicyMode pick(List<PolicyMode> candidates, Endpoint ep) {
        if (candidates.size() > 1) {
            warnings.accept(ep.key() + ": several PolicyModes apply " + candidates.stream().map(PolicyMode::ref).toList()
                    + "; using " + candidates.getFirst().ref());
        }
        return candidates.getFirst();
    }
}
