package dev.weir.agent.service;

/**
 * A backend's state, as {@code struct lb_backend.state} holds it. Only {@link #ACTIVE} backends are in
 * a service's slots (and its Maglev table), or, when a backend set has none, its
 * {@link #SERVING_TERMINATING} ones; the others keep their existing connections and get no new ones.
 */
public enum BackendState {
    /** Ready: selectable. */
    ACTIVE(0),
    /**
     * Terminating and still serving (not ready): existing connections drain; new ones only while the service has
     * no ready endpoint in the backend set (KEP-1669). The datapath knows it as terminating.
     */
    SERVING_TERMINATING(1),
    /** The EndpointSlice says terminating and not serving: existing connections drain, no new ones. */
    TERMINATING(1),
    /** weir's operator took it out (a suspected bad backend): not selectable. */
    QUARANTINED(2),
    /** weir's operator took it out for maintenance: not selectable. */
    MAINTENANCE(3);

    private final int code;

    BackendState(int code) {
        this.code = code;
    }

    /**
     * An endpoint's state from its conditions as Kubernetes defines them: {@code ready} decides (a ready endpoint
     * is used even while terminating, as {@code publishNotReadyAddresses} makes it); else serving and terminating
     * is a fallback, terminating alone only drains; neither is no backend ({@code null}).
     */
    public static BackendState of(EndpointSlice.SliceEndpoint e) {
        if (e.ready()) {
            return ACTIVE;
        }
        if (e.terminating()) {
            return e.serving() ? SERVING_TERMINATING : TERMINATING;
        }
        return null;
    }

    /** The datapath's value ({@code LB_BE_*}). */
    public int code() {
        return code;
    }
}
