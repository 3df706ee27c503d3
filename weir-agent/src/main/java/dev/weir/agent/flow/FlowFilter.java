package dev.weir.agent.flow;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

import dev.weir.agent.dns.DnsPattern;

/**
 * A flow filter in Hubble's vocabulary. Several values of one option match any of them (OR); different
 * options must all match (AND). A pod is {@code ns/name} or a prefix of it ({@code x/}, {@code x/a});
 * a label is {@code key=value} or {@code key} and matches with or without the {@code k8s:} source prefix;
 * {@code namespaces} and {@code pods} match either side; {@code ports} match either port; a service is
 * {@code ns/name} (or {@code name} in {@code default}) and matches flows translated through it; an fqdn is a
 * {@link DnsPattern} and matches DNS flows by their query and other flows by their source or destination
 * names. Immutable.
 */
public record FlowFilter(List<String> verdicts, List<String> fromPods, List<String> toPods, List<String> pods,
                         List<String> fromLabels, List<String> toLabels, List<String> namespaces,
                         List<Integer> ports, List<String> protocols, Instant since, List<String> services,
                         List<DnsPattern> fqdns) {

    public static final FlowFilter ALL = new FlowFilter(List.of(), List.of(), List.of(), List.of(), List.of(),
            List.of(), List.of(), List.of(), List.of(), null);

    /** A filter without DNS names. */
    public FlowFilter(List<String> verdicts, List<String> fromPods, List<String> toPods, List<String> pods,
                      List<String> fromLabels, List<String> toLabels, List<String> namespaces,
                      List<Integer> ports, List<String> protocols, Instant since, List<String> services) {
        this(verdicts, fromPods, toPods, pods, fromLabels, toLabels, namespaces, ports, protocols, since, services, List.of());
    }

    /** A filter without services. */
    public FlowFilter(List<String> verdicts, List<String> fromPods, List<String> toPods, List<String> pods,
                      List<String> fromLabels, List<String> toLabels, List<String> namespaces,
                      List<Integer> ports, List<String> protocols, Instant since) {
        this(verdicts, fromPods, toPods, pods, fromLabels, toLabels, namespaces, ports, protocols, since, List.of());
    }

    public FlowFilter {
        verdicts = copy(verdicts);
        fromPods = copy(fromPods);
        toPods = copy(toPods);
        pods = copy(pods);
        fromLabels = copy(fromLabels);
        toLabels = copy(toLabels);
        namespaces = copy(namespaces);
        ports = ports == null ? List.of() : List.copyOf(ports);
        protocols = copy(protocols);
        services = copy(services);
        fqdns = fqdns == null ? List.of() : List.copyOf(fqdns);
        for (String v : verdicts) {
            try {
                Verdict.valueOf(v.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown verdict '" + v + "' (expected FORWARDED, DROPPED, AUDIT, TRACED or TRANSLATED)");
            }
        }
    }

    public boolean matches(FlowRecord f) {
        return any(verdicts, v -> f.verdict().name().equalsIgnoreCase(v))
                && any(fromPods, p -> podMatches(f.source(), p))
                && any(toPods, p -> podMatches(f.destination(), p))
                && any(pods, p -> podMatches(f.source(), p) || podMatches(f.destination(), p))
                && any(fromLabels, l -> labelMatches(f.source(), l))
                && any(toLabels, l -> labelMatches(f.destination(), l))
                && any(namespaces, n -> n.equals(f.source().namespace()) || n.equals(f.destination().namespace()))
                && any(ports, p -> f.hasPorts() && (f.sourcePort() == p || f.destinationPort() == p))
                && any(protocols, p -> protocolMatches(f.protocol(), p))
                && any(services, s -> f.service() != null
                        && (f.service().namespace() + "/" + f.service().name()).equals(s.contains("/") ? s : "default/" + s))
                && any(fqdns, p -> fqdnMatches(f, p))
                && (since == null || !f.time().isBefore(since));
    }

    private static <T> boolean any(List<T> values, Predicate<T> test) {
        return values.isEmpty() || values.stream().anyMatch(test);
    }

    private static boolean fqdnMatches(FlowRecord f, DnsPattern p) {
        return (f.dns() != null && p.matches(f.dns().query())) || f.sourceNames().stream().anyMatch(p::matches)
                || f.destinationNames().stream().anyMatch(p::matches);
    }

    private static boolean podMatches(FlowPeer peer, String pattern) {
        String key = peer.podKey();
        if (key == null) {
            return false;
        }
        String p = pattern.contains("/") ? pattern : "default/" + pattern;
        return key.startsWith(p);
    }

    private static boolean labelMatches(FlowPeer peer, String selector) {
        for (String label : peer.labels()) {
            String bare = label.replaceFirst("^[a-z0-9-]+:", "");
            String key = label.contains("=") ? label.substring(0, label.indexOf('=')) : label;
            String bareKey = bare.contains("=") ? bare.substring(0, bare.indexOf('=')) : bare;
            boolean withValue = selector.contains("=");
            if (withValue ? (label.equals(selector) || bare.equals(selector))
                    : (key.equals(selector) || bareKey.equals(selector))) {
                return true;
            }
        }
        return false;
    }

    private static boolean protocolMatches(String flowProtocol, String wanted) {
        String w = wanted.toLowerCase(Locale.ROOT);
        String f = flowProtocol.toLowerCase(Locale.ROOT);
        return f.equals(w) || (w.equals("icmp") && f.startsWith("icmp")) || (w.equals("icmpv6") && f.equals("icmpv6"))
                || (w.equals("icmp6") && f.equals("icmpv6"));
    }

    private static List<String> copy(List<String> l) {
        return l == null ? List.of() : List.copyOf(l);
    }
}
