package dev.weir.agent.datapath;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.identity.IdentityInfo;
import dev.weir.agent.net.Cidr;
import dev.weir.agent.policy.PolicyResult;
import dev.weir.agent.policy.RuleRef;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.datapath.endpoint.EpInfo;
import dev.weir.datapath.endpoint.IpcacheKey;
import dev.weir.datapath.endpoint.IpcacheVal;
import dev.weir.datapath.endpoint.PolKey;
import dev.weir.datapath.endpoint.PolVal;
import dev.weir.testkit.Frames;

/**
 * Renders what a node's {@code ep_by_ifindex}, {@code ipcache} and {@code pol} hold — read back from the
 * kernel — as sorted text for golden files: addresses and prefixes in their own family's terms, port
 * blocks as ranges, identities and rules with a legend from the result. Stateless.
 */
final class MapDump {

    private MapDump() {
    }

    static String render(PolicyResult r, List<NodeDatapath> nodes) {
        StringBuilder sb = new StringBuilder();
        sb.append("identities\n");
        for (IdentityInfo i : r.identities()) {
            sb.append("  %-9d %s\n".formatted(i.id(), identityName(r, i)));
        }
        sb.append("rules\n");
        for (RuleRef rule : r.rules()) {
            sb.append("  #").append(rule).append('\n');
        }
        for (NodeDatapath n : nodes) {
            sb.append("\nnode ").append(n.node.name()).append('\n');
            ep(sb, r, n.maps.eps.entries());
            ipcache(sb, n.maps.ipcache.entries());
            pol(sb, r, n.maps.pol.entries());
        }
        return sb.toString();
    }

    private static String identityName(PolicyResult r, IdentityInfo i) {
        List<String> pods = r.snapshot().endpoints().stream().filter(e -> r.endpoint(e.id()).identity() == i.id())
                .map(Endpoint::key).toList();
        if (!pods.isEmpty()) {
            return String.join(",", pods);
        }
        return i.labels().entrySet().stream().map(e -> e.getKey() + (e.getValue().isEmpty() ? "" : "=" + e.getValue()))
                .sorted().collect(Collectors.joining(" "));
    }

    private static void ep(StringBuilder sb, PolicyResult r, Map<Integer, EpInfo> eps) {
        sb.append("ep_by_ifindex (ifindex: this fixture's 100 + endpoint id)\n");
        for (var e : new TreeMap<>(eps).entrySet()) {
            EpInfo v = e.getValue();
            sb.append("  %-4d %-4s ep %-2d identity %-5d gen %d flags %s\n".formatted(e.getKey(), pod(r, v.epId()),
                    v.epId(), v.identity(), v.polGen(), flags(v.flags())));
        }
    }

    private static String flags(int f) {
        String[] names = {"ingress-enforced", "egress-enforced", "ingress-audit", "egress-audit"};
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < names.length; i++) {
            if ((f & (1 << i)) != 0) {
                sb.append(sb.isEmpty() ? "" : ",").append(names[i]);
            }
        }
        return sb.isEmpty() ? "-" : sb.toString();
    }

    private static void ipcache(StringBuilder sb, Map<IpcacheKey, IpcacheVal> ipcache) {
        sb.append("ipcache\n");
        ipcache.entrySet().stream()
                .sorted(Comparator.comparing((Map.Entry<IpcacheKey, IpcacheVal> e) -> !isV4(e.getKey()))
                        .thenComparing(e -> e.getKey().addr(), Arrays::compareUnsigned)
                        .thenComparingInt(e -> e.getKey().prefixLen()))
                .forEach(e -> sb.append("  %-28s %d%s\n".formatted(prefix(e.getKey()), e.getValue().identity(),
                        e.getValue().tunnelEndpoint() == 0 ? "" : " tunnel " + e.getValue().tunnelEndpoint())));
    }

    private static boolean isV4(IpcacheKey k) {
        byte[] a = k.addr();
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return k.prefixLen() >= 96 && a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }

    /** The prefix in its own family's terms (IPv4 out of its v4-mapped form), RFC 5952 for IPv6. */
    private static String prefix(IpcacheKey k) {
        if (isV4(k)) {
            return new Cidr(Arrays.copyOfRange(k.addr(), 12, 16), k.prefixLen() - 96).toString();
        }
        return new Cidr(k.addr(), k.prefixLen()).toString();
    }

    private static void pol(StringBuilder sb, PolicyResult r, Map<PolKey, PolVal> pol) {
        sb.append("pol (ep gen dir peer family proto ports -> action rule)\n");
        pol.entrySet().stream()
                .sorted(Comparator.comparingInt((Map.Entry<PolKey, PolVal> e) -> e.getKey().epId())
                        .thenComparingInt(e -> e.getKey().gen())
                        .thenComparingInt(e -> e.getKey().dir())
                        .thenComparingLong(e -> Integer.toUnsignedLong(e.getKey().identity()))
                        .thenComparingInt(e -> e.getKey().family())
                        .thenComparingInt(e -> e.getKey().proto())
                        .thenComparingInt(e -> e.getKey().dport())
                        .thenComparingInt(e -> e.getKey().prefixLen()))
                .forEach(e -> {
                    PolKey k = e.getKey();
                    PolVal v = e.getValue();
                    sb.append("  %-4s %d %-7s %-8s %-2s %-4s %-11s -> %-5s #%d%s%s\n".formatted(pod(r, k.epId()), k.gen(),
                            k.dir() == EndpointMaps.DIR_INGRESS ? "ingress" : "egress",
                            k.identity() == 0 ? "any" : Integer.toUnsignedString(k.identity()),
                            k.prefixLen() < PolKey.PREFIX_FAMILY ? "*" : "v" + k.family(),
                            k.prefixLen() < PolKey.PREFIX_PROTO ? "*" : proto(k.proto()), ports(k),
                            v.action() == PolVal.ALLOW ? "allow" : v.action() == PolVal.DENY ? "deny" : "action " + v.action(),
                            v.rule(), v.hasL4() == (k.prefixLen() >= PolKey.PREFIX_PROTO) ? "" : " has_l4 WRONG",
                            v.packets() == 0 && v.bytes() == 0 ? "" : " counters " + v.packets() + "/" + v.bytes()));
                });
    }

    private static String ports(PolKey k) {
        int bits = k.prefixLen() - PolKey.PREFIX_PROTO;
        if (bits <= 0) {
            return "*";
        }
        int last = k.dport() + (1 << (16 - bits)) - 1;
        return last == k.dport() ? Integer.toString(k.dport()) : k.dport() + "-" + last;
    }

    private static String proto(int p) {
        return switch (p) {
            case Frames.TCP -> "tcp";
            case Frames.UDP -> "udp";
            case Frames.SCTP -> "sctp";
            case Frames.ICMP -> "icmp";
            case Frames.ICMPV6 -> "icmp6";
            default -> Integer.toString(p);
        };
    }

    private static String pod(PolicyResult r, int epId) {
        return r.snapshot().endpoints().stream().filter(e -> e.id() == epId).map(Endpoint::key).findFirst().orElse("?" + epId);
    }
}
