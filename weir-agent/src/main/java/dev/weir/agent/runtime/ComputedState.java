package dev.weir.agent.runtime;

import java.util.List;

import dev.weir.agent.guard.WorkloadGuard;
import dev.weir.agent.policy.PolicyResult;
import dev.weir.agent.prefilter.NodePrefilterSpec;
import dev.weir.agent.service.LbChange;
import dev.weir.agent.service.LbState;

/**
 * One computation of the cluster's desired state for a node: network policy (identities, ipcache,
 * per-endpoint entries), service load balancing (frontends, backend sets, Maglev tables) with what the
 * services' part changed since the computation before ({@code lbChange}; null when unknown: the map writer
 * then diffs the whole state), the node's XDP prefilter (what the WeirPrefilter objects that select it
 * ask), and the cluster's workload guards (every WeirWorkloadGuard, in {@code namespace/name} order; the
 * datapath picks each local pod's). Immutable.
 */
public record ComputedState(PolicyResult policy, LbState services, LbChange lbChange, NodePrefilterSpec prefilter,
                            List<WorkloadGuard> guards) {

    public ComputedState {
        prefilter = prefilter == null ? NodePrefilterSpec.NONE : prefilter;
        guards = guards == null ? List.of() : List.copyOf(guards);
    }

    /** Without workload guards. */
    public ComputedState(PolicyResult policy, LbState services, LbChange lbChange, NodePrefilterSpec prefilter) {
        this(policy, services, lbChange, prefilter, List.of());
    }

    /** Without a prefilter, and with the services' change unknown. */
    public ComputedState(PolicyResult policy, LbState services) {
        this(policy, services, null, NodePrefilterSpec.NONE);
    }
}
