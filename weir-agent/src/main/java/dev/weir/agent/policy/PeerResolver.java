package dev.weir.agent.policy;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Predicate;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.cluster.Node;
import dev.weir.agent.identity.Identities;
import dev.weir.agent.net.Cidr;

/**
 * Turns policy peers into identity sets against one {@link IdentityTable}. Warnings (an ipBlock that
 * covers only some of the endpoints sharing an identity, or only some nodes) go to the sink.
 */
final class PeerResolver {

    private final IdentityTable table;
    private final Consumer<String> warnings;

    PeerResolver(IdentityTable table, Consumer<String> warnings) {
        this.table = table;
        this.warnings = warnings;
    }

    /** A NetworkPolicyPeer of a policy in {@code policyNs}. */
    Set<PeerKey> k8s(NetworkPolicy.Peer p, String policyNs, String where) {
        if (p.ipBlock() != null) {
            return block(p.ipBlock(), where);
        }
        return matching(k8sMatcher(p, policyNs));
    }

    /** Which endpoint identities a NetworkPolicyPeer without an ipBlock selects ({@link NetworkPolicy.Peer#choosesPod}). */
    static Predicate<IdentityTable.EndpointIdentity> k8sMatcher(NetworkPolicy.Peer p, String policyNs) {
        return id -> p.choosesPod(policyNs, id.namespace(), id.namespaceLabels(), id.podLabels());
    }

    /** Endpoints whose identity labels (source prefix stripped) the selector matches. */
    Set<PeerKey> endpoints(LabelSelector sel) {
        return matching(endpointsMatcher(sel));
    }

    static Predicate<IdentityTable.EndpointIdentity> endpointsMatcher(LabelSelector sel) {
        return id -> sel.matches(id.selectorView());
    }

    private Set<PeerKey> matching(Predicate<IdentityTable.EndpointIdentity> m) {
        Set<PeerKey> out = new TreeSet<>();
        for (var id : table.endpointIdentities.values()) {
            if (m.test(id)) {
                out.add(new PeerKey(id.id(), null));
            }
        }
        return out;
    }

    Set<PeerKey> entity(Entity e) {
        Set<PeerKey> out = new TreeSet<>();
        switch (e) {
            case ALL -> out.add(PeerKey.ANY);
            case HOST -> out.add(new PeerKey(Identities.HOST, null));
            case REMOTE_NODE -> out.add(new PeerKey(Identities.REMOTE_NODE, null));
            case WORLD -> {
                out.add(new PeerKey(Identities.WORLD, null));
                table.cidrIdentities.values().forEach(id -> out.add(new PeerKey(id, null)));
            }
            case CLUSTER -> {
                out.add(new PeerKey(Identities.HOST, null));
                out.add(new PeerKey(Identities.REMOTE_NODE, null));
                table.endpointIdentities.keySet().forEach(id -> out.add(new PeerKey(id, null)));
            }
        }
        return out;
    }

    /**
     * An address block: the CIDR identities of prefixes inside it and not inside an except; the
     * endpoint identities all of whose addresses of the block's family lie in it (restricted to that
     * family); host and remote-node when every node's address of the family does. Resolved once per
     * identity table; each use warns about partial coverage under its own {@code where}.
     */
    Set<PeerKey> block(IpBlock b, String where) {
        IdentityTable.Block r = table.blocks.get(b);
        if (r == null) {
            r = resolve(b);
            table.blocks.put(b, r);
        }
        r.partial().forEach(p -> warnings.accept(where + ": ipBlock " + b + " " + p));
        return r.keys();
    }

    private IdentityTable.Block resolve(IpBlock b) {
        Set<PeerKey> out = new TreeSet<>();
        List<String> partial = new java.util.ArrayList<>();
        PrefixMatch cidr = PrefixMatch.of(b.cidr());
        List<PrefixMatch> except = b.except().stream().map(PrefixMatch::of).toList();
        table.cidrIdentities.forEach((c, id) -> {
            if (covers(cidr, except, table.prefix(c))) {
                out.add(new PeerKey(id, null));
            }
        });
        Predicate<byte[]> in = a -> cidr.containsAddress(a) && except.stream().noneMatch(x -> x.containsAddress(a));
        int fam = b.cidr().family();
        for (var id : table.endpointIdentities.values()) {
            List<byte[]> addrs = table.addresses(id, fam);
            if (coverage(in, addrs, covered -> out.add(new PeerKey(id.id(), fam)))) {
                partial.add("covers some but not all endpoints of identity " + id.id()
                        + " (" + id.endpoints().stream().map(Endpoint::key).toList() + "); selecting none of them");
            }
        }
        List<byte[]> nodeAddrs = table.nodes.stream().map(n -> fam == 4 ? n.ipv4() : n.ipv6()).filter(a -> a != null)
                .map(a -> Cidr.parseAddress(a, a)).toList();
        if (coverage(in, nodeAddrs, covered -> {
            out.add(new PeerKey(Identities.HOST, fam));
            out.add(new PeerKey(Identities.REMOTE_NODE, fam));
        })) {
            partial.add("covers some but not all node addresses"
                    + " (" + table.nodes.stream().map(Node::name).toList() + "); selecting no node");
        }
        return new IdentityTable.Block(java.util.Collections.unmodifiableSet(out), List.copyOf(partial));
    }

    /** Whether the block selects the named prefix's CIDR identity: the prefix lies in its cidr and in none of its excepts. */
    static boolean covers(IpBlock b, Cidr prefix) {
        return covers(PrefixMatch.of(b.cidr()), b.except().stream().map(PrefixMatch::of).toList(), PrefixMatch.of(prefix));
    }

    private static boolean covers(PrefixMatch cidr, List<PrefixMatch> except, PrefixMatch prefix) {
        return cidr.contains(prefix) && except.stream().noneMatch(x -> x.contains(prefix));
    }

    /** Whether the address (4 or 16 bytes) is in the block's cidr and in none of its excepts. */
    static boolean holds(IpBlock b, byte[] address) {
        return PrefixMatch.of(b.cidr()).containsAddress(address)
                && b.except().stream().noneMatch(x -> PrefixMatch.of(x).containsAddress(address));
    }

    /** Calls {@code all} when every address is in the block; returns true when only some are. */
    private static boolean coverage(Predicate<byte[]> in, List<byte[]> addrs, Consumer<Boolean> all) {
        long n = addrs.stream().filter(in).count();
        if (n > 0 && n == addrs.size()) {
            all.accept(true);
        }
        return n > 0 && n < addrs.size();
    }
}
