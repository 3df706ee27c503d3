package dev.weir.agent.service;

import dev.weir.agent.yaml.ValidationException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.weir.agent.cluster.Node;
import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.Protocol;

/**
 * Every Service and EndpointSlice of the cluster, checked together: ClusterIPs inside the service ranges
 * and unique, NodePorts inside the NodePort range and unique per protocol, LoadBalancer and external IPs
 * inside the pools, and no two frontends (address, port, protocol) alike, node addresses included. A slice
 * whose Service does not exist (yet) is accepted and kept as pending, as Kubernetes does; it binds when
 * the Service arrives. Things that are legal but do nothing (a slice port no service port names, an
 * external IP of a family the service does not have) are warnings. Immutable; built by {@link #build},
 * which throws {@link ValidationException} for the first problem, in service key order.
 *
 * @param services services in key order
 * @param slices   bound slices by service key, each list in slice name order
 * @param pending  slices whose Service does not exist, in key order
 * @param warnings human-readable notes, in a stable order
 */
public record ServiceCatalog(List<Service> services, Map<String, List<EndpointSlice>> slices,
                             List<EndpointSlice> pending, List<String> warnings) {

    public ServiceCatalog {
        services = List.copyOf(services);
        slices = Map.copyOf(slices);
        pending = List.copyOf(pending);
        warnings = List.copyOf(warnings);
    }

    /** The bound slices of a service (empty when none). */
    public List<EndpointSlice> slicesOf(Service s) {
        return slices.getOrDefault(s.key(), List.of());
    }

    /**
     * Checks every object against the others and against the configuration.
     *
     * @param services every Service (this apply's and those already stored)
     * @param slices   every EndpointSlice
     * @param nodes    the cluster's nodes (their addresses carry NodePorts)
     * @throws ValidationException naming the file, object and field of the first clash
     */
    public static ServiceCatalog build(List<Service> services, List<EndpointSlice> slices, List<Node> nodes,
                                       ServiceConfig config) {
        return build(services, slices, nodes, config, java.util.Set.of());
    }

    /**
     * {@link #build(List, List, List, ServiceConfig)}, where the services named in {@code established}
     * ({@code namespace/name}, those a store already holds unchanged) claim their addresses and ports first,
     * so that a clash is reported against the new or changed object.
     */
    public static ServiceCatalog build(List<Service> services, List<EndpointSlice> slices, List<Node> nodes,
                                       ServiceConfig config, java.util.Set<String> established) {
        List<Service> sorted = services.stream().sorted(Comparator.comparing((Service s) -> !established.contains(s.key()))
                .thenComparing(Service::key)).toList();
        List<String> warnings = new ArrayList<>();
        Checker checker = new Checker(config, nodes);
        Service prev = null;
        for (Service s : sorted) {
            if (prev != null && prev.key().equals(s.key())) {
                throw new ValidationException(s.source(), s.ref(), "metadata.name",
                        "duplicate Service (also in " + prev.source() + ")");
            }
            checker.check(s, warnings);
            prev = s;
        }
        Map<String, Service> byKey = new HashMap<>();
        sorted.forEach(s -> byKey.put(s.key(), s));
        Map<String, List<EndpointSlice>> bound = new TreeMap<>();
        List<EndpointSlice> pending = new ArrayList<>();
        EndpointSlice prevSlice = null;
        for (EndpointSlice es : slices.stream().sorted(Comparator.comparing(EndpointSlice::key)).toList()) {
            if (prevSlice != null && prevSlice.key().equals(es.key())) {
                throw new ValidationException(es.source(), es.ref(), "metadata.name",
                        "duplicate EndpointSlice (also in " + prevSlice.source() + ")");
            }
            prevSlice = es;
            Service s = byKey.get(es.serviceKey());
            if (s == null) {
                pending.add(es);
                continue;
            }
            sliceWarnings(s, es, warnings);
            bound.computeIfAbsent(s.key(), k -> new ArrayList<>()).add(es);
        }
        return new ServiceCatalog(sorted, bound, pending, warnings);
    }

    private static void sliceWarnings(Service s, EndpointSlice es, List<String> warnings) {
        if (s.headless()) {
            return;
        }
        if (!s.ipFamilies().contains(es.addressType())) {
            warnings.add(es.ref() + ": addressType " + es.addressType() + " is not a family of " + s.ref() + " " + s.ipFamilies() + "; ignored");
        }
        for (EndpointSlice.Port p : es.ports()) {
            boolean named = s.ports().stream().anyMatch(sp -> sp.name().equals(p.name()) && sp.protocol() == p.protocol());
            if (!named) {
                warnings.add(es.ref() + ": port '" + p.name() + "' " + p.port() + "/" + p.protocol()
                        + " matches no port of " + s.ref() + " (by name and protocol); ignored");
            }
        }
    }

    /** The clash checks, with what earlier services took. */
    private static final class Checker {
        private final ServiceConfig config;
        private final List<IpAddress> nodeAddresses = new ArrayList<>();
        private final Map<IpAddress, Service> clusterIps = new HashMap<>();
        private final Map<String, Service> nodePorts = new HashMap<>();
        private final Map<String, String> frontends = new HashMap<>();

        Checker(ServiceConfig config, List<Node> nodes) {
            this.config = config;
            for (Node n : nodes) {
                for (String a : new String[] {n.ipv4(), n.ipv6()}) {
                    if (a != null) {
                        nodeAddresses.add(IpAddress.parse(a));
                    }
                }
            }
        }

        void check(Service s, List<String> warnings) {
            for (int i = 0; i < s.clusterIps().size(); i++) {
                clusterIp(s, s.clusterIps().get(i), "spec.clusterIPs[" + i + "]");
            }
            for (ServicePort p : s.ports()) {
                if (p.nodePort() != 0) {
                    nodePort(s, p);
                }
            }
            external(s, s.externalIps(), "spec.externalIPs", warnings);
            external(s, s.loadBalancerIps(), "status.loadBalancer.ingress", warnings);
            frontends(s);
        }

        private void clusterIp(Service s, IpAddress ip, String path) {
            Cidr range = config.serviceRange(ip.family());
            if (range == null || !ip.in(range)) {
                throw fail(s, path, "clusterIP " + ip + " is outside the service ranges " + config.serviceRanges());
            }
            Service other = clusterIps.putIfAbsent(ip, s);
            if (other != null) {
                throw fail(s, path, "clusterIP " + ip + " is already taken by " + other.ref() + where(other));
            }
        }

        private void nodePort(Service s, ServicePort p) {
            String path = "spec.ports[" + p.index() + "].nodePort";
            if (!config.nodePorts().contains(p.nodePort())) {
                throw fail(s, path, "nodePort " + p.nodePort() + " is outside the NodePort range " + config.nodePorts());
            }
            Service other = nodePorts.putIfAbsent(p.nodePort() + "/" + p.protocol(), s);
            if (other != null) {
                throw fail(s, path, "nodePort " + p.nodePort() + "/" + p.protocol() + " is already taken by "
                        + (other == s ? "another port of this service" : other.ref() + where(other)));
            }
        }

        private void external(Service s, List<IpAddress> ips, String path, List<String> warnings) {
            for (int i = 0; i < ips.size(); i++) {
                IpAddress ip = ips.get(i);
                String p = path + "[" + i + "]";
                Cidr range = config.serviceRange(ip.family());
                if (range != null && ip.in(range)) {
                    throw fail(s, p, ip + " lies in the service range " + range + ", which only ClusterIPs may use");
                }
                if (!config.externalPools().isEmpty() && config.externalPools().stream().noneMatch(ip::in)) {
                    throw fail(s, p, ip + " is outside the LoadBalancer/external IP pools " + config.externalPools());
                }
                if (!s.ipFamilies().contains(ip.family())) {
                    warnings.add(s.ref() + ": " + p + " " + ip + " is not of the service's families " + s.ipFamilies() + "; ignored");
                }
            }
        }

        /** Every (address, port, protocol) the service answers on, against every other service's. */
        private void frontends(Service s) {
            for (ServicePort p : s.ports()) {
                for (IpAddress ip : s.clusterIps()) {
                    claim(s, ip, p.port(), p.protocol(), "spec.ports[" + p.index() + "]", "ClusterIP");
                }
                for (IpAddress ip : s.externalIps()) {
                    claim(s, ip, p.port(), p.protocol(), "spec.externalIPs", "external IP");
                }
                for (IpAddress ip : s.loadBalancerIps()) {
                    claim(s, ip, p.port(), p.protocol(), "status.loadBalancer.ingress", "LoadBalancer IP");
                }
                if (p.nodePort() != 0) {
                    for (IpAddress ip : nodeAddresses) {
                        claim(s, ip, p.nodePort(), p.protocol(), "spec.ports[" + p.index() + "].nodePort", "NodePort");
                    }
                }
            }
        }

        private void claim(Service s, IpAddress ip, int port, Protocol proto, String path, String what) {
            String key = ip.withPort(port) + "/" + proto;
            String mine = what + " of " + s.ref();
            String other = frontends.putIfAbsent(key, mine);
            if (other != null && !other.equals(mine)) {
                throw fail(s, path, "duplicate frontend " + key + " (" + what + "): already the " + other);
            }
        }

        private static String where(Service other) {
            return other.source() == null ? "" : " (" + other.source() + ")";
        }

        private static ValidationException fail(Service s, String path, String problem) {
            return new ValidationException(s.source(), s.ref(), path, problem);
        }
    }
}
