package dev.weir.agent.service;

import dev.weir.agent.yaml.ValidationException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.weir.agent.cluster.Node;

/**
 * Computes a node's load-balancer state from Services, EndpointSlices and nodes (see
 * docs/service-engine.md for the rules). Per Service port and IP family:
 * <ul>
 *   <li>the ClusterIP frontend selects from all backends, or only this node's when
 *       internalTrafficPolicy is Local;</li>
 *   <li>the NodePort frontends on this node's addresses, and the LoadBalancer and external IP frontends,
 *       select from all backends, or only this node's when externalTrafficPolicy is Local; in that case a
 *       second entry for local clients (scope 1) selects from all backends, as kube-proxy sends in-cluster
 *       traffic to external addresses to every endpoint;</li>
 *   <li>the NodePort frontends on other nodes' addresses (reached from here only by this node's pods)
 *       select from all backends.</li>
 * </ul>
 * Pure apart from the id allocator, which it calls for every id it uses; the caller gives back ids the
 * state no longer uses with {@link #releaseUnused}. Not thread-safe per instance (one resolve at a time).
 */
public final class ServiceEngine {

    private final ServiceConfig config;
    private final LbIdAllocator ids;

    public ServiceEngine(ServiceConfig config, LbIdAllocator ids) {
        this.config = config;
        this.ids = ids;
    }

    /** {@link #resolve(List, List, List, String, BackendOverrides)} without overrides. */
    public LbState resolve(List<Service> services, List<EndpointSlice> slices, List<Node> nodes, String thisNode) {
        return resolve(services, slices, nodes, thisNode, BackendOverrides.NONE);
    }

    /**
     * Validates the objects together ({@link ServiceCatalog}) and computes this node's state.
     *
     * @throws ValidationException when the objects clash
     * @throws IllegalArgumentException   when {@code thisNode} is not among the nodes
     */
    public LbState resolve(List<Service> services, List<EndpointSlice> slices, List<Node> nodes, String thisNode,
                           BackendOverrides overrides) {
        return resolve(ServiceCatalog.build(services, slices, nodes, config), nodes, thisNode, overrides);
    }

    /** Computes this node's state from an already checked catalog. */
    public LbState resolve(ServiceCatalog catalog, List<Node> nodes, String thisNode, BackendOverrides overrides) {
        if (nodes.stream().noneMatch(n -> n.name().equals(thisNode))) {
            throw new IllegalArgumentException("node " + thisNode + " is not among the nodes " + nodes.stream().map(Node::name).toList());
        }
        List<Node> sortedNodes = nodes.stream().sorted(Comparator.comparing(Node::name)).toList();
        Resolution r = new Resolution(ids, BackendIndex.of(catalog, overrides), thisNode);
        List<String> warnings = new ArrayList<>(catalog.warnings());
        for (Service s : catalog.services()) {
            if (s.headless()) {
                continue;
            }
            for (ServicePort p : s.ports()) {
                for (IpFamily f : s.ipFamilies()) {
                    r.port(s, p, f, sortedNodes);
                }
            }
        }
        warnings.addAll(r.warnings());
        return new LbState(thisNode, r.frontends(), r.services(), r.backends(),
                catalog.pending().stream().map(EndpointSlice::key).toList(), warnings);
    }

    /** Releases every id {@code before} used and {@code after} does not. */
    public static void releaseUnused(LbState before, LbState after, LbIdAllocator ids) {
        release(before.services().stream().map(LbService::key).toList(), after.services().stream().map(LbService::key).toList(),
                LbIdAllocator.Kind.SERVICE, ids);
        release(before.backends().stream().map(LbBackend::key).toList(), after.backends().stream().map(LbBackend::key).toList(),
                LbIdAllocator.Kind.BACKEND, ids);
        release(before.frontends().stream().map(LbFrontend::key).toList(), after.frontends().stream().map(LbFrontend::key).toList(),
                LbIdAllocator.Kind.REV_NAT, ids);
    }

    private static void release(List<String> before, List<String> after, LbIdAllocator.Kind kind, LbIdAllocator ids) {
        Set<String> live = new HashSet<>(after);
        before.stream().distinct().filter(k -> !live.contains(k)).forEach(k -> ids.release(kind, k));
    }

    /** Names a service for ids and dumps: {@code ns/name/port/family/scope}. */
    static String serviceKey(Service s, ServicePort p, IpFamily f, LbService.Scope scope) {
        String port = p.name().isEmpty() ? p.port() + "-" + p.protocol() : p.name();
        return s.key() + "/" + port + "/" + f + "/" + scope.name().toLowerCase(java.util.Locale.ROOT);
    }
}
