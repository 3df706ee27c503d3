package dev.weir.agent.policy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.identity.Identities;
import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.Protocol;

/**
 * Compiles every policy of a snapshot into raw per-endpoint entries and isolation, and numbers the rules.
 * One instance per resolution.
 */
final class PolicyCompiler {

    private static final List<Protocol> ANY_PROTOCOLS = List.of(Protocol.TCP, Protocol.UDP, Protocol.SCTP);
    private static final String NS_KEY = Identities.NAMESPACE_LABEL;

    private final ClusterSnapshot snap;
    private final IdentityTable table;
    private final PeerResolver peers;
    final List<RuleRef> rules = new ArrayList<>();
    final Map<Integer, List<PolicyEntry>> entries = new HashMap<>();
    final Map<Integer, boolean[]> isolated = new HashMap<>();

    PolicyCompiler(ClusterSnapshot snap, IdentityTable table, Consumer<String> warnings) {
        this.snap = snap;
        this.table = table;
        this.peers = new PeerResolver(table, warnings);
    }

    /** Every prefix a policy names (ipBlock cidrs and excepts, weir CIDR peers): each gets an identity. */
    static Set<Cidr> cidrs(List<PolicyObject> policies) {
        Set<Cidr> out = new TreeSet<>();
        for (PolicyObject o : policies) {
            List<IpBlock> blocks = new ArrayList<>();
            if (o instanceof NetworkPolicy np) {
                for (Direction d : Direction.values()) {
                    np.rules(d).forEach(r -> r.peers().forEach(p -> {
                        if (p.ipBlock() != null) {
                            blocks.add(p.ipBlock());
                        }
                    }));
                }
            } else if (o instanceof WeirPolicy wp) {
                for (Direction d : Direction.values()) {
                    for (List<WeirPolicy.Rule> l : java.util.Arrays.asList(wp.allows(d), wp.denies(d))) {
                        if (l != null) {
                            l.forEach(r -> blocks.addAll(r.cidrs()));
                        }
                    }
                }
            }
            blocks.forEach(b -> {
                out.add(b.cidr());
                out.addAll(b.except());
            });
        }
        return out;
    }

    /** Policies in a stable order: NetworkPolicy, WeirNetworkPolicy, WeirClusterNetworkPolicy; namespace; name. */
    static List<PolicyObject> ordered(List<PolicyObject> policies) {
        Comparator<PolicyObject> c = Comparator.comparing(PolicyObject::kind, Comparator.comparingInt(PolicyCompiler::kindRank))
                .thenComparing(o -> o.namespace() == null ? "" : o.namespace()).thenComparing(PolicyObject::name);
        return policies.stream().filter(p -> !(p instanceof PolicyMode)).sorted(c).toList();
    }

    private static int kindRank(String kind) {
        return switch (kind) {
            case NetworkPolicy.KIND -> 0;
            case WeirPolicy.KIND -> 1;
            default -> 2;
        };
    }

    void compile() {
        for (PolicyObject o : ordered(snap.policies())) {
            if (o instanceof NetworkPolicy np) {
                compileK8s(np);
            } else if (o instanceof WeirPolicy wp) {
                compileWeir(wp);
            }
        }
    }

    private void compileK8s(NetworkPolicy np) {
        List<Endpoint> selected = snap.endpoints().stream()
                .filter(ep -> ep.namespace().equals(np.namespace()) && np.podSelector().matches(ep.labels())).toList();
        for (Direction dir : Direction.values()) {
            List<NetworkPolicy.Rule> list = np.rules(dir);
            String field = dir == Direction.INGRESS ? "ingress" : "egress";
            boolean active = np.policyTypes().contains(dir);
            if (active) {
                selected.forEach(ep -> isolate(ep, dir));
            }
            for (int i = 0; i < list.size(); i++) {
                String path = "spec." + field + "[" + i + "]";
                int rule = addRule(np, path);
                if (!active) {
                    continue;
                }
                NetworkPolicy.Rule r = list.get(i);
                Set<PeerKey> keys = new TreeSet<>();
                if (r.peers().isEmpty()) {
                    keys.add(PeerKey.ANY);
                }
                for (int p = 0; p < r.peers().size(); p++) {
                    keys.addAll(peers.k8s(r.peers().get(p), np.namespace(), np.ref() + " " + path + "." + (dir == Direction.INGRESS ? "from" : "to") + "[" + p + "]"));
                }
                attach(selected, entries(dir, keys, r.ports(), Action.ALLOW, rule));
            }
        }
    }

