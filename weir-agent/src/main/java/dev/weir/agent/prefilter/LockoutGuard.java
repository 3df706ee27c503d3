package dev.weir.agent.prefilter;

import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import dev.weir.agent.cluster.Node;
import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.Protocol;
import dev.weir.agent.yaml.ValidationException;

/**
 * The prefilter's lockout guard: refuses a change of {@link WeirPrefilter} objects that would make a node's
 * prefilter drop protected traffic — the node's management (ssh) and the agent's own connections (the other
 * nodes, the kvstore) — unless the change is forced ({@code --force}) or the objects that cause it say
 * {@code spec.force: true}. Only what a change newly drops is refused: what was already stored (forced) stays.
 *
 * <p>Protected traffic is a list of {@link Entry entries}: a prefix protects every packet <em>from</em> it, which
 * a deny rule whose source prefix overlaps it would drop; a protocol and port protect every packet to that port,
 * which a deny rule without a source prefix (and without a destination prefix, or with one that holds the node's
 * address) would drop when its protocol and ports take the port in. In allowlist mode, every entry must be let
 * through by an allow rule that takes it in whole. Dry-run rules and a prefilter in dry run drop nothing.
 * The per-source rate limit is not judged. Immutable; thread-safe.
 */
public final class LockoutGuard {

    /** What ssh listens on: protected unless the defaults are off. */
    static final Entry SSH = new Entry(null, Protocol.TCP, 22, "default: ssh");

    /** A guard that protects nothing (tests; a standalone scope). */
    public static final LockoutGuard NONE = new LockoutGuard(List.of(), false);

    private final List<Entry> entries;
    private final boolean nodes;

    /**
     * @param entries what is protected on every node (configured, and the defaults: ssh, the kvstore's addresses)
     * @param nodes   whether the cluster's node addresses are protected too (a default)
     */
    public LockoutGuard(List<Entry> entries, boolean nodes) {
        this.entries = List.copyOf(entries);
        this.nodes = nodes;
    }

    /**
     * The agent's guard: the entries of {@code weir agent --prefilter-protect} and, with {@code defaults}, ssh
     * (tcp/22), each kvstore endpoint's address (etcd: the agent's own connections) and every node's address.
     *
     * @param protect   comma-separated entries ({@link Entry#parse}); null or empty: none
     * @param endpoints the etcd client URLs, comma-separated; null with the file store
     * @throws IllegalArgumentException naming the entry that does not parse
     */
    public static LockoutGuard of(String protect, boolean defaults, String endpoints) {
        List<Entry> out = new ArrayList<>();
        if (protect != null && !protect.isBlank()) {
            for (String t : protect.split(",")) {
                out.add(Entry.parse(t.strip(), "--prefilter-protect"));
            }
        }
        if (defaults) {
            out.add(SSH);
            if (endpoints != null) {
                for (String url : endpoints.split(",")) {
                    kvstoreAddress(url.strip()).ifPresent(c -> out.add(new Entry(c, null, 0, "default: kvstore endpoint " + url.strip())));
                }
            }
        }
        return new LockoutGuard(out, defaults);
    }

