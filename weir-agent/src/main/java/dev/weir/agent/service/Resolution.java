package dev.weir.agent.service;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.weir.agent.cluster.Node;

/** One run of {@link ServiceEngine#resolve}: the frontends, services and backends made so far. Not thread-safe. */
final class Resolution {

    static final Comparator<LbFrontend> FRONTEND_ORDER = Comparator.comparing(LbFrontend::address)
            .thenComparingInt(LbFrontend::port).thenComparing(LbFrontend::protocol).thenComparing(LbFrontend::clientScope);

    private final LbIdAllocator ids;
    private final BackendLookup index;
    private final String thisNode;
    private final List<LbFrontend> frontends = new ArrayList<>();
    private final Map<String, LbService> services = new TreeMap<>();
    private final Map<String, LbBackend> backends = new HashMap<>();
    private final List<String> warnings = new ArrayList<>();

    Resolution(LbIdAllocator ids, BackendLookup index, String thisNode) {
        this.ids = ids;
        this.index = index;
        this.thisNode = thisNode;
    }

    /** Every frontend of one port of one Service in one family. */
    void port(Service s, ServicePort p, IpFamily f, List<Node> nodes) {
        LbService.Scope internal = s.internalPolicy() == Service.TrafficPolicy.LOCAL ? LbService.Scope.LOCAL : LbService.Scope.ALL;
        for (IpAddress ip : s.clusterIps()) {
            if (ip.family() == f) {
                add(s, p, ip, p.port(), LbFrontend.Kind.CLUSTER_IP, LbFrontend.ClientScope.ANY, service(s, p, f, internal));
            }
        }
        if (p.nodePort() != 0) {
            for (Node n : nodes) {
                String text = f == IpFamily.IPV4 ? n.ipv4() : n.ipv6();
                if (text == null) {
                    continue;
                }
                IpAddress ip = IpAddress.parse(text);
                if (n.name().equals(thisNode)) {
                    external(s, p, f, ip, p.nodePort(), LbFrontend.Kind.NODE_PORT);
                } else {
                    add(s, p, ip, p.nodePort(), LbFrontend.Kind.NODE_PORT, LbFrontend.ClientScope.ANY, service(s, p, f, LbService.Scope.ALL));
                }
            }
        }
        s.loadBalancerIps().stream().filter(ip -> ip.family() == f)
                .forEach(ip -> external(s, p, f, ip, p.port(), LbFrontend.Kind.LOAD_BALANCER));
        s.externalIps().stream().filter(ip -> ip.family() == f)
                .forEach(ip -> external(s, p, f, ip, p.port(), LbFrontend.Kind.EXTERNAL_IP));
    }

    /** A frontend external clients reach on this node: externalTrafficPolicy applies. */
    private void external(Service s, ServicePort p, IpFamily f, IpAddress ip, int port, LbFrontend.Kind kind) {
        boolean local = s.externalPolicy() == Service.TrafficPolicy.LOCAL;
        add(s, p, ip, port, kind, LbFrontend.ClientScope.ANY, service(s, p, f, local ? LbService.Scope.LOCAL : LbService.Scope.ALL),
                local ? LbFrontend.EXT_LOCAL : 0);
        if (local) {
            add(s, p, ip, port, kind, LbFrontend.ClientScope.LOCAL, service(s, p, f, LbService.Scope.ALL));
        }
    }

    private void add(Service s, ServicePort p, IpAddress ip, int port, LbFrontend.Kind kind, LbFrontend.ClientScope scope,
                     LbService svc) {
        add(s, p, ip, port, kind, scope, svc, 0);
    }

