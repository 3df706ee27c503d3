package dev.weir.agent.cluster;

/**
 * What a node's agent publishes about itself for the rest of the cluster (with the etcd kvstore, the key
 * {@code weir/nodes/<name>}, held by the agent's lease): its addresses, its agent, and the desired-state
 * revision its dataplane enforces. {@code weir apply} waits on {@code appliedRevision}; {@code weir status}
 * lists every node from these. Immutable.
 *
 * @param name            the node's name
 * @param netns           its network namespace (lab), or null for the host's
 * @param ipv4            its underlay IPv4 address, or null
 * @param ipv6            its underlay IPv6 address, or null
 * @param host            the host name of the machine the agent runs on
 * @param pid             the agent's process id on that host
 * @param startedAt       when the agent started (ISO-8601)
 * @param version         weir's version
 * @param appliedRevision the desired-state revision the dataplane enforces
 * @param failedRevision  the revision that last failed to apply, 0 when none
 * @param syncError       why, or null
 * @param endpoints       how many local endpoints the agent enforces
 * @param heartbeat       when the agent last wrote this record (ISO-8601, the agent's clock)
 * @param metricsUrl      where the agent serves its Prometheus metrics, or null when it serves none
 */
public record NodeRecord(String name, String netns, String ipv4, String ipv6, String host, long pid, String startedAt,
                         String version, long appliedRevision, long failedRevision, String syncError, int endpoints,
                         String heartbeat, String metricsUrl) {

    /** Without metrics. */
    public NodeRecord(String name, String netns, String ipv4, String ipv6, String host, long pid, String startedAt,
                      String version, long appliedRevision, long failedRevision, String syncError, int endpoints,
                      String heartbeat) {
        this(name, netns, ipv4, ipv6, host, pid, startedAt, version, appliedRevision, failedRevision, syncError,
                endpoints, heartbeat, null);
    }

    /** The node as policy and services see it. */
    public Node node() {
        return new Node(name, netns, ipv4, ipv6);
    }

    /** The same record with another heartbeat. */
    public NodeRecord withHeartbeat(String at) {
        return new NodeRecord(name, netns, ipv4, ipv6, host, pid, startedAt, version, appliedRevision, failedRevision,
                syncError, endpoints, at, metricsUrl);
    }
}
