package dev.weir.agent.service;

import java.util.List;
import java.util.Map;

import dev.weir.agent.net.Cidr;

/**
 * A parsed, validated and defaulted {@code v1 Service}. Immutable.
 *
 * @param namespace              namespace ({@code default} when absent)
 * @param name                   name
 * @param source                 the file it came from, for messages; may be null
 * @param type                   ClusterIP, NodePort or LoadBalancer (ExternalName is rejected)
 * @param headless               {@code clusterIP: None}: no frontend at all (DNS-only in Kubernetes)
 * @param clusterIps             the cluster IPs in {@code ipFamilies} order; empty when headless
 * @param ipFamilies             one or two families, the primary first
 * @param ipFamilyPolicy         SingleStack, PreferDualStack or RequireDualStack
 * @param ports                  the ports, defaulted (protocol TCP, targetPort = port)
 * @param externalIps            {@code spec.externalIPs}
 * @param loadBalancerIps        {@code status.loadBalancer.ingress[].ip} and {@code spec.loadBalancerIP}, no
 *                               duplicates, in that order
 * @param sourceRanges           {@code loadBalancerSourceRanges}; empty means any source
 * @param affinityTimeoutSeconds {@code sessionAffinity: ClientIP} timeout (default 10800), 0 for none
 * @param externalPolicy         externalTrafficPolicy (Cluster when the service is not externally reachable)
 * @param internalPolicy         internalTrafficPolicy
 * @param algorithm              backend selection, from {@code weir.dev/lb-algorithm}
 * @param maglevTableSize        Maglev table size M (prime), from {@code weir.dev/maglev-table-size} or the default
 * @param annotations            every annotation, as written
 * @param healthCheckNodePort    {@code healthCheckNodePort} (LoadBalancer with externalTrafficPolicy Local), 0 for none
 */
public record Service(String namespace, String name, String source, Type type, boolean headless,
                      List<IpAddress> clusterIps, List<IpFamily> ipFamilies, IpFamilyPolicy ipFamilyPolicy,
                      List<ServicePort> ports, List<IpAddress> externalIps, List<IpAddress> loadBalancerIps,
                      List<Cidr> sourceRanges, int affinityTimeoutSeconds, TrafficPolicy externalPolicy,
                      TrafficPolicy internalPolicy, Algorithm algorithm, int maglevTableSize,
                      Map<String, String> annotations, int healthCheckNodePort) {

    /** The annotation naming the selection algorithm: {@code maglev} or {@code random}. */
    public static final String ALGORITHM_ANNOTATION = "weir.dev/lb-algorithm";
    /** The annotation setting the Maglev table size (a prime). */
    public static final String MAGLEV_SIZE_ANNOTATION = "weir.dev/maglev-table-size";
    /** The API server's default ClientIP affinity timeout: 3 hours. */
    public static final int DEFAULT_AFFINITY_TIMEOUT = 10800;

    public enum Type { CLUSTER_IP, NODE_PORT, LOAD_BALANCER }

    public enum IpFamilyPolicy { SINGLE_STACK, PREFER_DUAL_STACK, REQUIRE_DUAL_STACK }

    public enum TrafficPolicy { CLUSTER, LOCAL }

    public enum Algorithm { RANDOM, MAGLEV }

    public Service {
        clusterIps = List.copyOf(clusterIps);
        ipFamilies = List.copyOf(ipFamilies);
        ports = List.copyOf(ports);
        externalIps = List.copyOf(externalIps);
        loadBalancerIps = List.copyOf(loadBalancerIps);
        sourceRanges = List.copyOf(sourceRanges);
        annotations = Map.copyOf(annotations);
    }

    /** {@code namespace/name}. */
    public String key() {
        return namespace + "/" + name;
    }

    /** {@code Service namespace/name}. */
    public String ref() {
        return "Service " + key();
    }

    /** NodePort or LoadBalancer, or externalIPs: traffic from outside the cluster reaches it. */
    public boolean externallyAccessible() {
        return type != Type.CLUSTER_IP || !externalIps.isEmpty();
    }

    public boolean affinity() {
        return affinityTimeoutSeconds > 0;
    }
}
