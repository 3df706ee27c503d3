package dev.weir.agent.policy;

import java.util.List;
import java.util.Set;

/**
 * A {@code networking.k8s.io/v1} NetworkPolicy after the API server's defaulting (policyTypes filled in,
 * protocols TCP where absent, namespace {@code default} where absent). Immutable.
 *
 * @param podSelector the pods it applies to, in its namespace ({@code {}}: all)
 * @param policyTypes the directions it isolates
 * @param ingress     ingress rules (empty: allows nothing in)
 * @param egress      egress rules
 */
public record NetworkPolicy(String namespace, String name, String source, LabelSelector podSelector,
                            Set<Direction> policyTypes, List<Rule> ingress, List<Rule> egress)
        implements PolicyObject {

    public static final String KIND = "NetworkPolicy";

    public NetworkPolicy {
        policyTypes = Set.copyOf(policyTypes);
        ingress = List.copyOf(ingress);
        egress = List.copyOf(egress);
    }

    @Override
    public String kind() {
        return KIND;
    }

    public List<Rule> rules(Direction dir) {
        return dir == Direction.INGRESS ? ingress : egress;
    }

    /**
     * One ingress or egress rule: traffic matching any peer (no peers: every peer) and any port (no
     * ports: every port and protocol).
     */
    public record Rule(List<Peer> peers, List<PortRule> ports) {
        public Rule {
            peers = List.copyOf(peers);
            ports = List.copyOf(ports);
        }
    }

    /**
     * A NetworkPolicyPeer: either an ipBlock, or pods chosen by podSelector and/or namespaceSelector
     * (null = absent: pods of the policy's namespace / all pods of the chosen namespaces).
     */
    public record Peer(LabelSelector podSelector, LabelSelector namespaceSelector, IpBlock ipBlock) {

        /**
         * Whether a pod of namespace {@code ns} (labelled {@code nsLabels}) with {@code podLabels} is one of the pods
         * this peer chooses, for a policy (or guard) in {@code policyNs}; an ipBlock peer chooses no pod by labels.
         */
        public boolean choosesPod(String policyNs, String ns, java.util.Map<String, String> nsLabels,
                                  java.util.Map<String, String> podLabels) {
            if (ipBlock != null) {
                return false;
            }
            boolean nsOk = namespaceSelector == null ? ns.equals(policyNs) : namespaceSelector.matches(nsLabels);
            return nsOk && (podSelector == null || podSelector.matches(podLabels));
        }
    }
}
