package dev.weir.agent.service;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One {@code healthCheckNodePort} as a node answers it (kube-proxy's service health server): the Service and
 * how many of its endpoints on this node are ready. A cloud load balancer probes it and stops sending to
 * nodes that answer 503 (none), which externalTrafficPolicy Local would otherwise drop. Immutable.
 *
 * @param port           the health check NodePort
 * @param service        the Service's {@code namespace/name}
 * @param localEndpoints ready endpoints on this node (per IP family; the larger count of a dual-stack Service)
 */
public record HealthCheck(int port, String service, int localEndpoints) {

    /** Every health check port of a node's state, by port. */
    public static Map<Integer, HealthCheck> of(LbState state) {
        Map<Integer, String> services = new TreeMap<>();
        Map<String, Set<String>> ready = new HashMap<>();
        for (LbService s : state.services()) {
            if (s.healthCheckNodePort() == 0) {
                continue;
            }
            services.putIfAbsent(s.healthCheckNodePort(), s.service());
            Set<String> addresses = ready.computeIfAbsent(s.healthCheckNodePort() + "/" + s.family(), k -> new HashSet<>());
            for (int id : s.backends()) {
                state.backend(id).filter(b -> b.state() == BackendState.ACTIVE).ifPresent(b -> addresses.add(b.address().toString()));
            }
        }
        Map<Integer, HealthCheck> out = new TreeMap<>();
        services.forEach((port, service) -> {
            int n = 0;
            for (IpFamily f : IpFamily.values()) {
                n = Math.max(n, ready.getOrDefault(port + "/" + f, Set.of()).size());
            }
            out.put(port, new HealthCheck(port, service, n));
        });
        return out;
    }

    /** 200 with local endpoints, 503 without: the load balancer's verdict. */
    public int status() {
        return localEndpoints > 0 ? 200 : 503;
    }

    /** kube-proxy's body: {@code {"service":{"namespace":..,"name":..},"localEndpoints":N,"serviceProxyHealthy":true}}. */
    public String json() {
        int slash = service.indexOf('/');
        return "{\"service\":{\"namespace\":\"" + service.substring(0, slash) + "\",\"name\":\"" + service.substring(slash + 1)
                + "\"},\"localEndpoints\":" + localEndpoints + ",\"serviceProxyHealthy\":true}";
    }
}