    private void add(Service s, ServicePort p, IpAddress ip, int port, LbFrontend.Kind kind, LbFrontend.ClientScope scope,
                     LbService svc, int extraFlags) {
        int flags = extraFlags | switch (kind) {
            case CLUSTER_IP -> 0;
            case NODE_PORT -> LbFrontend.NODEPORT;
            case LOAD_BALANCER -> LbFrontend.LOADBALANCER | (s.sourceRanges().isEmpty() ? 0 : LbFrontend.SRC_RANGES);
            case EXTERNAL_IP -> LbFrontend.EXTERNAL_IP;
        };
        boolean maglev = s.algorithm() == Service.Algorithm.MAGLEV;
        flags |= (maglev ? LbFrontend.MAGLEV : 0) | (s.affinity() ? LbFrontend.AFFINITY : 0)
                | (index.backends(s, p, ip.family()).stream().anyMatch(c -> usable(index.ownState(s, c))) ? 0 : LbFrontend.REJECT);
        String key = BackendOverrides.key(ip, port, p.protocol());
        int revNat = ids.allocate(LbIdAllocator.Kind.REV_NAT, key);
        frontends.add(new LbFrontend(ip, port, p.protocol(), scope, kind, s.key(), svc.id(), revNat, svc.slots().size(), flags,
                s.affinityTimeoutSeconds(), maglev ? s.maglevTableSize() : 0,
                kind == LbFrontend.Kind.LOAD_BALANCER ? s.sourceRanges() : List.of()));
    }

    /** The datapath service of one backend set, made on first use. */
    private LbService service(Service s, ServicePort p, IpFamily f, LbService.Scope scope) {
        String key = ServiceEngine.serviceKey(s, p, f, scope);
        LbService known = services.get(key);
        if (known != null) {
            return known;
        }
        List<Integer> all = new ArrayList<>();
        List<LbBackend> ready = new ArrayList<>();
        List<LbBackend> serving = new ArrayList<>();
        for (BackendIndex.Candidate c : index.backends(s, p, f)) {
            if (scope == LbService.Scope.LOCAL && !thisNode.equals(c.node())) {
                continue;
            }
            LbBackend b = backend(c);
            all.add(b.id());
            // the Service's own conditions decide (another Service may list the same backend otherwise)
            BackendState own = index.ownState(s, c);
            if (own == BackendState.ACTIVE) {
                ready.add(b);
            } else if (own == BackendState.SERVING_TERMINATING) {
                serving.add(b);
            }
        }
        // KEP-1669: with no ready endpoint in the set, the serving terminating ones take new connections
        List<LbBackend> chosen = ready.isEmpty() ? serving : ready;
        List<Integer> slots = chosen.stream().map(LbBackend::id).toList();
        List<Maglev.Backend> active = chosen.stream().map(b -> new Maglev.Backend(b.address(), b.port(), b.id())).toList();
        if (slots.size() > 65535) {
            throw new IllegalStateException(key + ": " + slots.size() + " active backends exceed the datapath's 65535");
        }
        List<Integer> table = List.of();
        if (s.algorithm() == Service.Algorithm.MAGLEV && !active.isEmpty()) {
            if (active.size() > s.maglevTableSize()) {
                warnings.add(key + ": " + active.size() + " backends exceed the Maglev table size " + s.maglevTableSize()
                        + "; some get no entry");
            }
            table = java.util.Arrays.stream(Maglev.table(active, s.maglevTableSize())).boxed().toList();
        }
        int healthCheck = scope == LbService.Scope.LOCAL && s.externalPolicy() == Service.TrafficPolicy.LOCAL ? s.healthCheckNodePort() : 0;
        LbService svc = new LbService(ids.allocate(LbIdAllocator.Kind.SERVICE, key), key, s.key(), p, f, scope, all, slots, table,
                healthCheck);
        services.put(key, svc);
        return svc;
    }

    /** Whether a backend in this state can take new connections (ready, or a serving terminating fallback). */
    private static boolean usable(BackendState state) {
        return state == BackendState.ACTIVE || state == BackendState.SERVING_TERMINATING;
    }

        private LbBackend backend(BackendIndex.Candidate c) {
        return backends.computeIfAbsent(c.key(), k -> new LbBackend(ids.allocate(LbIdAllocator.Kind.BACKEND, k),
                c.address(), c.port(), c.protocol(), c.state(), c.node(), c.targetRef()));
    }

    List<LbFrontend> frontends() {
        return frontends.stream().sorted(FRONTEND_ORDER).toList();
    }

    List<LbService> services() {
        return List.copyOf(services.values());
    }

    List<LbBackend> backends() {
        return backends.values().stream().sorted(Comparator.comparing(LbBackend::address)
                .thenComparingInt(LbBackend::port).thenComparing(LbBackend::protocol)).toList();
    }

    List<String> warnings() {
        return warnings;
    }
}
