package dev.weir.agent.policy;

import java.util.List;

/**
 * A {@code weir.dev/v1} WeirNetworkPolicy (namespaced) or WeirClusterNetworkPolicy (cluster-wide,
 * {@code namespace} null). Selectors see identity labels without their {@code k8s:} source prefix
 * ({@code pod}, {@code io.kubernetes.pod.namespace}, {@code io.kubernetes.pod.namespace.labels.ns}); a
 * namespaced policy's selectors are confined to its namespace unless they name
 * {@code io.kubernetes.pod.namespace} themselves. A null rule list means the key was absent: only a
 * present {@code ingress}/{@code egress} list isolates its direction. Immutable.
 */
public record WeirPolicy(boolean clusterWide, String namespace, String name, String source,
                         LabelSelector endpointSelector, List<Rule> ingress, List<Rule> egress,
                         List<Rule> ingressDeny, List<Rule> egressDeny) implements PolicyObject {

    public static final String KIND = "WeirNetworkPolicy";
    public static final String CLUSTER_KIND = "WeirClusterNetworkPolicy";

    public WeirPolicy {
        ingress = ingress == null ? null : List.copyOf(ingress);
        egress = egress == null ? null : List.copyOf(egress);
        ingressDeny = ingressDeny == null ? List.of() : List.copyOf(ingressDeny);
        egressDeny = egressDeny == null ? List.of() : List.copyOf(egressDeny);
    }

    @Override
    public String kind() {
        return clusterWide ? CLUSTER_KIND : KIND;
    }

    /** Allow rules of a direction; null when the key was absent. */
    public List<Rule> allows(Direction dir) {
        return dir == Direction.INGRESS ? ingress : egress;
    }

    public List<Rule> denies(Direction dir) {
        return dir == Direction.INGRESS ? ingressDeny : egressDeny;
    }

    /** Field name of a rule list, for rule paths. */
    public static String field(Direction dir, Action action) {
        String base = dir == Direction.INGRESS ? "ingress" : "egress";
        return action == Action.DENY ? base + "Deny" : base;
    }

    /**
     * One rule: peers ({@code from/toEndpoints}, {@code from/toEntities}, {@code from/toCIDR(Set)}) and
     * ports. No peer and no port selects nothing; ports without peers apply to every peer.
     */
    public record Rule(List<LabelSelector> endpoints, List<Entity> entities, List<IpBlock> cidrs,
                       List<PortRule> ports) {
        public Rule {
            endpoints = List.copyOf(endpoints);
            entities = List.copyOf(entities);
            cidrs = List.copyOf(cidrs);
            ports = List.copyOf(ports);
        }

        public boolean hasPeers() {
            return !endpoints.isEmpty() || !entities.isEmpty() || !cidrs.isEmpty();
        }

        public boolean selectsNothing() {
            return !hasPeers() && ports.isEmpty();
        }
    }
}
