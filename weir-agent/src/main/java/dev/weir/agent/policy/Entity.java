package dev.weir.agent.policy;

import java.util.Locale;

/** weir's (Cilium's) entities: named groups of peers usable in {@code fromEntities}/{@code toEntities}. */
public enum Entity {
    /** Outside the cluster: reserved world plus every CIDR identity. */
    WORLD,
    /** The endpoint's own node. */
    HOST,
    /** Other nodes. */
    REMOTE_NODE,
    /** Every endpoint, the host and the remote nodes. */
    CLUSTER,
    /** Any peer. */
    ALL;

    public String yamlName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** @throws IllegalArgumentException for an unknown name */
    public static Entity parse(String text) {
        for (Entity e : values()) {
            if (e.yamlName().equals(text)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown entity '" + text + "' (expected world, host, remote-node, cluster or all)");
    }
}
