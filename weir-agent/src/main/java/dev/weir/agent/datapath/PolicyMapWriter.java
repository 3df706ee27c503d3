package dev.weir.agent.datapath;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.weir.agent.cluster.Node;
import dev.weir.agent.net.Cidr;
import dev.weir.agent.policy.Action;
import dev.weir.agent.policy.Direction;
import dev.weir.agent.policy.EndpointPolicy;
import dev.weir.agent.policy.PolicyPrefix;
import dev.weir.agent.policy.PolicyPrefixes;
import dev.weir.agent.policy.PolicyResult;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.datapath.endpoint.EpInfo;
import dev.weir.datapath.endpoint.IpcacheKey;
import dev.weir.datapath.endpoint.IpcacheVal;
import dev.weir.datapath.endpoint.PolKey;
import dev.weir.datapath.endpoint.PolVal;

/**
 * Writes a {@link PolicyResult} into one node's maps (docs/policy-datapath.md): the ipcache (this node's
 * own addresses as the host identity), and per endpoint its {@code pol} entries under the idle generation
 * followed by the flip of its {@code ep_by_ifindex} entry. The map contents are computed by pure static
 * methods ({@link #ipcache}, {@link #polEntries}, {@link #epInfo}), so tests see exactly what the agent
 * writes. Used by {@link KernelPolicyDataplane} from its sync thread; not thread-safe. Owns nothing: the
 * maps belong to their loaded object.
 */
public final class PolicyMapWriter {

    private final KernelPolicyDataplane.NodeMaps maps;

    PolicyMapWriter(KernelPolicyDataplane.NodeMaps maps) {
        this.maps = maps;
    }

    /** The ipcache as the engine computed it, with this node's own addresses as the host identity. */
    void writeIpcache(PolicyResult result, Node self, Map<String, byte[]> tunnels) {
        writeIpcache(ipcache(result, self, tunnels), null);
    }

    /**
     * Makes the ipcache hold {@code want}. With {@code written}, what the map held after the last write, only the
     * difference is written; with null, every key of the map is read and every entry written.
     */
    void writeIpcache(Map<IpcacheKey, IpcacheVal> want, Map<IpcacheKey, IpcacheVal> written) {
        if (written == null) {
            for (IpcacheKey k : maps.ipcache.keys()) {
                if (!want.containsKey(k)) {
                    maps.ipcache.delete(k);
                }
            }
            want.forEach(maps.ipcache::put);
            return;
        }
        written.keySet().stream().filter(k -> !want.containsKey(k)).forEach(maps.ipcache::delete);
        want.forEach((k, v) -> {
            if (!v.equals(written.get(k))) {
                maps.ipcache.put(k, v);
            }
        });
    }

    /**
     * Writes the endpoint's entries into its idle generation (first deleting what that generation still
     * holds, {@code byGen}), then flips the endpoint to it with one update of its {@code ep_by_ifindex} entry.
     */
    void programEndpoint(int ifindex, int epId, EndpointPolicy p, Map<Integer, List<PolKey>> byGen) {
        EpInfo cur = maps.eps.lookup(ifindex).orElse(null);
        int gen = cur == null || cur.epId() != epId ? 0 : 1 - cur.polGen();
        byGen.getOrDefault(gen, List.of()).forEach(maps.pol::delete);
        polEntries(epId, gen, p).forEach(maps.pol::put);
        maps.eps.put(ifindex, epInfo(epId, gen, p));
    }

    /** What {@link #writeIpcache} makes the ipcache hold, without tunnel. */
    static Map<IpcacheKey, IpcacheVal> ipcache(PolicyResult result, Node self) {
        return ipcache(result, self, Map.of());
    }

    /**
     * What {@link #writeIpcache} makes the ipcache hold: the engine's prefixes, the node's own addresses as the host;
     * a single address in {@code tunnels} (a remote pod's) with the IPv4 underlay address of its node.
     */
    static Map<IpcacheKey, IpcacheVal> ipcache(PolicyResult result, Node self, Map<String, byte[]> tunnels) {
        Map<IpcacheKey, IpcacheVal> want = new HashMap<>();
        result.ipcache().forEach((cidr, id) -> {
            byte[] node = cidr.length() == cidr.address().length * 8 ? tunnels.get(address(cidr)) : null;
            want.put(key(cidr), node == null ? IpcacheVal.of(id) : IpcacheVal.tunnelled(id, node));
        });
        for (String addr : new String[] {self.ipv4(), self.ipv6()}) {
            if (addr != null) {
                want.put(key(Cidr.parse(addr)), IpcacheVal.of(EndpointMaps.ID_HOST));
            }
        }
        return want;
    }

    /** The address of a single-address prefix, as text. */
    private static String address(Cidr c) {
        String s = c.toString();
        return s.substring(0, s.lastIndexOf('/'));
    }

    /**
     * An endpoint's {@code pol} entries under one generation: the keys {@link PolicyPrefixes} makes of its
     * entries, encoded.
     */
    public static Map<PolKey, PolVal> polEntries(int epId, int gen, EndpointPolicy p) {
        Map<PolKey, PolVal> out = new LinkedHashMap<>();
        for (PolicyPrefix x : PolicyPrefixes.of(p.entries())) {
            out.put(polKey(epId, gen, x),
                    new PolVal(x.action() == Action.DENY ? PolVal.DENY : PolVal.ALLOW, x.hasL4(), x.rule(), 0, 0));
        }
        return out;
    }

    /** The {@code pol} key of one prefix of the endpoint's entries under generation {@code gen}. */
    static PolKey polKey(int epId, int gen, PolicyPrefix x) {
        int dir = x.dir() == Direction.INGRESS ? EndpointMaps.DIR_INGRESS : EndpointMaps.DIR_EGRESS;
        return new PolKey(x.length(), epId, gen, dir, x.peerIdentity(), x.family(), x.proto(), x.port());
    }

    /** The endpoint's {@code ep_by_ifindex} value with generation {@code gen} active. */
    public static EpInfo epInfo(int epId, int gen, EndpointPolicy p) {
        return new EpInfo(epId, p.identity(), p.flags(), gen);
    }

    private static IpcacheKey key(Cidr c) {
        try {
            return IpcacheKey.of(InetAddress.getByAddress(c.address()), c.length());
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
