package dev.weir.agent.service;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import dev.weir.agent.cluster.Node;
import dev.weir.agent.yaml.ValidationException;

/**
 * {@link ServiceEngine#resolve} for one node, kept up to date one change at a time: each {@link #update} takes
 * the Services, EndpointSlices, overrides and nodes that changed and recomputes only the services they touch —
 * a changed Service, a Service whose slices changed, every Service sharing a backend whose merged state
 * changed (a backend listed by several services gets its most available state), a backend an override
 * names — and everything when the nodes change (NodePorts live on every node's addresses). Per-service results
 * and their ids are kept; {@link #state} equals what {@link ServiceEngine#resolve} computes from the same
 * objects with the same allocator (a property test holds it to that), and each update says what it changed
 * ({@link LbChange}), so the map writer touches only that.
 *
 * <p>The cross-object checks of {@link ServiceCatalog} run per changed Service against an index of what the
 * others took ({@link ServiceClaims}); a clash throws {@link ValidationException} and leaves the engine
 * {@link #broken}: its owner starts a new one from every object. Ids the state no longer uses are released
 * at the end of each update. Not thread-safe; the allocator is called from the updating thread.
 */
public final class IncrementalServiceEngine {

    /** One endpoint of one slice serving one Service port: its place in the order the full engine merges in. */
    private record Contribution(String service, String slice, int servicePort, int slicePort, int endpoint)
            implements Comparable<Contribution> {
        @Override
        public int compareTo(Contribution o) {
            int c = service.compareTo(o.service);
            if (c == 0) {
                c = slice.compareTo(o.slice);
            }
            if (c == 0) {
                c = Integer.compare(servicePort, o.servicePort);
            }
            if (c == 0) {
                c = Integer.compare(slicePort, o.slicePort);
            }
            return c != 0 ? c : Integer.compare(endpoint, o.endpoint);
        }
    }

    /**
     * An (address, port, protocol) with a scope: a backend's identity (scope 0), in the state's backend order, or a
     * frontend's {@code lb_svc} key (its client scope) and rev-NAT key (scope -1). The address is the object's own.
     */
    private static final class BKey implements Comparable<BKey> {
        private final IpAddress address;
        private final int port;
        private final dev.weir.agent.net.Protocol protocol;
        private final int scope;
        private final int hash;

        BKey(IpAddress address, int port, dev.weir.agent.net.Protocol protocol, int scope) {
            this.address = address;
            this.port = port;
            this.protocol = protocol;
            this.scope = scope;
            int h = 0x811c9dc5;
            for (byte b : address.bytes()) {
                h = (h ^ (b & 0xff)) * 0x01000193;
            }
            // FNV over the address bytes: IpAddress's own hash (31 * ...) collides for neighbouring addresses
            // (10.128.1.40 and 10.129.0.9), which treeified this map's buckets
            this.hash = (h * 31 + port) * 31 + protocol.ordinal() * 7 + scope;
        }

        static BKey of(BackendIndex.Candidate c) {
            return new BKey(c.address(), c.port(), c.protocol(), 0);
        }

        static BKey of(LbBackend b) {
            return new BKey(b.address(), b.port(), b.protocol(), 0);
        }

        static BKey entry(LbFrontend f) {
            return new BKey(f.address(), f.port(), f.protocol(), f.clientScope().code());
        }

        static BKey revNat(LbFrontend f) {
            return new BKey(f.address(), f.port(), f.protocol(), -1);
        }

        String text() {
            return BackendOverrides.key(address, port, protocol);
        }

