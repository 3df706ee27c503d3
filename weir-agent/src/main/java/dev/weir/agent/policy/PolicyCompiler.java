package dev.weir.agent.policy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

import dev.weir.agent.cluster.Endpoint;

import dev.weir.agent.identity.Identities;
import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.Protocol;

/**
 * Compiles one policy at a time against one {@link IdentityTable} into its {@link Contribution}: the endpoints it
 * selects, the directions it isolates them in, its rules and the raw entries it gives each of them. Rules are
 * numbered from 1 within the policy; {@link IncrementalPolicyEngine} numbers them across the policies. Each
 * policy gets its own {@link PeerResolver}, so its warnings are its own.
 */
final class PolicyCompiler {

    private static final List<Protocol> ANY_PROTOCOLS = List.of(Protocol.TCP, Protocol.UDP, Protocol.SCTP);
    private static final String NS_KEY = Identities.NAMESPACE_LABEL;

    /**
     * What one policy gives the endpoints it selects: the same raw entries to each (rule numbers local: 1 is
     * the policy's first rule), and isolation in some directions. Immutable.
     *
     * @param rules    the policy's rules in order, {@code rules.get(i)} numbered {@code i + 1} locally
     * @param selected the ids of the endpoints it selects
     * @param isolates which directions it isolates them in, by {@link Direction#ordinal()}
     * @param entries  the raw entries each selected endpoint gets, in the order they were compiled
     * @param warnings what could not be compiled exactly
     * @param peers    what its peers select among endpoint identities: an identity that comes or goes and
     *                 matches one of these changes its entries
     * @param blocks   the address blocks it names: which endpoint identities they select depends on all of
     *                 those identities' addresses, which nodes on the nodes' addresses, which CIDR identities on
     *                 the named prefixes they cover
     * @param world    whether a rule of it names the {@code world} entity, whose peers are every named prefix
     */
    record Contribution(PolicyObject policy, List<RuleRef> rules, Set<Integer> selected, boolean[] isolates,
                        List<PolicyEntry> entries, List<String> warnings,
                        List<Predicate<IdentityTable.EndpointIdentity>> peers, List<IpBlock> blocks, boolean world) {

        boolean isolates(Direction dir) {
            return isolates[dir.ordinal()];
        }

        /** Whether one of its blocks holds one of these addresses (then what it selects may change with them). */
        boolean blocksHoldAny(List<byte[]> addresses) {
            return blocks.stream().anyMatch(b -> addresses.stream().anyMatch(a -> PeerResolver.holds(b, a)));
        }

        /** Whether its entries depend on whether these prefixes are named (a block covers one, or it names world). */
        boolean coversAny(java.util.Collection<Cidr> prefixes) {
            return !prefixes.isEmpty()
                    && (world || blocks.stream().anyMatch(b -> prefixes.stream().anyMatch(c -> PeerResolver.covers(b, c))));
        }

        /** Whether its entries depend on one of these endpoint identities. */
        boolean peersMatch(java.util.Collection<IdentityTable.EndpointIdentity> identities) {
            return identities.stream().anyMatch(id -> peers.stream().anyMatch(p -> p.test(id)));
        }

        /** The same contribution selecting other endpoints. */
        Contribution selecting(Set<Integer> endpoints) {
            return new Contribution(policy, rules, java.util.Collections.unmodifiableSet(endpoints), isolates, entries, warnings,
                    peers, blocks, world);
        }
    }

    private final ClusterSnapshot snap;
    private final IdentityTable table;

