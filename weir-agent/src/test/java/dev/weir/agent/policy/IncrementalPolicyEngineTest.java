package dev.weir.agent.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.cluster.Namespace;
import dev.weir.agent.cluster.Node;
import dev.weir.agent.identity.IdentityInfo;
import dev.weir.agent.identity.IdentityKind;
import dev.weir.agent.identity.InMemoryIdentityAllocator;

/**
 * The incremental engine against full resolutions: after every random change of the policies (a policy added,
 * removed, or changed under its name, modes and CIDRs included), of the endpoints (a pod added, removed,
 * relabelled, readdressed in either family, moved to another namespace and place in the list, or every pod of an
 * identity removed; joining an identity or making a new one), of the namespaces (relabelled, added, removed) or of
 * the nodes (readdressed, added, removed, renamed) its result equals a full resolution of the same snapshot; a change
 * of one policy (one that names a new prefix included), one mode, one pod, one namespace or one node assembles only
 * the endpoints it concerns; and the engine holds exactly the identity references of its last result.
 */
class IncrementalPolicyEngineTest {

    private static final int CHANGES = 1000;
    private static final int PARTIAL_PERCENT = 35;

    @Test
    void everyUpdateEqualsAFullResolution() {
        for (boolean localhost : new boolean[] {false, true}) {
            PolicyEngine full = new PolicyEngine(localhost);
            IncrementalPolicyEngine inc = new IncrementalPolicyEngine(localhost);
            InMemoryIdentityAllocator alloc = new InMemoryIdentityAllocator();
            RandomPolicies gen = new RandomPolicies(localhost ? 7L : 11L);
            Random rnd = new Random(localhost ? 3L : 5L);
            List<PolicyObject> policies = new ArrayList<>(gen.next());
            ClusterSnapshot base = NetpolCluster.snapshot(List.of());
            List<Endpoint> endpoints = new ArrayList<>(base.endpoints());
            List<Namespace> namespaces = new ArrayList<>(base.namespaces());
            List<Node> nodes = new ArrayList<>(base.nodes());
            int partial = 0;
            List<Integer> computedEverything = new ArrayList<>();
            ClusterSnapshot last = null;
            for (int i = 0; i < CHANGES; i++) {
                int what = rnd.nextInt(10);
                if (what < 5) {
                    change(policies, gen, rnd);
                } else if (what < 8) {
                    change(endpoints, rnd);
                } else if (what < 9) {
                    changeNamespaces(namespaces, rnd);
                } else {
                    changeNodes(nodes, endpoints, rnd);
                }
                ClusterSnapshot snap = new ClusterSnapshot(nodes, namespaces, endpoints, policies);
                PolicyResult want = full.resolve(snap, alloc);
                PolicyResult got = inc.update(snap, alloc);
                assertSame(got, want, "change " + i + " (localhost " + localhost + ")");
                if (inc.lastAssembled() < snap.endpoints().size()) {
                    partial++;
                }
                if (i > 0 && inc.lastComputedEverything() && EndpointChanges.of(last, snap) != null) {
                    computedEverything.add(i);
                }
                last = snap;
            }
            // the model has a few endpoints: a policy that selects all of them recompiled, a cluster-wide mode changed
            // or a policy added early in the order (its followers renumbered) assembles every endpoint
            assertThat(partial).as("updates that assembled only some endpoints").isGreaterThan(CHANGES * PARTIAL_PERCENT / 100);
            assertThat(computedEverything).as("updates that computed everything though no unchanged endpoint changed place").isEmpty();
        }
    }

    @Test
    void aChangeOfOnePolicyAssemblesOnlyTheEndpointsItSelects() {
        IncrementalPolicyEngine inc = new IncrementalPolicyEngine(false);
        InMemoryIdentityAllocator alloc = new InMemoryIdentityAllocator();
        NetworkPolicy a = deny("x", "a-only", "a");
        NetworkPolicy b = deny("y", "b-only", "b");
        ClusterSnapshot first = NetpolCluster.snapshot(List.of(a, b));
        inc.update(first, alloc);
        assertThat(inc.lastAssembled()).isEqualTo(first.endpoints().size());

        NetworkPolicy b2 = deny("y", "b-only", "c"); // the same policy, now selecting y/c instead of y/b
        PolicyResult r = inc.update(NetpolCluster.snapshot(List.of(a, b2)), alloc);
        assertThat(inc.lastAssembled()).as("y/b and y/c").isEqualTo(2);
        assertThat(r.endpoint(NetpolCluster.id("y/c")).ingressEnforced()).isTrue();
        assertThat(r.endpoint(NetpolCluster.id("y/b")).ingressEnforced()).isFalse();
        assertThat(r.endpoint(NetpolCluster.id("x/a")).ingressEnforced()).as("kept from before").isTrue();

        inc.update(NetpolCluster.snapshot(List.of(a, b2)), alloc);
        assertThat(inc.lastAssembled()).as("nothing changed").isZero();
    }

