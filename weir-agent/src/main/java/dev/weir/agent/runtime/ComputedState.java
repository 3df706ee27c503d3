package dev.weir.agent.runtime;

import dev.weir.agent.policy.PolicyResult;
import dev.weir.agent.prefilter.NodePrefilterSpec;
import dev.weir.agent.service.LbChange;
import dev.weir.agent.service.LbState;

/**
 * One computation of the cluster's desired state for a node: network policy (identities, ipcache,
 * per-endpoint entries), service load balancing (frontends, backend sets, Maglev tables) with what the
 * services' part changed since the computation before ({@code lbChange}; null when unknown: the map writer
 * then diffs the whole state), and the node's XDP prefilter (what the WeirPrefilter objects that select it
 * ask). Immutable.
 */
public record ComputedState(PolicyResult policy, LbState services, LbChange lbChange, NodePrefilterSpec prefilter) {

    public ComputedState {
        prefilter = prefilter == null ? NodePrefilterSpec.NONE : prefilter;
    }

    /** Without a prefilter, and with the services' change unknown. */
    public ComputedState(PolicyResult policy, LbState services) {
        this(policy, services, null, NodePrefilterSpec.NONE);
    }
}