    private void compileWeir(WeirPolicy wp) {
        List<Endpoint> selected = snap.endpoints().stream()
                .filter(ep -> wp.clusterWide() || ep.namespace().equals(wp.namespace()))
                .filter(ep -> wp.endpointSelector().matches(table.endpointIdentities.get(table.byEndpoint.get(ep.id())).selectorView()))
                .toList();
        for (Direction dir : Direction.values()) {
            if (wp.allows(dir) != null) {
                selected.forEach(ep -> isolate(ep, dir));
                compileWeirRules(wp, selected, dir, Action.ALLOW, wp.allows(dir));
            }
            compileWeirRules(wp, selected, dir, Action.DENY, wp.denies(dir));
        }
    }

    private void compileWeirRules(WeirPolicy wp, List<Endpoint> selected, Direction dir, Action action, List<WeirPolicy.Rule> list) {
        for (int i = 0; i < list.size(); i++) {
            String path = "spec." + WeirPolicy.field(dir, action) + "[" + i + "]";
            int rule = addRule(wp, path);
            WeirPolicy.Rule r = list.get(i);
            if (r.selectsNothing()) {
                continue;
            }
            Set<PeerKey> keys = new TreeSet<>();
            if (!r.hasPeers()) {
                keys.add(PeerKey.ANY);
            }
            for (LabelSelector s : r.endpoints()) {
                keys.addAll(peers.endpoints(confine(wp, s)));
            }
            r.entities().forEach(e -> keys.addAll(peers.entity(e)));
            r.cidrs().forEach(b -> keys.addAll(peers.block(b, wp.ref() + " " + path)));
            List<PortRule> ports = new ArrayList<>();
            for (PortRule p : r.ports()) {
                if (p.protocol() == null) {
                    ANY_PROTOCOLS.forEach(proto -> ports.add(new PortRule(proto, p.ports())));
                } else {
                    ports.add(p);
                }
            }
            attach(selected, entries(dir, keys, ports, action, rule));
        }
    }

    /** A namespaced policy's endpoint selector stays in its namespace unless it names one itself. */
    private static LabelSelector confine(WeirPolicy wp, LabelSelector s) {
        if (wp.clusterWide() || s.mentions(NS_KEY)) {
            return s;
        }
        return s.and(new LabelSelector.Requirement(NS_KEY, LabelSelector.Operator.IN, List.of(wp.namespace())));
    }

    private static List<PolicyEntry> entries(Direction dir, Set<PeerKey> keys, List<PortRule> ports, Action action, int rule) {
        List<PolicyEntry> out = new ArrayList<>();
        for (PeerKey k : keys) {
            if (ports.isEmpty()) {
                out.add(new PolicyEntry(dir, k.identity(), k.family(), null, null, action, rule));
            }
            for (PortRule p : ports) {
                out.add(new PolicyEntry(dir, k.identity(), k.family(), p.protocol().number(), p.ports(), action, rule));
            }
        }
        return out;
    }

    private void attach(List<Endpoint> selected, List<PolicyEntry> list) {
        if (list.isEmpty()) {
            return;
        }
        for (Endpoint ep : selected) {
            entries.computeIfAbsent(ep.id(), k -> new ArrayList<>()).addAll(list);
        }
    }

    private void isolate(Endpoint ep, Direction dir) {
        isolated.computeIfAbsent(ep.id(), k -> new boolean[2])[dir.ordinal()] = true;
    }

    /** Numbers a rule of weir's own (no object: kind {@code reserved}), as flows name it. */
    int reservedRule(String name) {
        rules.add(new RuleRef(rules.size() + 1, "reserved", null, name, ""));
        return rules.size();
    }

    private int addRule(PolicyObject o, String path) {
        rules.add(new RuleRef(rules.size() + 1, o.kind(), o.namespace(), o.name(), path));
        return rules.size();
    }
}
