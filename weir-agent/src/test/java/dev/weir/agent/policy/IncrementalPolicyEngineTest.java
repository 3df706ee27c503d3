package dev.weir.agent.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.identity.InMemoryIdentityAllocator;

/**
 * The incremental engine against full resolutions: after every random change of the policies (a policy added,
 * removed, or changed under its name, modes and CIDRs included) or of the endpoints (a pod added, removed,
 * relabelled or readdressed, joining an identity or making a new one) its result equals a full resolution of the
 * same snapshot, and a change of one policy or one pod assembles only the endpoints it concerns.
 */
class IncrementalPolicyEngineTest {

    private static final int CHANGES = 1000;

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
            int partial = 0;
            for (int i = 0; i < CHANGES; i++) {
                if (rnd.nextBoolean()) {
                    change(policies, gen, rnd);
                } else {
                    change(endpoints, rnd);
                }
                ClusterSnapshot snap = new ClusterSnapshot(base.nodes(), base.namespaces(), endpoints, policies);
                PolicyResult want = full.resolve(snap, alloc);
                PolicyResult got = inc.update(snap, alloc);
                assertSame(got, want, "change " + i + " (localhost " + localhost + ")");
                if (inc.lastAssembled() < snap.endpoints().size()) {
                    partial++;
                }
            }
            assertThat(partial).as("updates that assembled only some endpoints").isGreaterThan(CHANGES / 20); // most random changes touch a CIDR or a mode, which computes everything
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
        IncrementalPolicyEngine inc = new IncrementalPolicyEngine(false);
        InMemoryIdentityAllocator alloc = new InMemoryIdentityAllocator();
        List<PolicyObject> policies = List.of(deny("x", "a-only", "a"), deny("y", "b-only", "b"));
        ClusterSnapshot first = NetpolCluster.snapshot(policies);
        inc.update(first, alloc);
        List<Endpoint> more = new ArrayList<>(first.endpoints());
        Endpoint xa = first.endpoints().get(NetpolCluster.id("x/a") - 1);
        more.add(new Endpoint(100, "x", "a2", xa.labels(), xa.node(), "10.244.1.11", null, "lxc-x-a2"));
        PolicyResult r = inc.update(new ClusterSnapshot(first.nodes(), first.namespaces(), more, policies), alloc);
        assertThat(inc.lastAssembled()).as("only the new pod").isEqualTo(1);
        assertThat(r.endpoint(100).ingressEnforced()).isTrue();
        assertThat(r.endpoint(100).identity()).isEqualTo(r.endpoint(NetpolCluster.id("x/a")).identity());
        assertThat(r.ipcache()).containsValue(r.endpoint(100).identity());
    }

    private static final String[] POD_LABELS = {"a", "b", "c", "d"};
    private static final String[] NAMESPACES = {"x", "y", "z"};
    private static int nextId = 1000;

    /** Adds, removes, relabels or readdresses one endpoint. */
    private static void change(List<Endpoint> endpoints, Random rnd) {
        int what = endpoints.isEmpty() ? 0 : rnd.nextInt(4);
        switch (what) {
            case 0 -> {
                int id = nextId++;
                String ns = NAMESPACES[rnd.nextInt(3)];
                endpoints.add(new Endpoint(id, ns, "p" + id, Map.of("pod", POD_LABELS[rnd.nextInt(POD_LABELS.length)]),
                        rnd.nextBoolean() ? "node1" : "node2", "10.244." + (1 + rnd.nextInt(4)) + "." + (1 + rnd.nextInt(250)),
                        rnd.nextBoolean() ? null : "fd00:10:244:" + (1 + rnd.nextInt(4)) + "::" + Integer.toHexString(1 + rnd.nextInt(250)),
                        "lxc" + id));
            }
            case 1 -> endpoints.remove(rnd.nextInt(endpoints.size()));
            case 2 -> {
                int i = rnd.nextInt(endpoints.size());
                Endpoint e = endpoints.get(i);
                endpoints.set(i, new Endpoint(e.id(), e.namespace(), e.name(), Map.of("pod", POD_LABELS[rnd.nextInt(POD_LABELS.length)]),
                        e.node(), e.ipv4(), e.ipv6(), e.iface()));
            }
            default -> {
                int i = rnd.nextInt(endpoints.size());
                Endpoint e = endpoints.get(i);
                endpoints.set(i, new Endpoint(e.id(), e.namespace(), e.name(), e.labels(), e.node(),
                        "10.244." + (1 + rnd.nextInt(4)) + "." + (1 + rnd.nextInt(250)), e.ipv6(), e.iface()));
            }
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

    private static void assertSame(PolicyResult got, PolicyResult want, String where) {
        assertThat(got.identities()).as(where + ": identities").isEqualTo(want.identities());
        assertThat(got.ipcache()).as(where + ": ipcache").isEqualTo(want.ipcache());
        assertThat(got.rules()).as(where + ": rules").isEqualTo(want.rules());
        assertThat(got.endpoints()).as(where + ": endpoints").isEqualTo(want.endpoints());
        assertThat(got.warnings()).as(where + ": warnings").isEqualTo(want.warnings());
        assertThat(got.snapshot()).as(where + ": snapshot").isEqualTo(want.snapshot());
        assertThat(got.snapshot().endpoints().stream().map(Endpoint::id).toList()).containsExactlyElementsOf(want.endpoints().keySet());
    }
}
