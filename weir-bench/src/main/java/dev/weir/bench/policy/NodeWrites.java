package dev.weir.bench.policy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.datapath.PolicyBlock;
import dev.weir.agent.datapath.PolicyMapCompiler;
import dev.weir.agent.net.Cidr;
import dev.weir.agent.policy.Action;
import dev.weir.agent.policy.Direction;
import dev.weir.agent.policy.EndpointPolicy;
import dev.weir.agent.policy.PolicyEntry;
import dev.weir.agent.policy.PolicyResult;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.datapath.endpoint.EpInfo;
import dev.weir.datapath.endpoint.IpcacheKey;
import dev.weir.datapath.endpoint.IpcacheVal;
import dev.weir.datapath.endpoint.PolKey;
import dev.weir.datapath.endpoint.PolVal;

/**
 * A node's map contents for one policy result, as {@code KernelPolicyDataplane.apply} computes them for a
 * first apply (generation 0): the ipcache, every local endpoint's {@code pol} entries through
 * {@link PolicyMapCompiler} and its {@code ep_info}. The conversion from blocks to keys is the
 * dataplane's, line for line (it is private there). Endpoint {@code e} is keyed by ifindex
 * {@value #IFINDEX_BASE} + its id (no interfaces exist). Immutable.
 */
public record NodeWrites(Map<IpcacheKey, IpcacheVal> ipcache, Map<PolKey, PolVal> pol, Map<Integer, EpInfo> endpoints) {

    public static final int IFINDEX_BASE = 100_000;

    /** Compiles the result's entries for every endpoint on {@code node}. */
    public static NodeWrites compile(PolicyResult result, String node) {
        Map<IpcacheKey, IpcacheVal> ipcache = new LinkedHashMap<>();
        result.ipcache().forEach((cidr, id) -> ipcache.put(key(cidr), IpcacheVal.of(id)));
        Map<PolKey, PolVal> pol = new LinkedHashMap<>();
        Map<Integer, EpInfo> eps = new LinkedHashMap<>();
        for (Endpoint ep : result.snapshot().endpoints()) {
            EndpointPolicy p = result.endpoint(ep.id());
            if (p == null || !node.equals(ep.node())) {
                continue;
            }
            for (Direction dir : Direction.values()) {
                List<PolicyMapCompiler.Entry> entries = new ArrayList<>();
                for (PolicyEntry e : p.entries()) {
                    if (e.dir() == dir) {
                        entries.add(new PolicyMapCompiler.Entry(e.peerIdentity(), e.family(), e.proto(), e.ports(),
                                e.action() == Action.DENY, e.rule()));
                    }
                }
                int dirCode = dir == Direction.INGRESS ? EndpointMaps.DIR_INGRESS : EndpointMaps.DIR_EGRESS;
                for (PolicyBlock b : PolicyMapCompiler.compile(entries)) {
                    PolKey k = new PolKey(64 + b.length(), ep.id(), 0, dirCode, b.identity(), b.family(), b.proto(), b.port());
                    pol.put(k, new PolVal(b.deny() ? PolVal.DENY : PolVal.ALLOW, b.length() >= PolicyBlock.PROTO_END,
                            b.rule(), 0, 0));
                }
            }
            eps.put(IFINDEX_BASE + ep.id(), new EpInfo(ep.id(), p.identity(), p.flags(), 0));
        }
        return new NodeWrites(ipcache, pol, eps);
    }

    static IpcacheKey key(Cidr c) {
        try {
            return IpcacheKey.of(InetAddress.getByAddress(c.address()), c.length());
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
