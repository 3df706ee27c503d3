package dev.weir.agent.runtime;

import java.util.Locale;

/**
 * How pod traffic crosses nodes ({@code weir agent --routing}), done by weir either way: the node's underlay needs
 * to know nothing of pod addresses.
 */
public enum Routing {
    /**
     * VXLAN: a pod's packet to another node's pod is encapsulated at TC on a collect-metadata VXLAN device, to the
     * remote node's underlay address from the ipcache, the source's identity in the VNI; what the kernel forwards
     * (translated NodePort traffic, the node's own) takes per-pod routes into the same device (lightweight-tunnel
     * encapsulation, identity remote-node).
     */
    TUNNEL,
    /** weir installs a route per remote pod via the node that holds it (Cilium's auto-direct-node-routes). */
    NATIVE;

    /** The Cilium default. */
    public static final Routing DEFAULT = TUNNEL;

    /**
     * {@code tunnel} or {@code native}.
     *
     * @throws IllegalArgumentException naming the value
     */
    public static Routing parse(String text) {
        try {
            return valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("--routing must be tunnel or native, not '" + text + "'");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
