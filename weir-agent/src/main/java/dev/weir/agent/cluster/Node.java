package dev.weir.agent.cluster;

/**
 * A node of the cluster: its name, its network namespace (lab) or null (the host's), and its own
 * addresses (for the host and remote-node identities). Immutable.
 */
public record Node(String name, String netns, String ipv4, String ipv6) {
}
