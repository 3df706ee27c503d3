package dev.weir.lab.model;

import java.util.Map;

/**
 * A pod: a network namespace whose {@code eth0} is one end of a veth, the other end
 * ({@link #hostInterface}) living in its node's namespace.
 *
 * @param namespace its Kubernetes namespace, e.g. {@code x}
 * @param name its name, e.g. {@code a}
 * @param node the node it runs on
 * @param netns its network namespace, {@code weir-pod-<ns>-<pod>}
 * @param ipv4 e.g. {@code 10.244.1.10}
 * @param ipv6 e.g. {@code fd00:10:244:1::10}
 * @param labels {@code pod=<name>}
 * @param hostInterface the node-side veth, e.g. {@code lxc-x-a}
 */
public record PodSpec(String namespace, String name, String node, String netns, String ipv4, String ipv6,
                      Map<String, String> labels, String hostInterface) {
    public PodSpec {
        labels = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(labels));
    }

    public PodRef ref() {
        return new PodRef(namespace, name);
    }

    /** The pod's address of the family. */
    public String address(Family family) {
        return family == Family.IPV4 ? ipv4 : ipv6;
    }
}
