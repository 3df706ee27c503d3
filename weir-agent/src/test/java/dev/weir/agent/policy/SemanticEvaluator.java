package dev.weir.agent.policy;

import java.util.List;
import java.util.Map;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.cluster.Namespace;
import dev.weir.agent.cluster.Node;
import dev.weir.agent.identity.Identities;
import dev.weir.agent.net.Cidr;

/**
 * A deliberately naive evaluator written straight from the policy semantics, with no identities and no
 * entries: is this connection allowed by the policies? The source's egress and the destination's
 * ingress must each allow it; a side is isolated when a policy selects it for that direction; a weir
 * deny rule matching wins over every allow; PolicyMode decides enforcement and audit. Peers are matched
 * on labels and addresses directly. Used to check {@link PolicyEngine} against; immutable.
 */
public final class SemanticEvaluator {

    private final ClusterSnapshot snap;

    public SemanticEvaluator(ClusterSnapshot snap) {
        this.snap = snap;
    }

    /** The verdict on a new connection ({@code proto} an IP protocol number, {@code family} 4 or 6). */
    public Decision.Verdict decide(Party src, Party dst, int proto, int port, int family) {
        Endpoint s = DatapathEvaluator.endpointOf(snap, src);
        Endpoint d = DatapathEvaluator.endpointOf(snap, dst);
        String srcAddr = DatapathEvaluator.address(src, s, family);
        String dstAddr = DatapathEvaluator.address(dst, d, family);
        Decision.Verdict eg = s == null ? Decision.Verdict.ALLOWED : side(s, Direction.EGRESS, d, dstAddr, proto, port);
        Decision.Verdict in = d == null ? Decision.Verdict.ALLOWED : side(d, Direction.INGRESS, s, srcAddr, proto, port);
        if (eg == Decision.Verdict.DENIED || in == Decision.Verdict.DENIED) {
            return Decision.Verdict.DENIED;
        }
        return eg == Decision.Verdict.AUDIT || in == Decision.Verdict.AUDIT ? Decision.Verdict.AUDIT : Decision.Verdict.ALLOWED;
    }

    private Decision.Verdict side(Endpoint ep, Direction dir, Endpoint peer, String peerAddr, int proto, int port) {
        PolicyMode mode = mode(ep);
        if (mode.enforcement() == PolicyMode.Enforcement.NEVER) {
            return Decision.Verdict.ALLOWED;
        }
        boolean isolated = mode.enforcement() == PolicyMode.Enforcement.ALWAYS;
        boolean allowed = false;
        boolean denied = false;
        for (PolicyObject o : snap.policies()) {
            if (o instanceof NetworkPolicy np && np.namespace().equals(ep.namespace()) && np.podSelector().matches(ep.labels())
                    && np.policyTypes().contains(dir)) {
                isolated = true;
                allowed |= np.rules(dir).stream().anyMatch(r -> k8sRule(np, r, peer, peerAddr, proto, port));
            }
            if (o instanceof WeirPolicy wp && selects(wp, ep)) {
                if (wp.allows(dir) != null) {
                    isolated = true;
                    allowed |= wp.allows(dir).stream().anyMatch(r -> weirRule(wp, r, ep, peer, peerAddr, proto, port));
                }
                denied |= wp.denies(dir).stream().anyMatch(r -> weirRule(wp, r, ep, peer, peerAddr, proto, port));
            }
        }
        boolean pass = !denied && (allowed || !isolated);
        if (pass) {
            return Decision.Verdict.ALLOWED;
        }
        return mode.audit() ? Decision.Verdict.AUDIT : Decision.Verdict.DENIED;
    }

    private boolean k8sRule(NetworkPolicy np, NetworkPolicy.Rule r, Endpoint peer, String peerAddr, int proto, int port) {
        boolean portOk = r.ports().isEmpty() || r.ports().stream().anyMatch(p -> p.matches(proto, port));
        boolean peerOk = r.peers().isEmpty() || r.peers().stream().anyMatch(p -> k8sPeer(np, p, peer, peerAddr));
        return portOk && peerOk;
    }

    private boolean k8sPeer(NetworkPolicy np, NetworkPolicy.Peer p, Endpoint peer, String peerAddr) {
        if (p.ipBlock() != null) {
            return p.ipBlock().containsAddress(Cidr.parseAddress(peerAddr, peerAddr));
        }
        if (peer == null) {
            return false;
        }
        boolean ns = p.namespaceSelector() == null ? peer.namespace().equals(np.namespace())
                : p.namespaceSelector().matches(snap.namespaceLabels(peer.namespace()));
        return ns && (p.podSelector() == null || p.podSelector().matches(peer.labels()));
    }

    private boolean weirRule(WeirPolicy wp, WeirPolicy.Rule r, Endpoint ep, Endpoint peer, String peerAddr, int proto, int port) {
        if (r.selectsNothing()) {
            return false;
        }
        boolean portOk = r.ports().isEmpty() || r.ports().stream().anyMatch(p -> p.matches(proto, port));
        boolean peerOk = !r.hasPeers()
                || r.endpoints().stream().anyMatch(s -> peer != null && weirEndpoint(wp, s, peer))
                || r.entities().stream().anyMatch(e -> entity(e, ep, peer, peerAddr))
                || r.cidrs().stream().anyMatch(b -> b.containsAddress(Cidr.parseAddress(peerAddr, peerAddr)));
        return portOk && peerOk;
    }

    private boolean weirEndpoint(WeirPolicy wp, LabelSelector s, Endpoint peer) {
        boolean nsOk = wp.clusterWide() || s.mentions(Identities.NAMESPACE_LABEL) || peer.namespace().equals(wp.namespace());
        return nsOk && s.matches(view(peer));
    }

    private boolean entity(Entity e, Endpoint ep, Endpoint peer, String peerAddr) {
        Node node = nodeOf(peerAddr);
        return switch (e) {
            case ALL -> true;
            case CLUSTER -> peer != null || node != null;
            case WORLD -> peer == null && node == null;
            case HOST -> node != null && node.name().equals(ep.node());
            case REMOTE_NODE -> node != null && !node.name().equals(ep.node());
        };
    }

    private Node nodeOf(String addr) {
        return snap.nodes().stream().filter(n -> addr.equals(n.ipv4()) || addr.equals(n.ipv6())).findFirst().orElse(null);
    }

    private boolean selects(WeirPolicy wp, Endpoint ep) {
        return (wp.clusterWide() || wp.namespace().equals(ep.namespace())) && wp.endpointSelector().matches(view(ep));
    }

    private Map<String, String> view(Endpoint ep) {
        return Identities.selectorView(Identities.endpointLabels(ep, new Namespace(ep.namespace(), snap.namespaceLabels(ep.namespace()))));
    }

    /** Most specific scope wins: a matching pod-scoped mode, the namespace's, the cluster's; first by name. */
    private PolicyMode mode(Endpoint ep) {
        List<PolicyMode> modes = snap.policies().stream().filter(p -> p instanceof PolicyMode).map(p -> (PolicyMode) p)
                .sorted(java.util.Comparator.comparing(PolicyMode::name)).toList();
        for (PolicyMode m : modes) {
            if (m.namespace() != null && m.namespace().equals(ep.namespace()) && m.podSelector() != null && m.podSelector().matches(ep.labels())) {
                return m;
            }
        }
        for (PolicyMode m : modes) {
            if (m.namespace() != null && m.namespace().equals(ep.namespace()) && m.podSelector() == null) {
                return m;
            }
        }
        return modes.stream().filter(m -> m.namespace() == null).findFirst().orElse(ModeResolver.DEFAULT);
    }
}
