package dev.weir.agent.policy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
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
 * The identities of one computation: one per distinct endpoint label set, one per CIDR that some policy
 * names (ipBlock cidrs and excepts, weir CIDR peers), and the reserved ones; and the ipcache they make.
 * Built by a full computation ({@link PolicyEngine#resolve}) and then kept by {@link IncrementalPolicyEngine},
 * which moves it to the next endpoints and namespaces with {@link #update}, to the next nodes with
 * {@link #updateNodes} and to the next named prefixes with {@link #updatePrefixes}. Holds one allocator reference
 * per endpoint and per named prefix ({@link #allocated}). Not thread-safe.
 */
final class IdentityTable {

    /** An endpoint identity with what selectors look at and the endpoints that carry it (in snapshot order). */
    record EndpointIdentity(int id, String namespace, Map<String, String> podLabels,
                            Map<String, String> namespaceLabels, Map<String, String> selectorView,
                            List<Endpoint> endpoints) {

        /** The addresses of the family (4 or 6) of every endpoint with this identity, as bytes. */
        List<byte[]> addresses(int family) {
            return endpoints.stream().map(ep -> family == 4 ? ep.ipv4() : ep.ipv6())
                    .filter(java.util.Objects::nonNull).map(a -> Cidr.parseAddress(a, a)).toList();
        }

        /** The addresses of both families. */
        List<byte[]> addresses() {
            List<byte[]> out = new ArrayList<>(addresses(4));
            out.addAll(addresses(6));
            return out;
        }
    }

    /**
     * An address block resolved against this table: the peers it selects, and what it covers only in part (for
     * each policy that names it to warn about).
     */
    record Block(Set<PeerKey> keys, List<String> partial) {
    }

    /**
     * What an {@link #update} changed that compiled policies depend on: the endpoint identities that came or went,
     * and the addresses of every identity whose endpoints changed, before and after.
     */
    record Regrouping(List<EndpointIdentity> cameOrWent, List<byte[]> addresses) {
        static final Regrouping NONE = new Regrouping(List.of(), List.of());
    }

    /** Address blocks resolved so far, shared by every policy compiled against this table. */
    final Map<IpBlock, Block> blocks = new HashMap<>();

    /** Endpoint addresses by identity and family, parsed once. */
    final Map<Integer, Map<Integer, List<byte[]>>> addressCache = new HashMap<>();

    private final Map<Cidr, PrefixMatch> prefixes = new HashMap<>();

    PrefixMatch prefix(Cidr c) {
        return prefixes.computeIfAbsent(c, PrefixMatch::of);
    }

    List<byte[]> addresses(EndpointIdentity id, int family) {
        return addressCache.computeIfAbsent(id.id(), k -> new HashMap<>())
                .computeIfAbsent(family, id::addresses);
    }

    final Map<Integer, Integer> byEndpoint = new HashMap<>();
    final SortedMap<Integer, EndpointIdentity> endpointIdentities = new TreeMap<>();
    final SortedMap<Cidr, Integer> cidrIdentities = new TreeMap<>();
    final SortedMap<Cidr, Integer> ipcache = new TreeMap<>();
    List<Node> nodes;
    private final SortedMap<Integer, IdentityInfo> infos = new TreeMap<>();
    /** The endpoints with each address, for the ipcache (the last in snapshot order wins). */
    private final Map<Cidr, List<Integer>> owners = new HashMap<>();
    private final Set<Cidr> nodeAddresses = new HashSet<>();
    private Map<String, Map<String, String>> namespaces;

    IdentityTable(ClusterSnapshot snap, Set<Cidr> cidrs, IdentityAllocator allocator) {
        this.nodes = snap.nodes();
        this.namespaces = EndpointChanges.namespaceLabels(snap.namespaces());
        Map<Integer, List<Endpoint>> members = new HashMap<>();
        for (Endpoint ep : snap.endpoints()) {
            Map<String, String> nsLabels = EndpointChanges.labelsOf(namespaces, ep.namespace());
            Map<String, String> labels = Identities.endpointLabels(ep, new Namespace(ep.namespace(), nsLabels));
            int id = allocator.allocate(labels);
            byEndpoint.put(ep.id(), id);
            List<Endpoint> eps = members.computeIfAbsent(id, k -> new ArrayList<>());
            eps.add(ep);
            if (eps.size() == 1) {
                endpointIdentities.put(id, new EndpointIdentity(id, ep.namespace(), ep.labels(), nsLabels,
                        Identities.selectorView(labels), eps));
                infos.put(id, new IdentityInfo(id, IdentityKind.ENDPOINT, labels));
            }
            own(ep).forEach(c -> ipcache.put(c, id));
        }
        for (Cidr c : new TreeSet<>(cidrs)) {
            name(c, allocator);
            ipcache.putIfAbsent(c, cidrIdentities.get(c));
        }
        nodeAddresses.addAll(addressesOf(nodes));
        nodeAddresses.forEach(c -> ipcache.put(c, Identities.REMOTE_NODE));
        shieldIpv4FromIpv6Prefixes();
        infos.put(Identities.HOST, new IdentityInfo(Identities.HOST, IdentityKind.RESERVED, Identities.HOST_LABELS));
        infos.put(Identities.WORLD, new IdentityInfo(Identities.WORLD, IdentityKind.RESERVED, Identities.WORLD_LABELS));
        infos.put(Identities.REMOTE_NODE, new IdentityInfo(Identities.REMOTE_NODE, IdentityKind.RESERVED, Identities.REMOTE_NODE_LABELS));
    }

    /**
     * Moves the table to the next snapshot's endpoints and namespaces, touching only what the changed endpoints
     * carry: each one's identity (a reference taken on the new one, then one given back on the old one; an identity
     * no endpoint carries any more leaves the table), the identities it leaves and joins, its addresses in the
     * ipcache, and the address blocks resolved so far that hold one of the regrouped identities' addresses. The
     * table is then what a full build from the next snapshot would be.
     */
    Regrouping update(EndpointChanges changes, IdentityAllocator allocator) {
        if (changes.namespaces() != null) {
            namespaces = changes.namespaces();
        }
        Set<Integer> touched = new TreeSet<>();
        Set<Cidr> readdressed = new HashSet<>();
        List<Integer> released = new ArrayList<>();
        for (int id : changes.changed()) {
            Endpoint was = changes.before().get(id);
            if (was != null) {
                int identity = byEndpoint.remove(id);
                released.add(identity);
                touched.add(identity);
                readdressed.addAll(disown(was));
            }
            Endpoint is = changes.now().get(id);
            if (is != null) {
                int identity = allocator.allocate(labelsOf(is));
                byEndpoint.put(id, identity);
                touched.add(identity);
                readdressed.addAll(own(is));
            }
        }
        Regrouping regrouping = regroup(touched, changes);
        readdressed.forEach(c -> refresh(c, changes.position()));
        blocks.keySet().removeIf(b -> regrouping.addresses().stream().anyMatch(a -> PeerResolver.holds(b, a)));
        released.forEach(allocator::release);
        return regrouping;
    }

    /**
     * Moves the table to the next nodes: their addresses are remote-node in the ipcache, and the addresses of nodes
     * that went are set as a full build leaves them ({@code position}: the next snapshot's, see {@link #refresh}).
     * Drops the address blocks resolved so far that hold an address of a node, before or after (which nodes a block
     * covers, and the node names its warning lists, may change). Returns every node's address, before and after.
     */
    List<byte[]> updateNodes(List<Node> next, Map<Integer, Integer> position) {
        List<byte[]> addresses = new ArrayList<>();
        for (List<Node> l : List.of(nodes, next)) {
            addressesOf(l).forEach(c -> addresses.add(c.address()));
        }
        Set<Cidr> went = new HashSet<>(nodeAddresses);
        nodes = next;
        nodeAddresses.clear();
        nodeAddresses.addAll(addressesOf(next));
        nodeAddresses.forEach(c -> ipcache.put(c, Identities.REMOTE_NODE));
        went.removeAll(nodeAddresses);
        went.forEach(c -> refresh(c, position));
        blocks.keySet().removeIf(b -> addresses.stream().anyMatch(a -> PeerResolver.holds(b, a)));
        return addresses;
    }

    /**
     * Moves the table to the next named prefixes: each prefix that came gets its CIDR identity (a reference taken)
     * and each that went leaves the table; their ipcache entries and the pin of 0.0.0.0/0 become what a full build
     * makes, and the address blocks resolved so far that cover one of them are dropped. Returns the identities of the
     * prefixes that went, whose references the caller gives back once it has taken its new ones.
     */
    List<Integer> updatePrefixes(Set<Cidr> came, Set<Cidr> went, IdentityAllocator allocator) {
        new TreeSet<>(came).forEach(c -> name(c, allocator));
        List<Integer> released = new ArrayList<>();
        for (Cidr c : went) {
            int id = cidrIdentities.remove(c);
            infos.remove(id);
            released.add(id);
        }
        Set<Cidr> changed = new HashSet<>(came);
        changed.addAll(went);
        for (Cidr c : changed) {
            if (!nodeAddresses.contains(c) && !owners.containsKey(c)) {
                Integer id = cidrIdentities.get(c);
                if (id != null) {
                    ipcache.put(c, id);
                } else {
                    ipcache.remove(c);
                }
            }
        }
        shieldIpv4FromIpv6Prefixes();
        blocks.keySet().removeIf(b -> changed.stream().anyMatch(c -> PeerResolver.covers(b, c)));
        return released;
    }

    /** Gives a named prefix its CIDR identity (a reference taken). */
    private void name(Cidr c, IdentityAllocator allocator) {
        int id = allocator.allocate(Identities.cidrLabels(c));
        cidrIdentities.put(c, id);
        infos.put(id, new IdentityInfo(id, IdentityKind.CIDR, Identities.cidrLabels(c)));
    }

    /** The nodes' addresses, as host prefixes. */
    private static List<Cidr> addressesOf(List<Node> nodes) {
        List<Cidr> out = new ArrayList<>();
        for (Node n : nodes) {
            for (String a : new String[] {n.ipv4(), n.ipv6()}) {
                if (a != null) {
                    out.add(Cidr.parse(a));
                }
            }
        }
        return out;
    }

    /** Records the endpoint as an owner of its addresses; returns them. */
    private List<Cidr> own(Endpoint ep) {
        List<Cidr> out = ep.addresses().stream().map(Cidr::parse).toList();
        out.forEach(c -> owners.computeIfAbsent(c, k -> new ArrayList<>(1)).add(ep.id()));
        return out;
    }

    /** Removes the endpoint from the owners of its addresses; returns them. */
    private List<Cidr> disown(Endpoint ep) {
        List<Cidr> out = ep.addresses().stream().map(Cidr::parse).toList();
        for (Cidr c : out) {
            List<Integer> eps = owners.get(c);
            eps.remove(Integer.valueOf(ep.id()));
            if (eps.isEmpty()) {
                owners.remove(c);
            }
        }
        return out;
    }

    /** Rebuilds the touched identities from their endpoints in the next snapshot's order. */
    private Regrouping regroup(Set<Integer> touched, EndpointChanges changes) {
        Map<Integer, List<Endpoint>> members = new HashMap<>();
        for (int t : touched) {
            EndpointIdentity old = endpointIdentities.get(t);
            List<Endpoint> eps = new ArrayList<>();
            if (old != null) {
                old.endpoints().stream().filter(ep -> !changes.changed().contains(ep.id())).forEach(eps::add);
            }
            members.put(t, eps);
        }
        for (int id : changes.changed()) {
            Endpoint is = changes.now().get(id);
            if (is != null) {
                members.get(byEndpoint.get(id)).add(is);
            }
        }
        List<EndpointIdentity> cameOrWent = new ArrayList<>();
        List<byte[]> addresses = new ArrayList<>();
        for (int t : touched) {
            EndpointIdentity old = endpointIdentities.get(t);
            List<Endpoint> eps = members.get(t);
            eps.sort(Comparator.comparingInt(ep -> changes.position().get(ep.id())));
            addressCache.remove(t);
            if (old != null) {
                addresses.addAll(old.addresses());
            }
            if (eps.isEmpty()) {
                endpointIdentities.remove(t);
                infos.remove(t);
                cameOrWent.add(old);
                continue;
            }
            Endpoint first = eps.getFirst();
            Map<String, String> labels = labelsOf(first);
            EndpointIdentity is = new EndpointIdentity(t, first.namespace(), first.labels(),
                    EndpointChanges.labelsOf(namespaces, first.namespace()), Identities.selectorView(labels), eps);
            endpointIdentities.put(t, is);
            addresses.addAll(is.addresses());
            if (old == null) {
                infos.put(t, new IdentityInfo(t, IdentityKind.ENDPOINT, labels));
                cameOrWent.add(is);
            }
        }
        return new Regrouping(cameOrWent, addresses);
    }

    /**
     * The ipcache entry of an endpoint address, as a full build leaves it: a node's address stays remote-node;
     * else the identity of the last endpoint with it in snapshot order; else the prefix's CIDR identity; else none.
     */
    private void refresh(Cidr c, Map<Integer, Integer> position) {
        if (nodeAddresses.contains(c)) {
            return;
        }
        List<Integer> eps = owners.get(c);
        Integer cidr = cidrIdentities.get(c);
        if (eps != null) {
            int last = eps.stream().max(Comparator.comparingInt(position::get)).orElseThrow();
            ipcache.put(c, byEndpoint.get(last));
        } else if (cidr != null) {
            ipcache.put(c, cidr);
        } else {
            ipcache.remove(c);
        }
    }

    private Map<String, String> labelsOf(Endpoint ep) {
        Map<String, String> nsLabels = EndpointChanges.labelsOf(namespaces, ep.namespace());
        return Identities.endpointLabels(ep, new Namespace(ep.namespace(), nsLabels));
    }

    /**
     * The datapath's ipcache stores IPv4 as v4-mapped IPv6, so an IPv6 prefix covering ::ffff:0:0/96
     * (e.g. ::/0) would also match IPv4 addresses. When one is present, 0.0.0.0/0 is pinned to world (unless
     * a policy already gave it an identity), so IPv4 lookups never fall through to it; else 0.0.0.0/0 is
     * absent. Endpoint and node addresses are host prefixes, so only the named prefixes decide this.
     */
    private void shieldIpv4FromIpv6Prefixes() {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        Cidr all4 = Cidr.parse("0.0.0.0/0");
        Integer named = cidrIdentities.get(all4);
        if (named != null) {
            ipcache.put(all4, named);
        } else if (cidrIdentities.keySet().stream().anyMatch(c -> !c.isIpv4() && c.length() <= 96 && c.containsAddress(mapped))) {
            ipcache.put(all4, Identities.WORLD);
        } else {
            ipcache.remove(all4);
        }
    }

    /** Every identity of the table, by id. */
    List<IdentityInfo> infos() {
        return List.copyOf(infos.values());
    }

    /** The references the table holds: one per endpoint of {@code snap} (the table's), then one per named prefix. */
    List<Integer> allocated(ClusterSnapshot snap) {
        List<Integer> out = new ArrayList<>(snap.endpoints().size() + cidrIdentities.size());
        snap.endpoints().forEach(ep -> out.add(byEndpoint.get(ep.id())));
        out.addAll(cidrIdentities.values());
        return out;
    }
}
