package dev.weir.agent.policy;

/** The direction of a connection relative to an endpoint: ingress (to it) or egress (from it). */
public enum Direction {
    INGRESS, EGRESS;

    /** The datapath's {@code dir} byte: 0 ingress, 1 egress. */
    public int code() {
        return ordinal();
    }
}
