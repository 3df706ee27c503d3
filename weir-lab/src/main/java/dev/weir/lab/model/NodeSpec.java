package dev.weir.lab.model;

import java.util.List;

/**
 * A node: a network namespace joined to the underlay bridge by {@code eth0}, holding the host side of
 * its pods' veths.
 *
 * @param name {@code node1}, {@code node2}, … (the EndpointSlice {@code nodeName})
 * @param netns its network namespace, {@code weir-<name>}
 * @param underlayInterface its underlay port, {@code eth0}
 * @param ipv4 its underlay IPv4 address, e.g. {@code 192.168.100.1}
 * @param ipv6 its underlay IPv6 address, e.g. {@code fd00:192:168:100::1}
 * @param interfaces every interface of the node weir may attach to: the underlay port, then each pod's
 *     host-side veth in pod order
 */
public record NodeSpec(String name, String netns, String underlayInterface, String ipv4, String ipv6,
                       List<String> interfaces) {
    public NodeSpec {
        interfaces = List.copyOf(interfaces);
    }

    /** The underlay address of the family. */
    public String address(Family family) {
        return family == Family.IPV4 ? ipv4 : ipv6;
    }
}
