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
        List<PolicyMode> pods = modes.stream().filter(m -> m.scope() == PolicyMode.Scope.PODS
                && m.namespace().equals(ep.namespace()) && m.podSelector().matches(ep.labels())).toList();
        if (!pods.isEmpty()) {
            return pick(pods, ep);
        }
        List<PolicyMode> ns = modes.stream().filter(m -> m.scope() == PolicyMode.Scope.NAMESPACE
                && m.namespace().equals(ep.namespace())).toList();
        if (!ns.isEmpty()) {
            return pick(ns, ep);
        }
        List<PolicyMode> cluster = modes.stream().filter(m -> m.scope() == PolicyMode.Scope.CLUSTER).toList();
        return cluster.isEmpty() ? DEFAULT : pick(cluster, ep);
    }

    private PolicyMode pick(List<PolicyMode> candidates, Endpoint ep) {
        if (candidates.size() > 1) {
            warnings.accept(ep.key() + ": several PolicyModes apply " + candidates.stream().map(PolicyMode::ref).toList()
                    + "; using " + candidates.getFirst().ref());
        }
        return candidates.getFirst();
    }
}