    private static java.util.Optional<Cidr> kvstoreAddress(String url) {
        try {
            String host = URI.create(url).getHost();
            if (host == null) {
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(Cidr.parse(host.replace("[", "").replace("]", "")));
        } catch (IllegalArgumentException e) {
            return java.util.Optional.empty();   // a host name: the addresses it resolves to are not known here
        }
    }

    /** What is protected in a cluster of these nodes. */
    public List<Entry> entries(Collection<Node> cluster) {
        List<Entry> out = new ArrayList<>(entries);
        if (nodes) {
            for (Node n : cluster) {
                for (String a : addresses(n)) {
                    out.add(new Entry(Cidr.parse(a), null, 0, "default: node " + n.name() + "'s address"));
                }
            }
        }
        return out;
    }

    private static List<String> addresses(Node n) {
        List<String> out = new ArrayList<>();
        if (n.ipv4() != null) {
            out.add(n.ipv4());
        }
        if (n.ipv6() != null) {
            out.add(n.ipv6());
        }
        return out;
    }

    /**
     * Refuses what {@code after} would newly drop of the protected traffic on any node it could meet on, as
     * {@link PrefilterMerge#check} enumerates them. {@code after} in the order {@link PrefilterMerge#check} wants
     * (unchanged first), so that an error names an object being applied.
     *
     * @throws ValidationException naming the object, the rule or setting, the protected entry and how to force
     */
    public void check(Collection<Node> cluster, List<WeirPrefilter> before, List<WeirPrefilter> after) {
        List<Entry> protect = entries(cluster);
        if (protect.isEmpty()) {
            return;
        }
        List<String> nodes = new ArrayList<>(PrefilterMerge.candidates(cluster.stream().map(Node::name).toList(), after));
        nodes.remove(PrefilterMerge.ANY_OTHER_NODE);
        nodes.add(PrefilterMerge.ANY_OTHER_NODE);   // a real node's name first, in messages
        for (String node : nodes) {
            List<byte[]> own = ownAddresses(node, cluster);
            Set<String> old = new HashSet<>();
            try {
                violations(PrefilterMerge.forNode(node, before), before, node, protect, own).forEach(v -> old.add(v.key()));
            } catch (ValidationException e) {
                // what was stored did not merge on this node: judge the change as if nothing were there
            }
            for (Violation v : violations(PrefilterMerge.forNode(node, after), after, node, protect, own)) {
                if (old.contains(v.key())) {
                    continue;
                }
                List<WeirPrefilter> culprits = after.stream().filter(o -> v.objects().contains(o.name()) && !o.forced()).toList();
                if (!culprits.isEmpty()) {
                    WeirPrefilter last = culprits.getLast();
                    throw new ValidationException(last.source(), last.ref(), v.field(), v.problem() + " on "
                            + PrefilterMerge.describeNode(node) + " (the lockout guard: weir agent --prefilter-protect);"
                            + " to do it anyway, give --force (weir apply, weir prefilter add|del|set) or spec.force: true");
                }
            }
        }
    }

    /** The node's own addresses when the cluster knows it, else every node's (a rule may meet any of them). */
    private static List<byte[]> ownAddresses(String node, Collection<Node> cluster) {
        List<byte[]> out = new ArrayList<>();
        for (Node n : cluster) {
            if (n.name().equals(node) || cluster.stream().noneMatch(c -> c.name().equals(node))) {
                addresses(n).forEach(a -> out.add(Cidr.parseAddress(a, a)));
            }
        }
        return out;
    }

    /** What the node's prefilter would drop of the protected traffic; empty when nothing. */
    static List<Violation> violations(NodePrefilterSpec spec, List<WeirPrefilter> objects, String node,
                                      List<Entry> protect, List<byte[]> own) {
        List<Violation> out = new ArrayList<>();
        if (!spec.selected() || spec.settings().dryRun()) {
            return out;
        }
        for (PrefilterRule r : spec.rules()) {
            if (r.action() != PrefilterRule.Action.DENY || r.dryRun()) {
                continue;
            }
            for (Entry e : protect) {
                if (e.droppedBy(r, own)) {
                    out.add(new Violation(node + " " + r.describe() + " " + e.describe(), "spec.rules", "rule '"
                            + r.describe() + "' would drop protected traffic " + e.describe() + " (" + e.origin() + ")",
                            spec.originsOf(r)));
                }
            }
        }
        if (spec.settings().mode() == PrefilterSettings.Mode.ALLOWLIST) {
            List<String> setters = objects.stream().filter(o -> o.selects(node) && o.mode() == PrefilterSettings.Mode.ALLOWLIST)
                    .map(WeirPrefilter::name).toList();
            for (Entry e : protect) {
                if (spec.rules().stream().noneMatch(a -> e.allowedBy(a, own))) {
                    out.add(new Violation(node + " allowlist " + e.describe(), "spec.mode", "allowlist mode would drop"
                            + " protected traffic " + e.describe() + " (" + e.origin() + "): no allow rule lets all of it"
                            + " through (add one, e.g. " + e.allowRule() + ")", setters));
                }
            }
        }
        return out;
    }

    /**
     * One protected entry: traffic from {@code source}, or to {@code proto}/{@code port} on the node.
     *
     * @param origin where it comes from, for messages ({@code --prefilter-protect}, {@code default: ssh})
     */
    public record Entry(Cidr source, Protocol proto, int port, String origin) {

        public Entry {
            if ((source == null) == (proto == null)) {
                throw new IllegalArgumentException("a protected entry is a prefix or a protocol and port");
            }
        }

        /**
         * {@code 10.0.0.0/8} (an address is a /32 or /128) or {@code tcp/22} (tcp, udp or sctp).
         *
         * @throws IllegalArgumentException naming the text
         */
        public static Entry parse(String text, String origin) {
            int slash = text.indexOf('/');
            if (slash > 0 && text.substring(0, slash).matches("[A-Za-z]+")) {
                Protocol p;
                try {
                    p = Protocol.parse(text.substring(0, slash));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(origin + ": '" + text + "': " + e.getMessage());
                }
                String port = text.substring(slash + 1);
                if (!p.hasPorts() || !port.matches("\\d{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                    throw new IllegalArgumentException(origin + ": '" + text + "' is not PROTO/PORT (tcp, udp or sctp; port 1-65535)");
                }
                return new Entry(null, p, Integer.parseInt(port), origin);
            }
            try {
                return new Entry(Cidr.parse(text), null, 0, origin);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(origin + ": '" + text + "' is neither a CIDR nor PROTO/PORT (e.g. "
                        + "10.0.0.0/8, tcp/22): " + e.getMessage());
            }
        }

        /** {@code from 10.0.0.0/8}, {@code to tcp/22}. */
        public String describe() {
            return source != null ? "from " + source : "to " + proto.lower() + "/" + port;
        }

        /** True when the deny rule drops some of this traffic ({@link LockoutGuard}'s terms). */
        boolean droppedBy(PrefilterRule r, List<byte[]> own) {
            if (source != null) {
                return r.src() != null && (r.src().contains(source) || source.contains(r.src()));
            }
            return r.src() == null && toNode(r, own) && (r.proto() == null || r.proto() == proto)
                    && (r.dport() == null || r.dport().contains(port));
        }

        /** True when the allow rule lets all of this traffic through. */
        boolean allowedBy(PrefilterRule a, List<byte[]> own) {
            if (a.action() != PrefilterRule.Action.ALLOW) {
                return false;
            }
            if (source != null) {
                return a.src() != null && a.src().contains(source) && a.proto() == null;
            }
            return a.src() == null && toNode(a, own) && a.proto() == proto && (a.dport() == null || a.dport().contains(port));
        }

        private static boolean toNode(PrefilterRule r, List<byte[]> own) {
            return r.dst() == null || own.stream().anyMatch(r.dst()::containsAddress);
        }

        /** The allow rule that would let this traffic through, as a command line's flags. */
        String allowRule() {
            return "weir prefilter add --action allow " + (source != null ? "--src " + source
                    : "--proto " + proto.lower() + " --dport " + port);
        }
    }

    /** A rule or setting that drops protected traffic; {@code key} tells it apart across a change. */
    record Violation(String key, String field, String problem, List<String> objects) {
        Violation {
            objects = List.copyOf(new TreeSet<>(objects));
        }
    }
}
