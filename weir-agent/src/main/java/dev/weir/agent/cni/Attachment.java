package dev.weir.agent.cni;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import dev.weir.agent.cluster.Endpoint;

/**
 * One pod interface weir-cni attached: what ADD did, kept so that DEL and CHECK find it and the agent serves the
 * endpoint after a restart. Immutable.
 *
 * @param id            the endpoint's id
 * @param hostInterface the node-side veth
 * @param cgroup        the pod's cgroup directory (absolute), or null
 * @param ipam          the delegated IPAM plugin's type, or null when the agent allocated the addresses
 * @param createdAt     when ADD attached it (ISO-8601)
 */
public record Attachment(String containerId, String ifName, String netns, int id, String namespace, String name,
                         Map<String, String> labels, String ipv4, String ipv6, String hostInterface, String cgroup,
                         Integer mtu, String ipam, String createdAt) {

    public Attachment {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    /** The pod's addresses. */
    public List<String> addresses() {
        return Stream.of(ipv4, ipv6).filter(java.util.Objects::nonNull).toList();
    }

    /** {@code namespace/name}. */
    public String podKey() {
        return namespace + "/" + name;
    }

    /** Whether this is the attachment of {@code containerId}'s interface {@code ifName}. */
    public boolean is(String containerId, String ifName) {
        return this.containerId.equals(containerId) && this.ifName.equals(ifName);
    }

    /** The endpoint on {@code node}. */
    public Endpoint endpoint(String node) {
        return new Endpoint(id, namespace, name, labels, node, ipv4, ipv6, hostInterface, cgroup);
    }
}