    @Test
    void aNewPodThatJoinsAnIdentityAssemblesItselfAndThePoliciesThatSelectIt() {
        Started s = Started.withTwoDenies();
        List<Endpoint> more = new ArrayList<>(s.first().endpoints());
        Endpoint xa = s.first().endpoints().get(NetpolCluster.id("x/a") - 1);
        more.add(new Endpoint(100, "x", "a2", xa.labels(), xa.node(), "10.244.1.11", null, "lxc-x-a2"));
        PolicyResult r = s.update(more, s.first().namespaces());
        assertThat(s.inc().lastAssembled()).as("only the new pod").isEqualTo(1);
        assertThat(r.endpoint(100).ingressEnforced()).isTrue();
        assertThat(r.endpoint(100).identity()).isEqualTo(r.endpoint(NetpolCluster.id("x/a")).identity());
        assertThat(r.ipcache()).containsValue(r.endpoint(100).identity());
    }

    @Test
    void aPodThatLeavesItsIdentityLastTakesTheIdentityAlong() {
        Started s = Started.withTwoDenies();
        int za = NetpolCluster.id("z/a");
        int identity = s.result().endpoint(za).identity();
        List<Endpoint> fewer = new ArrayList<>(s.first().endpoints());
        fewer.removeIf(ep -> ep.id() == za);
        PolicyResult r = s.update(fewer, s.first().namespaces());
        assertThat(s.inc().lastAssembled()).as("no policy selects or names z/a").isZero();
        assertThat(r.identity(identity)).as("z/a was its only endpoint").isNull();
        assertThat(r.ipcache()).doesNotContainValue(identity);
        assertThat(s.alloc().references(identity)).isZero();
        assertThat(s.alloc().gc()).as("collected once unused").isEqualTo(1);
    }

    @Test
    void aRelabelledNamespaceRegroupsOnlyItsPods() {
        Started s = Started.withTwoDenies();
        List<Namespace> namespaces = new ArrayList<>(s.first().namespaces());
        namespaces.replaceAll(n -> n.name().equals("z") ? new Namespace("z", Map.of("ns", "z", "team", "t")) : n);
        PolicyResult r = s.update(s.first().endpoints(), namespaces);
        assertThat(s.inc().lastAssembled()).as("z/a, z/b and z/c").isEqualTo(3);
        int zb = NetpolCluster.id("z/b");
        int xb = NetpolCluster.id("x/b");
        assertThat(r.endpoint(zb).identity()).isNotEqualTo(s.result().endpoint(zb).identity());
        assertThat(r.endpoint(xb).identity()).isEqualTo(s.result().endpoint(xb).identity());
        assertSame(r, new PolicyEngine().resolve(r.snapshot(), s.alloc()), "relabelled z");
    }

    /** An engine that computed the netpol model under two policies isolating x/a and y/b for ingress. */
    private record Started(IncrementalPolicyEngine inc, InMemoryIdentityAllocator alloc, ClusterSnapshot first, PolicyResult result) {

        static Started withTwoDenies() {
            IncrementalPolicyEngine inc = new IncrementalPolicyEngine(false);
            InMemoryIdentityAllocator alloc = new InMemoryIdentityAllocator();
            ClusterSnapshot first = NetpolCluster.snapshot(List.of(deny("x", "a-only", "a"), deny("y", "b-only", "b")));
            return new Started(inc, alloc, first, inc.update(first, alloc));
        }

        /** The update for the first snapshot with these endpoints and namespaces. */
        PolicyResult update(List<Endpoint> endpoints, List<Namespace> namespaces) {
            return inc.update(new ClusterSnapshot(first.nodes(), namespaces, endpoints, first.policies()), alloc);
        }
    }

