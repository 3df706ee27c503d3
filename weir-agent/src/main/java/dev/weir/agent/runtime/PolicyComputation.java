package dev.weir.agent.runtime;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.weir.agent.endpoint.ClusterState;
import dev.weir.agent.policy.ClusterSnapshot;
import dev.weir.agent.policy.IncrementalPolicyEngine;
import dev.weir.agent.policy.PolicyObject;
import dev.weir.agent.policy.PolicyResult;
import dev.weir.agent.store.ObjectKey;
import dev.weir.agent.store.StoreIdentityAllocator;
import dev.weir.agent.store.StoredObject;

/**
 * The policy part of {@link ClusterCompiler}'s computation, kept between computations (docs/policy-engine.md,
 * "Incremental computation"): each stored policy object is parsed once, and again only when its document or
 * source changes; the {@link IncrementalPolicyEngine} computes again only what the changed policies, pods and
 * namespaces concern. Not thread-safe: its owner serialises calls.
 */
final class PolicyComputation {

    private record Parsed(String document, String source, List<PolicyObject> objects) {
    }

    private final EnginePolicyCompiler compiler;
    private final IncrementalPolicyEngine engine;
    private Map<ObjectKey, Parsed> parsed = new HashMap<>();

    PolicyComputation(EnginePolicyCompiler compiler) {
        this.compiler = compiler;
        this.engine = compiler.incremental();
    }

    /**
     * The engine's result for the cluster under these stored policy objects.
     *
     * @throws PolicyInputException when a stored object does not parse
     */
    PolicyResult compute(ClusterState cluster, List<StoredObject> objects, StoreIdentityAllocator identities) {
        Map<ObjectKey, Parsed> now = new HashMap<>();
        List<PolicyObject> policies = new ArrayList<>();
        for (StoredObject o : objects) {
            Parsed p = parsed.get(o.key());
            if (p == null || !p.document().equals(o.document()) || !p.source().equals(o.source())) {
                p = new Parsed(o.document(), o.source(), compiler.parse(o));
            }
            now.put(o.key(), p);
            policies.addAll(p.objects());
        }
        parsed = now;
        ClusterSnapshot snap = new ClusterSnapshot(cluster.nodes(), cluster.namespaces(), cluster.endpoints(), policies);
        return engine.update(snap, EnginePolicyCompiler.allocator(identities));
    }

    /** The next computation computes everything, identities allocated again. */
    void forget() {
        engine.forget();
    }
}
