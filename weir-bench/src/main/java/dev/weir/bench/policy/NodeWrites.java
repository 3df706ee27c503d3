package dev.weir.bench.policy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.datapath.PolicyMapWriter;
import dev.weir.agent.net.Cidr;
import dev.weir.agent.policy.EndpointPolicy;
import dev.weir.agent.policy.PolicyResult;
import dev.weir.datapath.endpoint.EpInfo;
import dev.weir.datapath.endpoint.IpcacheKey;
import dev.weir.datapath.endpoint.IpcacheVal;
import dev.weir.datapath.endpoint.PolKey;
import dev.weir.datapath.endpoint.PolVal;

/**
 * A node's map contents for one policy result, as {@code KernelPolicyDataplane.apply} computes them for a
 * first apply (generation 0): the ipcache, and every local endpoint's {@code pol} entries and
 * {@code ep_info}, from the dataplane's own {@link PolicyMapWriter#polEntries} (the keys
 * {@code PolicyPrefixes} makes of the entries) and {@link PolicyMapWriter#epInfo}. Endpoint {@code e} is
 * keyed by ifindex {@value #IFINDEX_BASE} + its id (no interfaces exist). Immutable.
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
            pol.putAll(PolicyMapWriter.polEntries(ep.id(), 0, p));
            eps.put(IFINDEX_BASE + ep.id(), PolicyMapWriter.epInfo(ep.id(), 0, p));
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
