package dev.weir.bench.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.cluster.Namespace;
import dev.weir.agent.cluster.Node;
import dev.weir.agent.policy.ClusterSnapshot;

/**
 * A synthetic cluster shaped like the netpol model, scaled up: 100 namespaces {@code ns-0..ns-99}
 * (labels {@code team: t-(n % 10)}, {@code env: prod|dev}), 10 pods each ({@code app: a-0..a-9},
 * {@code tier: tier-(k % 3)}), all on one node (the agent writes its local endpoints), and up to
 * 1,000 NetworkPolicies as YAML: policy p lives in namespace p % 100 and selects app a-(p / 100), with
 * an ingress rule from another app of its namespace and from one tier in the 10 namespaces of one team
 * (TCP 8000-8010, UDP 53), and egress to a third app on TCP 5432 (every hundredth policy per namespace
 * also to 0.0.0.0/0 except 10.0.0.0/8 on TCP 443). Deterministic; immutable.
 */
public final class NetpolModel {

    public static final int NAMESPACES = 100;
    public static final int PODS_PER_NAMESPACE = 10;
    public static final String NODE = "node1";

    private NetpolModel() {
    }

    /** The cluster without policies. */
    public static ClusterSnapshot cluster() {
        List<Namespace> namespaces = new ArrayList<>();
        List<Endpoint> endpoints = new ArrayList<>();
        for (int n = 0; n < NAMESPACES; n++) {
            namespaces.add(new Namespace("ns-" + n, Map.of("team", "t-" + n % 10, "env", n % 2 == 0 ? "prod" : "dev")));
            for (int k = 0; k < PODS_PER_NAMESPACE; k++) {
                int id = n * PODS_PER_NAMESPACE + k + 1;
                endpoints.add(new Endpoint(id, "ns-" + n, "pod-" + k, Map.of("app", "a-" + k, "tier", "tier-" + k % 3),
                        NODE, "10.244." + n + "." + (k + 10), null, "lxc" + id));
            }
        }
        return new ClusterSnapshot(List.of(new Node(NODE, null, "192.168.0.1", null)), namespaces, endpoints, List.of());
    }

    /** {@code count} NetworkPolicies (at most 1,000) as one multi-document YAML text. */
    public static String policiesYaml(int count) {
        if (count < 0 || count > NAMESPACES * PODS_PER_NAMESPACE) {
            throw new IllegalArgumentException("0..1000 policies, not " + count);
        }
        StringBuilder y = new StringBuilder();
        for (int p = 0; p < count; p++) {
            int n = p % NAMESPACES;
            int q = p / NAMESPACES;
            y.append("---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n")
                    .append("  name: np-").append(q).append("\n  namespace: ns-").append(n).append('\n')
                    .append("spec:\n  podSelector:\n    matchLabels: {app: a-").append(q).append("}\n")
                    .append("  policyTypes: [Ingress, Egress]\n")
                    .append("  ingress:\n  - from:\n")
                    .append("    - podSelector:\n        matchLabels: {app: a-").append((q + 1) % 10).append("}\n")
                    .append("    - namespaceSelector:\n        matchLabels: {team: t-").append((n + q) % 10).append("}\n")
                    .append("      podSelector:\n        matchLabels: {tier: tier-").append(q % 3).append("}\n")
                    .append("    ports:\n    - {protocol: TCP, port: 8000, endPort: 8010}\n    - {protocol: UDP, port: 53}\n")
                    .append("  egress:\n  - to:\n")
                    .append("    - podSelector:\n        matchLabels: {app: a-").append((q + 2) % 10).append("}\n")
                    .append("    ports:\n    - {protocol: TCP, port: 5432}\n");
            if (q == 0) {
                y.append("  - to:\n    - ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}\n")
                        .append("    ports:\n    - {protocol: TCP, port: 443}\n");
            }
        }
        return y.toString();
    }
}
