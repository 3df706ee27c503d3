package dev.weir.agent.cluster;

import java.util.List;
import java.util.Map;

/**
 * A workload weir enforces policy for: a pod, with its node-side interface. Immutable.
 *
 * @param id        endpoint id, unique in the cluster, 1..65535 (the datapath's key)
 * @param namespace Kubernetes namespace
 * @param name      pod name
 * @param labels    pod labels
 * @param node      node name, e.g. {@code node1}
 * @param ipv4      IPv4 address text, or null
 * @param ipv6      IPv6 address text, or null
 * @param iface     node-side interface (e.g. {@code lxc-x-a}) in the node's network namespace
 * @param cgroup    the pod's own cgroup v2 directory (its processes, nothing else), where the socket-level
 *                  service hooks attach; null when the source does not know it
 */
public record Endpoint(int id, String namespace, String name, Map<String, String> labels, String node,
                       String ipv4, String ipv6, String iface, String cgroup) {

    public Endpoint {
        labels = Map.copyOf(labels);
    }

    /** An endpoint whose cgroup is not known. */
    public Endpoint(int id, String namespace, String name, Map<String, String> labels, String node,
                    String ipv4, String ipv6, String iface) {
        this(id, namespace, name, labels, node, ipv4, ipv6, iface, null);
    }

    /** {@code namespace/name}. */
    public String key() {
        return namespace + "/" + name;
    }

    public List<String> addresses() {
        return java.util.stream.Stream.of(ipv4, ipv6).filter(java.util.Objects::nonNull).toList();
    }
}
