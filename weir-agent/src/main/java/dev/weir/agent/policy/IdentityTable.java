package dev.weir.agent.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.cluster.Namespace;
import dev.weir.agent.cluster.Node;
import dev.weir.agent.identity.Identities;
import dev.weir.agent.identity.IdentityAllocator;
import dev.weir.agent.identity.IdentityInfo;
import dev.weir.agent.identity.IdentityKind;
import dev.weir.agent.net.Cidr;

/**
 * The identities of one resolution: one per distinct endpoint label set, one per CIDR that some policy
 * names (ipBlock cidrs and excepts, weir CIDR peers), and the reserved ones; and the ipcache they make.
 * Built once per {@link PolicyEngine#resolve}; takes allocator references that the result records.
 */
final class IdentityTable {

    /** An endpoint identity with what selectors look at and the endpoints that carry it. */
    record EndpointIdentity(int id, String namespace, Map<String, String> podLabels,
                            Map<String, String> namespaceLabels, Map<String, String> selectorView,
                            List<Endpoint> endpoints) {

        /** The addresses of the family (4 or 6) of every endpoint with this identity, as bytes. */
        List<byte[]> addresses(int family) {
            return endpoints.stream().map(ep -> family == 4 ? ep.ipv4() : ep.ipv6())
                    .filter(java.util.Objects::nonNull).map(a -> Cidr.parseAddress(a, a)).toList();
        }
    }

    /**
     * An address block resolved against this table: the peers it selects, and what it covers only in part (for
     * each policy that names it to warn about).
     */
    record Block(Set<PeerKey> keys, List<String> partial) {
    }

    /** Address blocks resolved so far, shared by every policy compiled against this table. */
    final Map<IpBlock, Block> blocks = new java.util.HashMap<>();

    /** Endpoint addresses by identity and family, parsed once. */
    final Map<Integer, Map<Integer, List<byte[]>>> addressCache = new java.util.HashMap<>();

    private final Map<Cidr, PrefixMatch> prefixes = new java.util.HashMap<>();

    PrefixMatch prefix(Cidr c) {
        return prefixes.computeIfAbsent(c, PrefixMatch::of);
    }

    List<byte[]> addresses(EndpointIdentity id, int family) {
        return addressCache.computeIfAbsent(id.id(), k -> new java.util.HashMap<>())
                .computeIfAbsent(family, id::addresses);
    }

    final Map<Integer, Integer> byEndpoint = new TreeMap<>();
    final SortedMap<Integer, EndpointIdentity> endpointIdentities = new TreeMap<>();
    final SortedMap<Cidr, Integer> cidrIdentities = new TreeMap<>();
    final SortedMap<Cidr, Integer> ipcache = new TreeMap<>();
    final List<Integer> allocated = new ArrayList<>();
    final List<Node> nodes;
    private final List<IdentityInfo> infos = new ArrayList<>();

    IdentityTable(ClusterSnapshot snap, Set<Cidr> cidrs, IdentityAllocator allocator) {
        this.nodes = snap.nodes();
        Map<String, Map<String, String>> nsLabelsByName = new java.util.HashMap<>();
        Map<Integer, List<Endpoint>> members = new java.util.HashMap<>();
        for (Endpoint ep : snap.endpoints()) {
            Map<String, String> nsLabels = nsLabelsByName.computeIfAbsent(ep.namespace(), snap::namespaceLabels);
            Map<String, String> labels = Identities.endpointLabels(ep, new Namespace(ep.namespace(), nsLabels));
            int id = allocator.allocate(labels);
            allocated.add(id);
            byEndpoint.put(ep.id(), id);
            EndpointIdentity known = endpointIdentities.get(id);
            List<Endpoint> eps = members.computeIfAbsent(id, k -> new ArrayList<>());
            eps.add(ep);
            if (known == null) {
                endpointIdentities.put(id, new EndpointIdentity(id, ep.namespace(), ep.labels(), nsLabels,
                        Identities.selectorView(labels), eps));
                infos.add(new IdentityInfo(id, IdentityKind.ENDPOINT, labels));
            }
            for (String a : ep.addresses()) {
                ipcache.put(Cidr.parse(a), id);
            }
        }
        for (Cidr c : new TreeSet<>(cidrs)) {
            int id = allocator.allocate(Identities.cidrLabels(c));
            allocated.add(id);
            cidrIdentities.put(c, id);
            infos.add(new IdentityInfo(id, IdentityKind.CIDR, Identities.cidrLabels(c)));
            ipcache.putIfAbsent(c, id);
        }
        for (Node n : nodes) {
            for (String a : new String[] {n.ipv4(), n.ipv6()}) {
                if (a != null) {
                    ipcache.put(Cidr.parse(a), Identities.REMOTE_NODE);
                }
            }
        }
        shieldIpv4FromIpv6Prefixes();
        infos.add(new IdentityInfo(Identities.HOST, IdentityKind.RESERVED, Identities.HOST_LABELS));
        infos.add(new IdentityInfo(Identities.WORLD, IdentityKind.RESERVED, Identities.WORLD_LABELS));
        infos.add(new IdentityInfo(Identities.REMOTE_NODE, IdentityKind.RESERVED, Identities.REMOTE_NODE_LABELS));
    }

    /**
     * The datapath's ipcache stores IPv4 as v4-mapped IPv6, so an IPv6 prefix covering ::ffff:0:0/96
     * (e.g. ::/0) would also match IPv4 addresses. When one is present, 0.0.0.0/0 is pinned to world (unless
     * a policy already gave it an identity), so IPv4 lookups never fall through to it.
     */
    private void shieldIpv4FromIpv6Prefixes() {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        boolean covers = ipcache.keySet().stream().anyMatch(c -> !c.isIpv4() && c.length() <= 96 && c.containsAddress(mapped));
        if (covers) {
            ipcache.putIfAbsent(Cidr.parse("0.0.0.0/0"), Identities.WORLD);
        }
    }

    List<IdentityInfo> infos() {
        return infos.stream().sorted(java.util.Comparator.comparingInt(IdentityInfo::id)).toList();
    }
}