        @Override
        public int compareTo(BKey o) {
            int c = address.compareTo(o.address);
            if (c == 0) {
                c = Integer.compare(port, o.port);
            }
            if (c == 0) {
                c = protocol.compareTo(o.protocol);
            }
            return c != 0 ? c : Integer.compare(scope, o.scope);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof BKey k && hash == k.hash && port == k.port && scope == k.scope && protocol == k.protocol
                    && address.equals(k.address);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** The one contribution most backends have (a map only when several slices or services list the backend). */
    private record Single(Contribution at, BackendIndex.Candidate candidate) {
    }

    /** A backend of the state and how many services' pieces use it. */
    private static final class Used {
        LbBackend backend;
        int refs;

        Used(LbBackend backend) {
            this.backend = backend;
        }
    }

    /** One Service's share of the state. */
    private record Piece(List<LbFrontend> frontends, List<LbService> services, List<LbBackend> backends,
                         List<String> warnings) {
    }

    /** {@link Resolution#FRONTEND_ORDER}, then by Service: the order the full engine's stable sort gives. */
    private static final Comparator<LbFrontend> FRONTENDS = (a, b) -> {
        int c = a.address().compareTo(b.address());
        if (c == 0) {
            c = Integer.compare(a.port(), b.port());
        }
        if (c == 0) {
            c = a.protocol().compareTo(b.protocol());
        }
        if (c == 0) {
            c = a.clientScope().compareTo(b.clientScope());
        }
        return c != 0 ? c : a.service().compareTo(b.service());
    };

    private final ServiceConfig config;
    private final LbIdAllocator ids;
    private final String thisNode;

    private final TreeMap<String, Service> services = new TreeMap<>();
    private final TreeMap<String, EndpointSlice> slices = new TreeMap<>();
    private final Map<String, TreeSet<String>> slicesOf = new HashMap<>();
    private BackendOverrides overrides = BackendOverrides.NONE;
    private List<Node> nodes = List.of();
    private ServiceClaims claims;
    private final TreeMap<String, List<String>> claimWarnings = new TreeMap<>();
    private final TreeMap<String, List<String>> sliceWarnings = new TreeMap<>();
    private final TreeSet<String> pending = new TreeSet<>();

    /** Per backend: a {@link Single} or a {@code TreeMap<Contribution, Candidate>}, in the full engine's merge order. */
    private final Map<BKey, Object> contributions = new HashMap<>();
    private final Map<BKey, BackendIndex.Candidate> merged = new HashMap<>();
    private final Map<String, Map<String, Set<BKey>>> portBackends = new HashMap<>();

    private final TreeMap<String, Piece> pieces = new TreeMap<>();
    private final TreeMap<LbFrontend, Integer> frontends = new TreeMap<>(FRONTENDS);
    private final Map<BKey, Integer> entryRefs = new HashMap<>();
    private final Map<BKey, Integer> revNatRefs = new HashMap<>();
    private final TreeMap<String, LbService> lbServices = new TreeMap<>();
    private final TreeMap<BKey, Used> backends = new TreeMap<>();
    private final TreeMap<String, List<String>> engineWarnings = new TreeMap<>();
    private long slots;
    private long maglevEntries;
    private boolean broken;

    public IncrementalServiceEngine(ServiceConfig config, LbIdAllocator ids, String thisNode) {
        this.config = config;
        this.ids = ids;
        this.thisNode = thisNode;
    }

    /** True after an update threw: the state is no longer the objects' and the owner must start anew. */
    public boolean broken() {
        return broken;
    }

    /**
     * Applies what changed since the last update (the first update gets every object).
     *
     * @param putServices   Services created or changed
     * @param goneServices  keys ({@code namespace/name}) of Services deleted
     * @param putSlices     EndpointSlices created or changed
     * @param goneSlices    keys of EndpointSlices deleted
     * @param overrides     every backend override now
     * @param nodes         every node now (this node among them)
     * @throws ValidationException when a changed Service clashes with another (the engine is then broken)
     * @throws IllegalArgumentException when this node is not among the nodes (likewise)
     */
    public LbChange update(Collection<Service> putServices, Collection<String> goneServices,
                           Collection<EndpointSlice> putSlices, Collection<String> goneSlices,
                           BackendOverrides overrides, List<Node> nodes) {
        if (broken) {
            throw new IllegalStateException("the service engine is broken by an earlier failure; start a new one");
        }
        try {
            return apply(putServices, goneServices, putSlices, goneSlices, overrides, nodes);
        } catch (RuntimeException e) {
            broken = true;
            throw e;
        }
    }

    private LbChange apply(Collection<Service> putServices, Collection<String> goneServices,
                           Collection<EndpointSlice> putSlices, Collection<String> goneSlices,
                           BackendOverrides newOverrides, List<Node> newNodes) {
        if (newNodes.stream().noneMatch(n -> n.name().equals(thisNode))) {
            throw new IllegalArgumentException("node " + thisNode + " is not among the nodes " + newNodes.stream().map(Node::name).toList());
        }
        List<Node> sortedNodes = newNodes.stream().sorted(Comparator.comparing(Node::name)).toList();
        boolean nodesChanged = !sortedNodes.equals(nodes) || claims == null;
        nodes = sortedNodes;
        TreeSet<String> changedServices = new TreeSet<>();
        TreeSet<String> dirty = new TreeSet<>();
        for (String k : goneServices) {
            services.remove(k);
            changedServices.add(k);
        }
        for (Service s : putServices) {
            services.put(s.key(), s);
            changedServices.add(s.key());
        }
        dirty.addAll(changedServices);
        for (String k : goneSlices) {
            EndpointSlice old = slices.remove(k);
            if (old != null) {
                unbind(old);
                dirty.add(old.serviceKey());
            }
        }
        for (EndpointSlice es : putSlices) {
            EndpointSlice old = slices.put(es.key(), es);
            if (old != null) {
                unbind(old);
                dirty.add(old.serviceKey());
            }
            slicesOf.computeIfAbsent(es.serviceKey(), x -> new TreeSet<>()).add(es.key());
            dirty.add(es.serviceKey());
        }
        claim(changedServices, nodesChanged);
        Set<BKey> touched = new HashSet<>();
        for (String k : dirty) {
            contribute(k, touched);
        }
        if (!newOverrides.equals(overrides)) {
            touched.addAll(overridden(overrides, newOverrides));
            overrides = newOverrides;
        }
        TreeSet<String> resolve = new TreeSet<>(dirty);
        for (BKey b : touched) {
            remerge(b, resolve);
        }
        if (nodesChanged) {
            resolve.addAll(services.keySet());
        }
        return resolveAll(resolve);
    }

    /** The state now. */
    public LbState state() {
        List<LbFrontend> fs = new ArrayList<>(frontends.size());
        frontends.forEach((f, n) -> {
            for (int i = 0; i < n; i++) {
                fs.add(f);
            }
        });
        List<String> warnings = new ArrayList<>();
        claimWarnings.values().forEach(warnings::addAll);
        sliceWarnings.values().forEach(warnings::addAll);
        engineWarnings.values().forEach(warnings::addAll);
        List<LbBackend> bs = new ArrayList<>(backends.size());
        backends.values().forEach(u -> bs.add(u.backend));
        return new LbState(thisNode, fs, new ArrayList<>(lbServices.values()), bs, new ArrayList<>(pending), warnings);
    }

    /** How many entries of each map the state holds, for capacity checks without building it. */
    public Counts counts() {
        return new Counts(entryRefs.size(), lbServices.size(), backends.size(), revNatRefs.size(), slots, maglevEntries,
                frontends.values().stream().mapToInt(Integer::intValue).sum());
    }

    /**
     * @param entries   distinct {@code lb_svc} keys (frontend and client scope)
     * @param services  datapath services
     * @param backends  backends
     * @param revNats   distinct rev-NAT keys (frontends)
     * @param slots     slot entries of every service
     * @param maglev    Maglev entries of every service
     * @param frontends frontends as listed in the state
     */
    public record Counts(int entries, int services, int backends, int revNats, long slots, long maglev, int frontends) {
    }

    /** True when the state has an {@code lb_svc} entry of this frontend's address, port, protocol and scope. */
    public boolean hasEntry(LbFrontend f) {
        return entryRefs.containsKey(BKey.entry(f));
    }

    /** True when the state has a rev-NAT entry of this frontend (address, port, protocol). */
    public boolean hasRevNat(LbFrontend f) {
        return revNatRefs.containsKey(BKey.revNat(f));
    }

    /** True when the state has this backend (by address, port, protocol). */
    public boolean hasBackend(LbBackend b) {
        return backends.containsKey(BKey.of(b));
    }

    private void unbind(EndpointSlice old) {
        TreeSet<String> of = slicesOf.get(old.serviceKey());
        if (of != null) {
            of.remove(old.key());
            if (of.isEmpty()) {
                slicesOf.remove(old.serviceKey());
            }
        }
        pending.remove(old.key());
        sliceWarnings.remove(old.key());
    }

    /** The cross-object checks of the changed Services (of all, when the nodes changed), in key order. */
    private void claim(TreeSet<String> changed, boolean nodesChanged) {
        if (nodesChanged) {
            claims = new ServiceClaims(config, nodes);
            claimWarnings.clear();
            changed = new TreeSet<>(services.keySet());
        } else {
            changed.forEach(k -> {
                claims.remove(k);
                claimWarnings.remove(k);
            });
        }
        for (String k : changed) {
            Service s = services.get(k);
            if (s != null) {
                List<String> w = new ArrayList<>();
                claims.add(s, w);
                if (!w.isEmpty()) {
                    claimWarnings.put(k, w);
                }
            }
        }
    }

    /** Recomputes what one Service's slices contribute to the backends; {@code touched} gets every backend key involved. */
    private void contribute(String serviceKey, Set<BKey> touched) {
        Map<String, Set<BKey>> old = portBackends.remove(serviceKey);
        if (old != null) {
            for (Set<BKey> keys : old.values()) {
                for (BKey b : keys) {
                    uncontribute(b, serviceKey);
                    touched.add(b);
                }
            }
        }
        Service s = services.get(serviceKey);
        TreeSet<String> bound = slicesOf.getOrDefault(serviceKey, new TreeSet<>());
        for (String sliceKey : bound) {
            EndpointSlice es = slices.get(sliceKey);
            if (s == null) {
                pending.add(sliceKey);
                sliceWarnings.remove(sliceKey);
                continue;
            }
            pending.remove(sliceKey);
            List<String> w = new ArrayList<>();
            ServiceCatalog.sliceWarnings(s, es, w);
            if (w.isEmpty()) {
                sliceWarnings.remove(sliceKey);
            } else {
                sliceWarnings.put(sliceKey, w);
            }
        }
        if (s == null) {
            return;
        }
        Map<String, Set<BKey>> ports = new HashMap<>();
        for (String sliceKey : bound) {
            EndpointSlice es = slices.get(sliceKey);
            for (ServicePort sp : s.ports()) {
                for (int pi = 0; pi < es.ports().size(); pi++) {
                    EndpointSlice.Port p = es.ports().get(pi);
                    if (!p.name().equals(sp.name()) || p.protocol() != sp.protocol()) {
                        continue;
                    }
                    for (int ei = 0; ei < es.endpoints().size(); ei++) {
                        EndpointSlice.SliceEndpoint e = es.endpoints().get(ei);
                        BackendState st = e.terminating() ? BackendState.TERMINATING : e.ready() ? BackendState.ACTIVE : null;
                        if (st == null) {
                            continue;
                        }
                        BackendIndex.Candidate c = new BackendIndex.Candidate(e.address(), p.port(), p.protocol(), st,
                                e.nodeName(), e.targetRef());
                        BKey key = BKey.of(c);
                        contribute(key, new Contribution(serviceKey, sliceKey, sp.index(), pi, ei), c);
                        touched.add(key);
                        ports.computeIfAbsent(BackendIndex.portKey(s, sp, es.addressType()), x -> new HashSet<>(4))
                                .add(key);
                    }
                }
            }
        }
        if (!ports.isEmpty()) {
            portBackends.put(serviceKey, ports);
        }
    }

    @SuppressWarnings("unchecked")
    private void contribute(BKey key, Contribution at, BackendIndex.Candidate c) {
        Object was = contributions.get(key);
        if (was == null) {
            contributions.put(key, new Single(at, c));
        } else if (was instanceof Single one) {
            TreeMap<Contribution, BackendIndex.Candidate> m = new TreeMap<>();
            m.put(one.at(), one.candidate());
            m.put(at, c);
            contributions.put(key, m);
        } else {
            ((TreeMap<Contribution, BackendIndex.Candidate>) was).put(at, c);
        }
    }

    @SuppressWarnings("unchecked")
    private void uncontribute(BKey key, String serviceKey) {
        Object was = contributions.get(key);
        if (was instanceof Single one) {
            if (one.at().service().equals(serviceKey)) {
                contributions.remove(key);
            }
        } else if (was != null) {
            TreeMap<Contribution, BackendIndex.Candidate> m = (TreeMap<Contribution, BackendIndex.Candidate>) was;
            // the service's contributions are one range of the map (service first in its order): O(log n), not a scan,
            // so that deleting every service that shares a backend costs n log n, not n^2
            m.subMap(new Contribution(serviceKey, "", Integer.MIN_VALUE, Integer.MIN_VALUE, Integer.MIN_VALUE), true,
                    new Contribution(serviceKey + '\0', "", Integer.MIN_VALUE, Integer.MIN_VALUE, Integer.MIN_VALUE), false).clear();
            if (m.isEmpty()) {
                contributions.remove(key);
            } else if (m.size() == 1) {
                contributions.put(key, new Single(m.firstKey(), m.firstEntry().getValue()));
            }
        }
    }

    /** A backend's contributions in merge order. */
    @SuppressWarnings("unchecked")
    private Map<Contribution, BackendIndex.Candidate> contributionsOf(BKey key) {
        Object c = contributions.get(key);
        if (c == null) {
            return Map.of();
        }
        return c instanceof Single one ? Map.of(one.at(), one.candidate()) : (TreeMap<Contribution, BackendIndex.Candidate>) c;
    }

    /** The backends whose override differs between the two (overrides change rarely: a scan, no index kept for them). */
    private Set<BKey> overridden(BackendOverrides before, BackendOverrides after) {
        Set<String> keys = new HashSet<>(before.states().keySet());
        keys.addAll(after.states().keySet());
        keys.removeIf(k -> Objects.equals(before.states().get(k), after.states().get(k)));
        Set<BKey> out = new HashSet<>();
        merged.forEach((k, c) -> {
            if (keys.contains(c.key()) || keys.contains(c.address().toString())) {
                out.add(k);
            }
        });
        return out;
    }

    /** Merges one backend's contributions again; when the result changed, every service it serves is resolved again. */
    private void remerge(BKey backendKey, Set<String> resolve) {
        Map<Contribution, BackendIndex.Candidate> c = contributionsOf(backendKey);
        BackendIndex.Candidate now = null;
        for (BackendIndex.Candidate x : c.values()) {
            now = now == null ? x : BackendIndex.moreAvailable(now, x);
        }
        if (now != null) {
            BackendState st = overrides.apply(now.address(), now.port(), now.protocol(), now.state());
            if (st != now.state()) {
                now = new BackendIndex.Candidate(now.address(), now.port(), now.protocol(), st, now.node(), now.targetRef());
            }
        }
        BackendIndex.Candidate was = now == null ? merged.remove(backendKey) : merged.put(backendKey, now);
        if (!Objects.equals(was, now)) {
            c.keySet().forEach(x -> resolve.add(x.service()));
        }
    }

    /** The backends of one port of one Service in one family, in address order. */
    private List<BackendIndex.Candidate> lookup(Service s, ServicePort p, IpFamily family) {
        Map<String, Set<BKey>> ports = portBackends.get(s.key());
        Set<BKey> keys = ports == null ? null : ports.get(BackendIndex.portKey(s, p, family));
        if (keys == null) {
            return List.of();
        }
        return keys.stream().map(merged::get).sorted(BackendIndex.ORDER).toList();
    }

    private LbChange resolveAll(TreeSet<String> keys) {
        List<LbFrontend> fBefore = new ArrayList<>();
        List<LbFrontend> fAfter = new ArrayList<>();
        List<LbService> sBefore = new ArrayList<>();
        List<LbService> sAfter = new ArrayList<>();
        Map<BKey, LbBackend> bWas = new HashMap<>();
        Set<String> releasedServices = new HashSet<>();
        Set<BKey> releasedFrontends = new HashSet<>();
        Set<BKey> releasedBackends = new HashSet<>();
        for (String k : keys) {
            Piece old = pieces.remove(k);
            if (old != null) {
                remove(old, bWas);
                fBefore.addAll(old.frontends());
                sBefore.addAll(old.services());
                old.services().forEach(s -> releasedServices.add(s.key()));
                old.frontends().forEach(f -> releasedFrontends.add(BKey.revNat(f)));
                old.backends().forEach(b -> releasedBackends.add(BKey.of(b)));
            }
            Service s = services.get(k);
            if (s != null) {
                Piece now = resolve(s);
                pieces.put(k, now);
                add(now, bWas);
                fAfter.addAll(now.frontends());
                sAfter.addAll(now.services());
            }
        }
        List<LbBackend> bBefore = new ArrayList<>();
        List<LbBackend> bAfter = new ArrayList<>();
        bWas.forEach((key, was) -> {
            Used u = backends.get(key);
            LbBackend now = u == null ? null : u.backend;
            if (!Objects.equals(was, now)) {
                if (was != null) {
                    bBefore.add(was);
                }
                if (now != null) {
                    bAfter.add(now);
                }
            }
        });
        releasedServices.removeIf(lbServices::containsKey);
        releasedFrontends.removeIf(revNatRefs::containsKey);
        releasedBackends.removeIf(backends::containsKey);
        releasedServices.forEach(k -> ids.release(LbIdAllocator.Kind.SERVICE, k));
        releasedBackends.forEach(k -> ids.release(LbIdAllocator.Kind.BACKEND, k.text()));
        releasedFrontends.forEach(k -> ids.release(LbIdAllocator.Kind.REV_NAT, k.text()));
        return new LbChange(0, 0, fBefore, fAfter, sBefore, sAfter, bBefore, bAfter);
    }

    private Piece resolve(Service s) {
        Resolution r = new Resolution(ids, this::lookup, thisNode);
        if (!s.headless()) {
            for (ServicePort p : s.ports()) {
                for (IpFamily f : s.ipFamilies()) {
                    r.port(s, p, f, nodes);
                }
            }
        }
        return new Piece(r.frontends(), r.services(), r.backends(), List.copyOf(r.warnings()));
    }

    private void add(Piece p, Map<BKey, LbBackend> bWas) {
        for (LbFrontend f : p.frontends()) {
            frontends.merge(f, 1, Integer::sum);
            entryRefs.merge(BKey.entry(f), 1, Integer::sum);
            revNatRefs.merge(BKey.revNat(f), 1, Integer::sum);
        }
        for (LbService s : p.services()) {
            lbServices.put(s.key(), s);
            slots += s.slots().size();
            maglevEntries += s.maglev().size();
        }
        for (LbBackend b : p.backends()) {
            BKey k = BKey.of(b);
            remember(bWas, k);
            Used u = backends.computeIfAbsent(k, x -> new Used(b));
            u.backend = b;
            u.refs++;
        }
        if (!p.warnings().isEmpty()) {
            engineWarnings.put(p.services().isEmpty() ? "" : p.services().getFirst().service(), p.warnings());
        }
    }

    private void remove(Piece p, Map<BKey, LbBackend> bWas) {
        for (LbFrontend f : p.frontends()) {
            decrement(frontends, f);
            decrement(entryRefs, BKey.entry(f));
            decrement(revNatRefs, BKey.revNat(f));
        }
        for (LbService s : p.services()) {
            lbServices.remove(s.key());
            slots -= s.slots().size();
            maglevEntries -= s.maglev().size();
        }
        for (LbBackend b : p.backends()) {
            BKey k = BKey.of(b);
            remember(bWas, k);
            Used u = backends.get(k);
            if (u != null && --u.refs <= 0) {
                backends.remove(k);
            }
        }
        if (!p.services().isEmpty()) {
            engineWarnings.remove(p.services().getFirst().service());
        }
    }

    /** The backend's entry before this update's first change to it (null: it had none). */
    private void remember(Map<BKey, LbBackend> was, BKey key) {
        if (!was.containsKey(key)) {
            Used u = backends.get(key);
            was.put(key, u == null ? null : u.backend);
        }
    }

    /** One reference less; true when it was the last. */
    private static <K> boolean decrement(Map<K, Integer> refs, K key) {
        Integer n = refs.get(key);
        if (n == null || n <= 1) {
            refs.remove(key);
            return true;
        }
        refs.put(key, n - 1);
        return false;
    }
}
