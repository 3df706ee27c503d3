package dev.weir.agent.service;

import dev.weir.agent.yaml.ValidationException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.weir.agent.cluster.Node;

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
        ServiceClaims checker = new ServiceClaims(config, nodes);
        Service prev = null;
        for (Service s : sorted) {
            if (prev != null && prev.key().equals(s.key())) {
                throw new ValidationException(s.source(), s.ref(), "metadata.name",
                        "duplicate Service (also in " + prev.source() + ")");
            }
            checker.add(s, warnings);
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

    static void sliceWarnings(Service s, EndpointSlice es, List<String> warnings) {
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
}
