package dev.weir.agent.runtime;

import dev.weir.agent.policy.PolicyResult;
import dev.weir.agent.service.LbChange;
import dev.weir.agent.service.LbState;

/**
 * One computation of the cluster's desired state for a node: network policy (identities, ipcache,
 * per-endpoint entries) and service load balancing (frontends, backend sets, Maglev tables), with what the
 * services' part changed since the computation before ({@code lbChange}; null when unknown: the map writer
 * then diffs the whole state). Immutable.
 */
public record ComputedState(PolicyResult policy, LbState services, LbChange lbChange) {

    public ComputedState(PolicyResult policy, LbState services) {
        this(policy, services, null);
    }
}
