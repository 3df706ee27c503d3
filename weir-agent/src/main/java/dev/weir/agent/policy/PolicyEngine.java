package dev.weir.agent.policy;

import java.util.List;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.identity.IdentityAllocator;

/**
 * The policy engine: cluster state and policy intent in, identities, ipcache and per-endpoint entries
 * out (docs/policy-engine.md); and the reference evaluator of those entries. Stateless and thread-safe;
 * plain Java, no kernel.
 */
public final class PolicyEngine {

    /** The reserved rule that lets the local host reach its pods ({@code weir agent --allow-localhost always}). */
    public static final String ALLOW_LOCALHOST = "allow-localhost";

    private final boolean allowLocalhost;

    /** An engine without implicit rules: policy alone decides (the Kubernetes semantics the conformance checks use). */
    public PolicyEngine() {
        this(false);
    }

    /**
     * @param allowLocalhost whether the node's own host may always reach its pods, whatever their ingress policy
     *                       (as Cilium's {@code allow-localhost=always}: the kubelet's probes come from there): every
     *                       endpoint isolated for ingress gets an allow entry for the host identity, rule
     *                       {@value #ALLOW_LOCALHOST}; deny rules still win
     */
    public PolicyEngine(boolean allowLocalhost) {
        this.allowLocalhost = allowLocalhost;
    }

    /**
     * Resolves a snapshot. Takes one allocator reference per endpoint and per named CIDR (listed in
     * {@link PolicyResult#allocated()}); allocating before the previous result is released keeps numbers
     * stable. Output is deterministic: equal inputs and allocator state give equal results.
     */
    public PolicyResult resolve(ClusterSnapshot snap, IdentityAllocator allocator) {
        return new IncrementalPolicyEngine(allowLocalhost).update(snap, allocator);
    }

    /** Gives back the identity references a result took (call once the result is no longer in force). */
    public void release(PolicyResult result, IdentityAllocator allocator) {
        result.allocated().forEach(allocator::release);
    }

    /**
     * The reference evaluator: the verdict on a new connection from {@code src} to {@code dst}, evaluated
     * on the result's entries exactly as the datapath does.
     *
     * @param proto  IP protocol number
     * @param family 4 or 6 (the parties' addresses of that family are used)
     * @throws IllegalArgumentException for an unknown endpoint, or an address of the wrong family
     */
    public Decision decide(PolicyResult result, Party src, Party dst, int proto, int port, int family) {
        return DatapathEvaluator.decide(result, src, dst, proto, port, family);
    }

    /**
     * The identity the datapath of endpoint {@code endpointId} gives the address {@code addr}: its ipcache
     * lookup (longest prefix; a miss is world; its own node's address is host), as {@link #decide} uses it.
     *
     * @throws IllegalArgumentException for an unknown endpoint or a malformed address
     */
    public int identityOf(PolicyResult result, int endpointId, String addr) {
        Endpoint ep = DatapathEvaluator.endpointOf(result, Party.endpoint(endpointId));
        return DatapathEvaluator.identityOf(result, ep, addr);
    }
}
