package dev.weir.agent.runtime;

import dev.weir.agent.policy.PolicyResult;
import dev.weir.agent.service.LbState;

/**
 * One computation of the cluster's desired state for a node: network policy (identities, ipcache,
 * per-endpoint entries) and service load balancing (frontends, backend sets, Maglev tables). Immutable.
 */
public record ComputedState(PolicyResult policy, LbState services) {
}
