package dev.weir.agent.service;

/**
 * A backend's state, as {@code struct lb_backend.state} holds it. Only {@link #ACTIVE} backends are in
 * a service's slots (and its Maglev table); the others keep their existing connections and get no new
 * ones.
 */
public enum BackendState {
    /** Ready: selectable. */
    ACTIVE(0),
    /** The EndpointSlice says terminating: existing connections drain, no new ones. */
    TERMINATING(1),
    /** weir's operator took it out (a suspected bad backend): not selectable. */
    QUARANTINED(2),
    /** weir's operator took it out for maintenance: not selectable. */
    MAINTENANCE(3);

    private final int code;

    BackendState(int code) {
        this.code = code;
    }

    /** The datapath's value ({@code LB_BE_*}). */
    public int code() {
        return code;
    }
}
