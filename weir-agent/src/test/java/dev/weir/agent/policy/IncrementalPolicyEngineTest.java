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
 * removed, or changed under its name, modes and CIDRs included) its result equals a full resolution of the same
 * snapshot, and a change of one policy assembles only the endpoints that policy selects.
 */
class IncrementalPolicyEngineTest {

    private static final int CHANGES = 600;

    @Test
    void everyUpdateEqualsAFullResolution() {
        for (boolean localhost : new boolean[] {false, true}) {
            PolicyEngine full = new PolicyEngine(localhost);
            IncrementalPolicyEngine inc = new IncrementalPolicyEngine(localhost);
            InMemoryIdentityAllocator alloc = new InMemoryIdentityAllocator();
            RandomPolicies gen = new RandomPolicies(localhost ? 7L : 11L);
            Random rnd = new Random(localhost ? 3L : 5L);
            List<PolicyObject> policies = new ArrayList<>(gen.next());
            int partial = 0;
            for (int i = 0; i < CHANGES; i++) {
                change(policies, gen, rnd);
                ClusterSnapshot snap = NetpolCluster.snapshot(policies);
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
