package dev.weir.agent.runtime;

import java.time.Instant;

import dev.weir.agent.endpoint.ClusterState;

/**
 * What the sync loop last did, for status and for the components that follow it (flow decoration).
 * Immutable.
 *
 * @param appliedRevision the store revision the dataplane enforces; 0 before the first sync
 * @param appliedAt       when it was applied, or null
 * @param error           the last failure (compile or apply), null after a success
 * @param failedRevision  the revision that failed, 0 when none
 * @param cluster         the cluster as applied
 * @param view            the policy as applied
 * @param syncs           how many times the loop applied a new state
 */
public record SyncState(long appliedRevision, Instant appliedAt, String error, long failedRevision,
                        ClusterState cluster, StateView view, long syncs) {

    public static final SyncState INITIAL = new SyncState(0, null, null, 0, ClusterState.EMPTY, StateView.EMPTY, 0);
}
