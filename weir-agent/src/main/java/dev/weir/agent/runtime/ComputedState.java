package dev.weir.agent.runtime;

import dev.weir.agent.policy.PolicyResult;
import dev.weir.agent.prefilter.NodePrefilterSpec;
import dev.weir.agent.service.LbState;

/**
 * One computation of the cluster's desired state for a node: network policy (identities, ipcache,
 * per-endpoint entries), service load balancing (frontends, backend sets, Maglev tables) and the node's XDP
 * prefilter (what the WeirPrefilter objects that select it ask). Immutable.
 */
public record ComputedState(PolicyResult policy, LbState services, NodePrefilterSpec prefilter) {

    public ComputedState {
        prefilter = prefilter == null ? NodePrefilterSpec.NONE : prefilter;
    }

    /** Without a prefilter. */
    public ComputedState(PolicyResult policy, LbState services) {
        this(policy, services, NodePrefilterSpec.NONE);
    }
}