    PolicyCompiler(ClusterSnapshot snap, IdentityTable table) {
        this.snap = snap;
        this.table = table;
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

    /** Compiles one policy (a NetworkPolicy or a weir policy, not a mode). */
    Contribution compile(PolicyObject o) {
        One one = new One(o);
        if (o instanceof NetworkPolicy np) {
            one.k8s(np);
        } else if (o instanceof WeirPolicy wp) {
            one.weir(wp);
        } else {
            throw new IllegalArgumentException("not a policy that gives entries: " + o.kind());
        }
        return new Contribution(o, List.copyOf(one.rules), java.util.Collections.unmodifiableSet(one.selected),
                one.isolates, List.copyOf(one.entries), List.copyOf(one.warnings), List.copyOf(one.matchers), List.copyOf(one.blocks),
                one.world);
    }

    /** Whether the policy selects the endpoint (its identity taken from this compiler's table). */
    boolean selects(PolicyObject o, Endpoint ep) {
        if (o instanceof NetworkPolicy np) {
            return ep.namespace().equals(np.namespace()) && np.podSelector().matches(ep.labels());
        }
        WeirPolicy wp = (WeirPolicy) o;
        return (wp.clusterWide() || ep.namespace().equals(wp.namespace()))
                && wp.endpointSelector().matches(table.endpointIdentities.get(table.byEndpoint.get(ep.id())).selectorView());
    }

    /** The compilation of one policy. */
    private final class One {
        private final PolicyObject policy;
        private final List<RuleRef> rules = new ArrayList<>();
        private final Set<Integer> selected = new java.util.LinkedHashSet<>();
        private final boolean[] isolates = new boolean[2];
        private final List<PolicyEntry> entries = new ArrayList<>();
        private final List<String> warnings = new ArrayList<>();
        private final PeerResolver peers = new PeerResolver(table, warnings::add);
        private final List<Predicate<IdentityTable.EndpointIdentity>> matchers = new ArrayList<>();
        private final List<IpBlock> blocks = new ArrayList<>();
        private boolean world;

        One(PolicyObject policy) {
            this.policy = policy;
        }

        void k8s(NetworkPolicy np) {
            snap.endpoints().stream().filter(ep -> selects(np, ep)).forEach(ep -> selected.add(ep.id()));
            for (Direction dir : Direction.values()) {
                List<NetworkPolicy.Rule> list = np.rules(dir);
                String field = dir == Direction.INGRESS ? "ingress" : "egress";
                boolean active = np.policyTypes().contains(dir);
                isolates[dir.ordinal()] |= active;
                for (int i = 0; i < list.size(); i++) {
                    String path = "spec." + field + "[" + i + "]";
                    int rule = addRule(path);
                    if (!active) {
                        continue;
                    }
                    NetworkPolicy.Rule r = list.get(i);
                    Set<PeerKey> keys = new TreeSet<>();
                    if (r.peers().isEmpty()) {
                        keys.add(PeerKey.ANY);
                    }
                    for (int p = 0; p < r.peers().size(); p++) {
                        NetworkPolicy.Peer peer = r.peers().get(p);
                        if (peer.ipBlock() != null) {
                            blocks.add(peer.ipBlock());
                        } else {
                            matchers.add(PeerResolver.k8sMatcher(peer, np.namespace()));
                        }
                        keys.addAll(peers.k8s(peer, np.namespace(), np.ref() + " " + path + "." + (dir == Direction.INGRESS ? "from" : "to") + "[" + p + "]"));
                    }
                    entries.addAll(PolicyCompiler.entries(dir, keys, r.ports(), Action.ALLOW, rule));
                }
            }
        }

        void weir(WeirPolicy wp) {
            snap.endpoints().stream().filter(ep -> selects(wp, ep)).forEach(ep -> selected.add(ep.id()));
            for (Direction dir : Direction.values()) {
                if (wp.allows(dir) != null) {
                    isolates[dir.ordinal()] = true;
                    weirRules(wp, dir, Action.ALLOW, wp.allows(dir));
                }
                weirRules(wp, dir, Action.DENY, wp.denies(dir));
            }
        }

        private void weirRules(WeirPolicy wp, Direction dir, Action action, List<WeirPolicy.Rule> list) {
            for (int i = 0; i < list.size(); i++) {
                String path = "spec." + WeirPolicy.field(dir, action) + "[" + i + "]";
                int rule = addRule(path);
                WeirPolicy.Rule r = list.get(i);
                if (r.selectsNothing()) {
                    continue;
                }
                Set<PeerKey> keys = new TreeSet<>();
                if (!r.hasPeers()) {
                    keys.add(PeerKey.ANY);
                }
                for (LabelSelector s : r.endpoints()) {
                    matchers.add(PeerResolver.endpointsMatcher(confine(wp, s)));
                    keys.addAll(peers.endpoints(confine(wp, s)));
                }
                if (r.entities().contains(Entity.CLUSTER)) {
                    matchers.add(id -> true);
                }
                world |= r.entities().contains(Entity.WORLD);
                r.entities().forEach(e -> keys.addAll(peers.entity(e)));
                blocks.addAll(r.cidrs());
                r.cidrs().forEach(b -> keys.addAll(peers.block(b, wp.ref() + " " + path)));
                List<PortRule> ports = new ArrayList<>();
                for (PortRule p : r.ports()) {
                    if (p.protocol() == null) {
                        ANY_PROTOCOLS.forEach(proto -> ports.add(new PortRule(proto, p.ports())));
                    } else {
                        ports.add(p);
                    }
                }
                entries.addAll(PolicyCompiler.entries(dir, keys, ports, action, rule));
            }
        }

        /** Numbers the policy's next rule locally (the engine adds the policy's offset). */
        private int addRule(String path) {
            rules.add(new RuleRef(rules.size() + 1, policy.kind(), policy.namespace(), policy.name(), path));
            return rules.size();
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
}