    @Test
    void theEngineHoldsTheReferencesOfItsLastResult() {
        IncrementalPolicyEngine inc = new IncrementalPolicyEngine(true);
        InMemoryIdentityAllocator alloc = new InMemoryIdentityAllocator();
        RandomPolicies gen = new RandomPolicies(13L);
        Random rnd = new Random(17L);
        List<PolicyObject> policies = new ArrayList<>(gen.next());
        ClusterSnapshot base = NetpolCluster.snapshot(List.of());
        List<Endpoint> endpoints = new ArrayList<>(base.endpoints());
        List<Namespace> namespaces = new ArrayList<>(base.namespaces());
        List<Node> nodes = new ArrayList<>(base.nodes());
        PolicyResult r = null;
        int prefixesChanged = 0;
        for (int i = 0; i < CHANGES / 2; i++) {
            Set<dev.weir.agent.net.Cidr> before = PolicyCompiler.cidrs(policies);
            switch (rnd.nextInt(6)) {
                case 0, 1 -> change(policies, gen, rnd);
                case 2 -> changeNamespaces(namespaces, rnd);
                case 3 -> changeNodes(nodes, endpoints, rnd);
                default -> change(endpoints, rnd);
            }
            if (!before.equals(PolicyCompiler.cidrs(policies))) {
                prefixesChanged++;
            }
            r = inc.update(new ClusterSnapshot(nodes, namespaces, endpoints, policies), alloc);
            Map<Integer, Long> held = r.allocated().stream().collect(Collectors.groupingBy(id -> id, Collectors.counting()));
            assertThat(held.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(endpoints.size() + r.identities().stream()
                    .filter(id -> id.kind() == IdentityKind.CIDR).count());
            for (IdentityInfo id : r.identities()) {
                if (id.kind() != IdentityKind.RESERVED) {
                    assertThat(alloc.references(id.id())).as("change " + i + ": references of " + id).isEqualTo(held.get(id.id()).intValue());
                }
            }
        }
        assertThat(prefixesChanged).as("changes of the named prefixes, which the engine follows").isGreaterThan(CHANGES / 20);
        new PolicyEngine().release(r, alloc);
        alloc.gc();
        assertThat(alloc.size()).as("every reference given back").isZero();
    }

    @Test
    void aPolicyNamingANewPrefixAssemblesTheEndpointsItSelectsAndThoseWhosePeersTheNewIdentityIs() {
        IncrementalPolicyEngine inc = new IncrementalPolicyEngine(false);
        InMemoryIdentityAllocator alloc = new InMemoryIdentityAllocator();
        NetworkPolicy toWorld = egress("y", "b-world", "b", block("0.0.0.0/0")); // its block covers the new prefix
        NetworkPolicy exceptIt = egress("z", "a-except", "a", block("0.0.0.0/0", "203.0.0.0/8")); // its block does not
        List<PolicyObject> policies = new ArrayList<>(List.of(deny("x", "a-only", "a"), toWorld, exceptIt));
        inc.update(NetpolCluster.snapshot(policies), alloc);

        policies.add(egress("z", "zz-new", "c", block("203.0.113.0/24"))); // last in the order: nothing renumbered
        PolicyResult r = inc.update(NetpolCluster.snapshot(policies), alloc);
        assertThat(inc.lastAssembled()).as("z/c, which it selects, and y/b, whose block covers the new prefix").isEqualTo(2);
        int cidr = cidrIdentity(r, "203.0.113.0/24");
        assertThat(r.ipcache()).containsEntry(dev.weir.agent.net.Cidr.parse("203.0.113.0/24"), cidr);
        assertThat(r.endpoint(NetpolCluster.id("y/b")).entries()).anyMatch(e -> e.peerIdentity() == cidr);
        assertThat(r.endpoint(NetpolCluster.id("z/a")).entries()).noneMatch(e -> e.peerIdentity() == cidr);
        assertThat(alloc.references(cidr)).as("one reference per named prefix").isEqualTo(1);
        assertFull(r, alloc, "a new prefix");

        policies.removeLast();
        r = inc.update(NetpolCluster.snapshot(policies), alloc);
        assertThat(inc.lastAssembled()).as("z/c and y/b again").isEqualTo(2);
        assertThat(r.identity(cidr)).isNull();
        assertThat(r.ipcache()).doesNotContainValue(cidr);
        assertThat(alloc.references(cidr)).as("given back").isZero();
        assertFull(r, alloc, "the prefix gone");
    }

    @Test
    void aModeChangeAssemblesOnlyTheEndpointsItCovers() {
        Started s = Started.withTwoDenies();
        List<PolicyObject> policies = new ArrayList<>(s.first().policies());
        policies.add(new PolicyMode("y", "audit", null, LabelSelector.of(Map.of("pod", "b")), PolicyMode.Enforcement.DEFAULT, true));
        PolicyResult r = s.inc().update(s.first().withPolicies(policies), s.alloc());
        assertThat(s.inc().lastAssembled()).as("y/b").isEqualTo(1);
        assertThat(r.endpoint(NetpolCluster.id("y/b")).ingressAudit()).isTrue();

        policies.set(policies.size() - 1, new PolicyMode("y", "audit", null, null, PolicyMode.Enforcement.DEFAULT, true));
        r = s.inc().update(s.first().withPolicies(policies), s.alloc());
        assertThat(s.inc().lastAssembled()).as("y/a, y/b and y/c: the namespace's").isEqualTo(3);
        assertThat(r.endpoint(NetpolCluster.id("y/c")).ingressAudit()).isTrue();

        policies.add(new PolicyMode("y", "other", null, null, PolicyMode.Enforcement.NEVER, false));
        r = s.inc().update(s.first().withPolicies(policies), s.alloc());
        assertThat(s.inc().lastAssembled()).as("y's pods again").isEqualTo(3);
        assertThat(r.warnings()).anyMatch(w -> w.contains("several PolicyModes apply"));
        assertFull(r, s.alloc(), "two modes in y");

        policies.removeLast();
        r = s.inc().update(s.first().withPolicies(policies), s.alloc());
        assertThat(r.warnings()).noneMatch(w -> w.contains("several PolicyModes apply"));
        policies.add(new PolicyMode(null, "cluster", null, null, PolicyMode.Enforcement.ALWAYS, false));
        r = s.inc().update(s.first().withPolicies(policies), s.alloc());
        assertThat(s.inc().lastAssembled()).as("a cluster-wide mode: every endpoint").isEqualTo(s.first().endpoints().size());
        assertFull(r, s.alloc(), "a cluster mode");
    }

    @Test
    void aReaddressedNodeAssemblesOnlyTheEndpointsOfPoliciesWhoseBlocksHoldItsAddresses() {
        IncrementalPolicyEngine inc = new IncrementalPolicyEngine(false);
        InMemoryIdentityAllocator alloc = new InMemoryIdentityAllocator();
        List<PolicyObject> policies = List.of(deny("x", "a-only", "a"), egress("y", "b-nodes", "b", block("192.168.100.0/24")));
        ClusterSnapshot first = NetpolCluster.snapshot(policies);
        inc.update(first, alloc);
        List<Node> nodes = new ArrayList<>(first.nodes());
        Node n2 = nodes.get(1);
        nodes.set(1, new Node(n2.name(), n2.netns(), "10.9.0.2", n2.ipv6()));
        PolicyResult r = inc.update(new ClusterSnapshot(nodes, first.namespaces(), first.endpoints(), policies), alloc);
        assertThat(inc.lastAssembled()).as("y/b: its block held node2's address, and now some of the nodes' only").isEqualTo(1);
        assertThat(r.ipcache()).containsEntry(dev.weir.agent.net.Cidr.parse("10.9.0.2"), dev.weir.agent.identity.Identities.REMOTE_NODE)
                .doesNotContainKey(dev.weir.agent.net.Cidr.parse(n2.ipv4()));
        assertThat(r.warnings()).anyMatch(w -> w.contains("covers some but not all node addresses"));
        assertFull(r, alloc, "node2 readdressed");
    }

    private static NetworkPolicy egress(String ns, String name, String pod, IpBlock to) {
        return new NetworkPolicy(ns, name, null, LabelSelector.of(Map.of("pod", pod)), Set.of(Direction.EGRESS), List.of(),
                List.of(new NetworkPolicy.Rule(List.of(new NetworkPolicy.Peer(null, null, to)), List.of())));
    }

    private static IpBlock block(String cidr, String... except) {
        return new IpBlock(dev.weir.agent.net.Cidr.parse(cidr), java.util.Arrays.stream(except).map(dev.weir.agent.net.Cidr::parse).toList());
    }

    private static int cidrIdentity(PolicyResult r, String cidr) {
        return r.identities().stream().filter(id -> id.labels().equals(dev.weir.agent.identity.Identities.cidrLabels(dev.weir.agent.net.Cidr.parse(cidr))))
                .findFirst().orElseThrow().id();
    }

    private static final String[] POD_LABELS = {"a", "b", "c", "d"};
    private static final String[] NAMESPACES = {"x", "y", "z", "w"}; // w is not in the model: a namespace with its name label alone
    private static final List<Node> NODES = NetpolCluster.snapshot(List.of()).nodes();
    private static int nextId = 1000;

    /**
     * Adds, removes, relabels, readdresses (either family) or moves one endpoint to another namespace and place in
     * the list, or removes every endpoint of one identity.
     */
    private static void change(List<Endpoint> endpoints, Random rnd) {
        int what = endpoints.isEmpty() ? 0 : rnd.nextInt(7);
        int i = endpoints.isEmpty() ? 0 : rnd.nextInt(endpoints.size());
        Endpoint e = endpoints.isEmpty() ? null : endpoints.get(i);
        switch (what) {
            case 0 -> {
                int id = nextId++;
                endpoints.add(rnd.nextInt(endpoints.size() + 1), new Endpoint(id, NAMESPACES[rnd.nextInt(3)], "p" + id,
                        Map.of("pod", POD_LABELS[rnd.nextInt(POD_LABELS.length)]), rnd.nextBoolean() ? "node1" : "node2",
                        ipv4(rnd, endpoints), rnd.nextBoolean() ? null : ipv6(rnd, endpoints), "lxc" + id));
            }
            case 1 -> endpoints.remove(i);
            case 2 -> endpoints.set(i, new Endpoint(e.id(), e.namespace(), e.name(), Map.of("pod", POD_LABELS[rnd.nextInt(POD_LABELS.length)]),
                    e.node(), e.ipv4(), e.ipv6(), e.iface()));
            case 3 -> endpoints.set(i, new Endpoint(e.id(), e.namespace(), e.name(), e.labels(), e.node(), ipv4(rnd, endpoints), e.ipv6(), e.iface()));
            case 4 -> endpoints.set(i, new Endpoint(e.id(), e.namespace(), e.name(), e.labels(), e.node(), e.ipv4(),
                    rnd.nextBoolean() ? null : ipv6(rnd, endpoints), e.iface()));
            case 5 -> { // as the agent sorts endpoints by namespace/name, a moved pod changes place
                endpoints.remove(i);
                endpoints.add(rnd.nextInt(endpoints.size() + 1), new Endpoint(e.id(), NAMESPACES[rnd.nextInt(NAMESPACES.length)], e.name(),
                        e.labels(), e.node(), e.ipv4(), e.ipv6(), e.iface()));
            }
            default -> endpoints.removeIf(o -> o.namespace().equals(e.namespace()) && o.labels().equals(e.labels()));
        }
    }

    /**
     * A random pod address, now and then one that another endpoint or a node has (two endpoints with one address:
     * the later in the list has it in the ipcache; a node's address stays the node's).
     */
    private static String ipv4(Random rnd, List<Endpoint> endpoints) {
        return shared(rnd, endpoints, Endpoint::ipv4, NODES.stream().map(Node::ipv4).toList(),
                "10.244." + (1 + rnd.nextInt(4)) + "." + (1 + rnd.nextInt(250)));
    }

    private static String ipv6(Random rnd, List<Endpoint> endpoints) {
        return shared(rnd, endpoints, Endpoint::ipv6, NODES.stream().map(Node::ipv6).toList(),
                "fd00:10:244:" + (1 + rnd.nextInt(4)) + "::" + Integer.toHexString(1 + rnd.nextInt(250)));
    }

    private static String shared(Random rnd, List<Endpoint> endpoints, Function<Endpoint, String> address, List<String> nodes,
                                 String fresh) {
        int what = rnd.nextInt(12);
        String a = what < 2 && !endpoints.isEmpty() ? address.apply(endpoints.get(rnd.nextInt(endpoints.size())))
                : what == 2 ? nodes.get(rnd.nextInt(nodes.size())) : null;
        return a != null ? a : fresh;
    }

    /**
     * Readdresses one node (now and then to an endpoint's address, or to a prefix some policy names), adds one,
     * removes one (one stays) or renames one.
     */
    private static void changeNodes(List<Node> nodes, List<Endpoint> endpoints, Random rnd) {
        int i = rnd.nextInt(nodes.size());
        Node n = nodes.get(i);
        switch (rnd.nextInt(4)) {
            case 0 -> nodes.set(i, new Node(n.name(), n.netns(), nodeIpv4(rnd, endpoints), rnd.nextBoolean() ? n.ipv6() : null));
            case 1 -> nodes.set(i, new Node(n.name(), n.netns(), n.ipv4(), rnd.nextBoolean() ? null
                    : "fd00:192:168:100::" + Integer.toHexString(1 + rnd.nextInt(9))));
            case 2 -> {
                if (nodes.size() > 1) {
                    nodes.remove(i);
                } else {
                    nodes.add(new Node("node" + nextId++, "netns", nodeIpv4(rnd, endpoints), null));
                }
            }
            default -> {
                if (rnd.nextBoolean()) {
                    nodes.set(i, new Node("node" + nextId++, n.netns(), n.ipv4(), n.ipv6()));
                } else {
                    nodes.add(rnd.nextInt(nodes.size() + 1), new Node("node" + nextId++, "netns", nodeIpv4(rnd, endpoints),
                            rnd.nextBoolean() ? null : "fd00:192:168:100::" + Integer.toHexString(1 + rnd.nextInt(9))));
                }
            }
        }
    }

    private static String nodeIpv4(Random rnd, List<Endpoint> endpoints) {
        return switch (rnd.nextInt(4)) {
            case 0 -> endpoints.isEmpty() ? "10.244.2.1" : endpoints.get(rnd.nextInt(endpoints.size())).ipv4();
            case 1 -> "192.168.100.200"; // RandomPolicies names it
            default -> "192.168.100." + (1 + rnd.nextInt(9));
        };
    }

    /** Relabels, adds or removes one namespace (the selectors of {@link RandomPolicies} look at {@code ns}). */
    private static void changeNamespaces(List<Namespace> namespaces, Random rnd) {
        String name = NAMESPACES[rnd.nextInt(NAMESPACES.length)];
        namespaces.removeIf(n -> n.name().equals(name));
        Map<String, String> labels = switch (rnd.nextInt(4)) {
            case 0 -> null;
            case 1 -> Map.of();
            case 2 -> Map.of("ns", NAMESPACES[rnd.nextInt(3)], "kubernetes.io/metadata.name", name);
            default -> Map.of("ns", name, "team", "t" + rnd.nextInt(2));
        };
        if (labels != null) {
            namespaces.add(rnd.nextInt(namespaces.size() + 1), new Namespace(name, labels));
        }
    }

    /** Adds, removes or rewrites one policy (a rewrite keeps the kind, namespace and name of the one it replaces). */
    private static void change(List<PolicyObject> policies, RandomPolicies gen, Random rnd) {
        int what = policies.isEmpty() ? 0 : rnd.nextInt(3);
        List<PolicyObject> some = gen.next();
        PolicyObject fresh = some.get(rnd.nextInt(some.size())); // now and then a PolicyMode
        switch (what) {
            case 0 -> policies.add(fresh);
            case 1 -> policies.remove(rnd.nextInt(policies.size()));
            default -> {
                int i = rnd.nextInt(policies.size());
                PolicyObject old = policies.get(i);
                if (old instanceof NetworkPolicy np && fresh instanceof NetworkPolicy f) {
                    policies.set(i, new NetworkPolicy(np.namespace(), np.name(), np.source(), f.podSelector(), f.policyTypes(),
                            f.rules(Direction.INGRESS), f.rules(Direction.EGRESS)));
                } else {
                    policies.set(i, fresh);
                }
            }
        }
    }

    private static NetworkPolicy deny(String ns, String name, String pod) {
        return new NetworkPolicy(ns, name, null, LabelSelector.of(Map.of("pod", pod)), Set.of(Direction.INGRESS), List.of(), List.of());
    }

    /** Compares with a full resolution from the same allocator, whose references it then gives back. */
    private static void assertFull(PolicyResult got, InMemoryIdentityAllocator alloc, String where) {
        PolicyEngine full = new PolicyEngine();
        PolicyResult want = full.resolve(got.snapshot(), alloc);
        assertSame(got, want, where);
        full.release(want, alloc);
    }

    private static void assertSame(PolicyResult got, PolicyResult want, String where) {
        assertThat(got.identities()).as(where + ": identities").isEqualTo(want.identities());
        assertThat(got.ipcache()).as(where + ": ipcache").isEqualTo(want.ipcache());
        assertThat(got.rules()).as(where + ": rules").isEqualTo(want.rules());
        assertThat(got.endpoints()).as(where + ": endpoints").isEqualTo(want.endpoints());
        assertThat(got.warnings()).as(where + ": warnings").isEqualTo(want.warnings());
        assertThat(got.snapshot()).as(where + ": snapshot").isEqualTo(want.snapshot());
        assertThat(got.snapshot().endpoints().stream().map(Endpoint::id).toList()).containsExactlyInAnyOrderElementsOf(want.endpoints().keySet());
    }
}
