package dev.weir.agent.policy;

import java.util.List;

/**
 * What the datapath holds for one endpoint: its identity, the {@code EP_F_*} flags, and its policy
 * entries (sorted, no two with the same key). Immutable.
 */
public record EndpointPolicy(int identity, boolean ingressEnforced, boolean egressEnforced,
                             boolean ingressAudit, boolean egressAudit, List<PolicyEntry> entries) {
    public EndpointPolicy {
        entries = List.copyOf(entries);
    }

    public boolean enforced(Direction dir) {
        return dir == Direction.INGRESS ? ingressEnforced : egressEnforced;
    }

    public boolean audit(Direction dir) {
        return dir == Direction.INGRESS ? ingressAudit : egressAudit;
    }

    /** The {@code ep_info.flags} bits. */
    public int flags() {
        return (ingressEnforced ? 1 : 0) | (egressEnforced ? 2 : 0) | (ingressAudit ? 4 : 0) | (egressAudit ? 8 : 0);
    }
}
