package dev.weir.agent.guard;

import java.util.List;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.PortRange;
import dev.weir.agent.net.Protocol;
import dev.weir.agent.policy.LabelSelector;
import dev.weir.agent.policy.NetworkPolicy;

/**
 * A {@code weir.dev/v1 WeirWorkloadGuard} as read (docs/workload-guard.md): the pods of its namespace that
 * {@code pods} selects may connect or send to what {@code egress} allows (first match wins, else
 * {@code egressDefault}) and bind the ports of {@code bind} (null: any). Enforced at the pods' socket calls by
 * {@code sock_guard.o}. Immutable.
 *
 * @param source where it was read from (a file, or the store)
 * @param audit  report what would be refused, refuse nothing
 * @param defaultAllow what no egress rule matched: allowed, or refused
 * @param bind   the ports that may be bound; null when any may
 */
public record WorkloadGuard(String namespace, String name, String source, LabelSelector pods, boolean audit,
                            boolean defaultAllow, List<Rule> egress, List<BindPort> bind) {

    public static final String KIND = "WeirWorkloadGuard";
    public static final String API_VERSION = "weir.dev/v1";

    public WorkloadGuard {
        egress = List.copyOf(egress);
        bind = bind == null ? null : List.copyOf(bind);
    }

    /** Whether the guard applies to a pod of {@code ns} with {@code labels}. */
    public boolean selects(String ns, java.util.Map<String, String> labels) {
        return namespace.equals(ns) && pods.matches(labels);
    }

    /** {@code namespace/name}. */
    public String key() {
        return namespace + "/" + name;
    }

    /** Where a destination rule looks: an address range, one of the reserved entities, or anything. */
    public enum Entity {
        /** Outside the cluster: an address the ipcache does not know, or one of a CIDR identity. */
        WORLD("world"),
        /** The node's own addresses (identity 1). */
        HOST("host"),
        /** Other nodes' addresses (identity 6). */
        REMOTE_NODE("remote-node"),
        /** Any destination. */
        ALL("all");

        public final String text;

        Entity(String text) {
            this.text = text;
        }
    }

    /**
     * One destination rule.
     *
     * @param allow    allow, else deny
     * @param cidr     the destination's range, or null
     * @param entity   the destination's entity, or null
     * @param peers    the destination pods by labels ({@code toEndpoints}: a NetworkPolicy peer's podSelector and
     *                 namespaceSelector, resolved to their identities by the agent), or null; with none of the
     *                 three, any destination
     * @param protocol TCP or UDP, or null for both
     * @param ports    the destination ports, or null for any
     * @param path     where it is in the document ({@code spec.egress[0]})
     */
    public record Rule(boolean allow, Cidr cidr, Entity entity, NetworkPolicy.Peer peers, Protocol protocol, PortRange ports,
                       String path) {
    }

    /** A port range that may be bound, for TCP, UDP or (protocol null) both. */
    public record BindPort(PortRange ports, Protocol protocol) {
    }
}
