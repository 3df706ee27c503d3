package dev.weir.agent.runtime;

import java.util.Locale;

/**
 * How a NodePort, LoadBalancer or external IP reaches a backend on another node ({@code weir agent --nodeport-mode};
 * docs/service-datapath.md, "Direct server return").
 */
public enum NodePortMode {
    /** The client is SNATed to the node it reached, and the backend's reply comes back through that node. */
    SNAT,
    /**
     * Direct server return: the client's address is kept, the frontend travels to the backend's node in an IPv4
     * option or an IPv6 Destination Options header, and that node sends the reply straight to the client. A
     * connection whose first packet has IP options or IPv6 extension headers of its own is SNATed. Needs native
     * routing.
     */
    DSR;

    /** As today, and as Cilium's default. */
    public static final NodePortMode DEFAULT = SNAT;

    /**
     * {@code snat} or {@code dsr}.
     *
     * @throws IllegalArgumentException naming the value
     */
    public static NodePortMode parse(String text) {
        try {
            return valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("--nodeport-mode must be snat or dsr, not '" + text + "'");
        }
    }

    /**
     * Checks the mode against the routing: DSR's option rides on the packet as the underlay carries it, which the VXLAN
     * tunnel would hide (weir carries no Geneve option).
     *
     * @throws IllegalArgumentException for dsr with tunnel routing
     */
    public void check(Routing routing) {
        if (this == DSR && routing == Routing.TUNNEL) {
            throw new IllegalArgumentException("--nodeport-mode dsr needs --routing native: in tunnel mode the service "
                    + "address would have to travel in the tunnel header, which weir's VXLAN cannot carry");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
