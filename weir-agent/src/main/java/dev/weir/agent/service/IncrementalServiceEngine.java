package dev.weir.agent.service;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
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

        /**
         * The contributions of one Service in a backend's map: one range (service first in the order), found in
         * O(log n) where a filter would walk every service that shares the backend.
         */
        static Map<Contribution, BackendIndex.Candidate> of(String service, Map<Contribution, BackendIndex.Candidate> all) {
            return all instanceof java.util.NavigableMap<Contribution, BackendIndex.Candidate> m
                    ? m.subMap(new Contribution(service, "", Integer.MIN_VALUE, Integer.MIN_VALUE, Integer.MIN_VALUE), true,
                    new Contribution(service + '\0', "", Integer.MIN_VALUE, Integer.MIN_VALUE, Integer.MIN_VALUE), false)
                    : all;
        }
    }

    /**
     * An (address, port, protocol) with a scope: a backend's identity (scope 0), in the state's backend order, or a
     * frontend's {@code lb_svc} key (its client scope) and rev-NAT key (scope -1). The address is the object's own.
     */
    static final class BKey implements Comparable<BKey> {
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

    /**
     * One backend: what the slices contribute to it and their merge. Its key is the one {@link BKey} instance the
     * engine's index, the services' port lists and every node view's backends share (at 10,000 services x 10
     * endpoints each map holding its own key and entry took ~35 MB per engine).
     */
    static final class Backend {
        final BKey key;
        /** The one contribution most backends have; null when there are several ({@link #many}). */
        private Contribution at;
        private BackendIndex.Candidate candidate;
        /** Several contributions, in the full engine's merge order; null when there is one. */
        private TreeMap<Contribution, BackendIndex.Candidate> many;
        /** The contributions merged, the override applied; null before the first merge. */
        private BackendIndex.Candidate merged;

        private Backend(BKey key) {
            this.key = key;
        }

        private boolean isEmpty() {
            return at == null && many == null;
        }

        /** The contributions in merge order. */
        private Map<Contribution, BackendIndex.Candidate> contributions() {
            return many != null ? many : at != null ? Map.of(at, candidate) : Map.of();
        }
    }

    private final ServiceConfig config;

    private final TreeMap<String, Service> services = new TreeMap<>();
    private final TreeMap<String, EndpointSlice> slices = new TreeMap<>();
    private final Map<String, TreeSet<String>> slicesOf = new HashMap<>();
    private BackendOverrides overrides = BackendOverrides.NONE;
    private List<Node> nodes = List.of();
    private ServiceClaims claims;
    private final TreeMap<String, List<String>> claimWarnings = new TreeMap<>();
    private final TreeMap<String, List<String>> sliceWarnings = new TreeMap<>();
    private final TreeSet<String> pending = new TreeSet<>();

    /** Every backend some slice contributes to (merged or not yet). */
    private final Map<BKey, Backend> backends = new HashMap<>();
    /** Per Service, per port and family ({@link BackendIndex#portKey}): its backends, each once. */
    private final Map<String, Map<String, Backend[]>> portBackends = new HashMap<>();

    private final List<LbNodeView> views = new ArrayList<>();
    private final boolean sharedIds;
    private boolean broken;
    private final List<LbChange> changes = new ArrayList<>();

    /** An engine for one node, with that node's ids (released when the state no longer uses them). */
    public IncrementalServiceEngine(ServiceConfig config, LbIdAllocator ids, String thisNode) {
        this.config = config;
        this.sharedIds = false;
        views.add(new LbNodeView(this, ids, thisNode, true));
    }

    /**
     * An engine for several nodes sharing one allocator whose ids are never released (counting, as the apply
     * check does): the objects, merged backends and checks are kept once, and a Service that resolves alike on
     * every node (no traffic policy Local) keeps one piece for all of them.
     */
    public IncrementalServiceEngine(ServiceConfig config, LbIdAllocator ids, List<String> nodes) {
        this.config = config;
        this.sharedIds = true;
        nodes.forEach(n -> views.add(new LbNodeView(this, ids, n, false)));
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
        for (LbNodeView v : views) {
            if (newNodes.stream().noneMatch(n -> n.name().equals(v.node()))) {
                throw new IllegalArgumentException("node " + v.node() + " is not among the nodes " + newNodes.stream().map(Node::name).toList());
            }
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
        changes.clear();
        Map<String, LbNodeView.Piece> shared = sharedIds ? new HashMap<>() : null;
        for (int i = 0; i < views.size(); i++) {
            changes.add(views.get(i).resolveAll(resolve, shared, i == 0));
        }
        return changes.getFirst();
    }

    /**
     * What an update would change, undone before this returns: {@code look} is given what the update changed on
     * each node ({@link #lastChanges}) while the views hold the state after it; then the engine goes back to the
     * objects it had, with the same numbers. Nothing is allocated or released meanwhile: a key new to the state gets
     * a stand-in number ({@link StandInIds}), so this serves a check of a change that may never be made, on the
     * engine of the computation itself. When going back cannot give every key its own number, or the update or
     * the way back throws, the engine is {@link #broken} (its owner starts anew); what {@code look} throws is
     * passed on once the engine is back.
     */
    public <T> T tryUpdate(Collection<Service> putServices, Collection<String> goneServices,
                           Collection<EndpointSlice> putSlices, Collection<String> goneSlices,
                           BackendOverrides newOverrides, List<Node> newNodes, java.util.function.Function<List<LbChange>, T> look) {
        if (broken) {
            throw new IllegalStateException("the service engine is broken by an earlier failure; start a new one");
        }
        Map<String, Service> oldServices = new java.util.LinkedHashMap<>();
        List<String> newServices = new ArrayList<>();
        undoOf(services, goneServices, putServices, Service::key, oldServices, newServices);
        Map<String, EndpointSlice> oldSlices = new java.util.LinkedHashMap<>();
        List<String> newSlices = new ArrayList<>();
        undoOf(slices, goneSlices, putSlices, EndpointSlice::key, oldSlices, newSlices);
        BackendOverrides oldOverrides = overrides;
        List<Node> oldNodes = nodes;
        boolean hadClaims = claims != null;
        boolean fromEmpty = isEmpty();
        List<StandInIds> standIns = views.stream().map(LbNodeView::standIn).toList();
        try {
            try {
                apply(putServices, goneServices, putSlices, goneSlices, newOverrides, newNodes);
            } catch (RuntimeException e) {
                broken = true;
                throw e;
            }
            for (int i = 0; i < views.size(); i++) {
                standIns.get(i).remember(changes.get(i));
            }
            return look.apply(List.copyOf(changes));
        } finally {
            if (!broken) {
                standIns.forEach(StandInIds::undoing);
                try {
                    if (fromEmpty) {
                        clear(oldOverrides, oldNodes, hadClaims);
                    } else {
                        apply(oldServices.values(), newServices, oldSlices.values(), newSlices, oldOverrides, oldNodes);
                    }
                    broken = standIns.stream().anyMatch(StandInIds::missed);
                } catch (RuntimeException e) {
                    broken = true;
                }
            }
            changes.clear();
            views.forEach(LbNodeView::endStandIn);
        }
    }

    /** True when the engine holds no object (it may have computed with nodes and overrides). */
    private boolean isEmpty() {
        return services.isEmpty() && slices.isEmpty() && slicesOf.isEmpty() && pending.isEmpty() && backends.isEmpty()
                && portBackends.isEmpty() && claimWarnings.isEmpty() && sliceWarnings.isEmpty() && views.stream().allMatch(LbNodeView::isEmpty);
    }

    /**
     * Back to holding no object, with these overrides and nodes (claims of no Service on them, as an update that
     * removed every object leaves them, or none before the first update): the way back of a tried update from an
     * empty engine, without removing each object the update put (a third of an install's check).
     */
    private void clear(BackendOverrides oldOverrides, List<Node> oldNodes, boolean hadClaims) {
        services.clear();
        slices.clear();
        slicesOf.clear();
        pending.clear();
        backends.clear();
        portBackends.clear();
        claimWarnings.clear();
        sliceWarnings.clear();
        overrides = oldOverrides;
        nodes = oldNodes;
        claims = hadClaims ? new ServiceClaims(config, oldNodes) : null;
        views.forEach(LbNodeView::clear);
    }

    /**
     * The way back from deleting {@code gone} and putting {@code put} among {@code held}: the objects they replace
     * or remove ({@code old}, to put again) and the keys they create ({@code created}, to delete).
     */
    private static <V> void undoOf(Map<String, V> held, Collection<String> gone, Collection<V> put,
                                   java.util.function.Function<V, String> key, Map<String, V> old, List<String> created) {
        for (String k : gone) {
            V o = held.get(k);
            if (o != null) {
                old.put(k, o);
            }
        }
        for (V v : put) {
            String k = key.apply(v);
            V o = held.get(k);
            if (o != null) {
                old.put(k, o);
            } else if (!old.containsKey(k)) {
                created.add(k);
            }
        }
    }

    /** What the last update changed on each node, in the order of {@link #views}. */
    public List<LbChange> lastChanges() {
        return List.copyOf(changes);
    }

    /**
     * Drops what the last update changed, for an owner that has read it or never will ({@link #lastChanges} is empty
     * until the next update): after an update of every service the change lists name every backend.
     */
    public void forgetChanges() {
        changes.clear();
    }

    /** This node's state now (the first node's, for an engine of several). */
    public LbState state() {
        return views.getFirst().state();
    }

    /** The view of the first node (the engine's own node). */
    public LbNodeView view() {
        return views.getFirst();
    }

    /** Every node's view, in the order given. */
    public List<LbNodeView> views() {
        return List.copyOf(views);
    }

    /** How many entries of each map this node's state holds, for capacity checks without building it. */
    public LbNodeView.Counts counts() {
        return views.getFirst().counts();
    }

    Service service(String key) {
        return services.get(key);
    }

    List<Node> nodes() {
        return nodes;
    }

    /** The catalog's warnings (services' claims, then slices), as {@link ServiceCatalog} lists them. */
    List<String> objectWarnings() {
        List<String> warnings = new ArrayList<>();
        claimWarnings.values().forEach(warnings::addAll);
        sliceWarnings.values().forEach(warnings::addAll);
        return warnings;
    }

    List<String> pendingSlices() {
        return new ArrayList<>(pending);
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
        Map<String, Backend[]> old = portBackends.remove(serviceKey);
        if (old != null) {
            for (Backend[] bs : old.values()) {
                for (Backend b : bs) {
                    uncontribute(b, serviceKey);
                    touched.add(b.key);
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
        Map<String, Set<Backend>> ports = new HashMap<>();
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
                        BackendState st = BackendState.of(e);
                        if (st == null) {
                            continue;
                        }
                        BackendIndex.Candidate c = new BackendIndex.Candidate(e.address(), p.port(), p.protocol(), st,
                                e.nodeName(), e.targetRef());
                        Backend b = backends.computeIfAbsent(BKey.of(c), Backend::new);
                        contribute(b, new Contribution(serviceKey, sliceKey, sp.index(), pi, ei), c);
                        touched.add(b.key);
                        ports.computeIfAbsent(BackendIndex.portKey(s, sp, es.addressType()), x -> new LinkedHashSet<>(4))
                                .add(b);
                    }
                }
            }
        }
        if (!ports.isEmpty()) {
            Map<String, Backend[]> kept = new HashMap<>(ports.size() * 2);
            ports.forEach((k, bs) -> kept.put(k, bs.toArray(Backend[]::new)));
            // most Services have one port in one family: an immutable map of one entry is 16 bytes, a HashMap ~200
            portBackends.put(serviceKey, Map.copyOf(kept));
        }
    }

    private static void contribute(Backend b, Contribution at, BackendIndex.Candidate c) {
        if (b.isEmpty()) {
            b.at = at;
            b.candidate = c;
        } else {
            if (b.many == null) {
                b.many = new TreeMap<>();
                b.many.put(b.at, b.candidate);
                b.at = null;
                b.candidate = null;
            }
            b.many.put(at, c);
        }
    }

    /** Takes the Service's contributions off the backend; a backend left with none leaves the index. */
    private void uncontribute(Backend b, String serviceKey) {
        if (b.at != null) {
            if (b.at.service().equals(serviceKey)) {
                b.at = null;
                b.candidate = null;
            }
        } else if (b.many != null) {
            // the service's contributions are one range of the map (service first in its order): O(log n), not a scan,
            // so that deleting every service that shares a backend costs n log n, not n^2
            b.many.subMap(new Contribution(serviceKey, "", Integer.MIN_VALUE, Integer.MIN_VALUE, Integer.MIN_VALUE), true,
                    new Contribution(serviceKey + '\0', "", Integer.MIN_VALUE, Integer.MIN_VALUE, Integer.MIN_VALUE), false).clear();
            if (b.many.size() == 1) {
                b.at = b.many.firstKey();
                b.candidate = b.many.firstEntry().getValue();
                b.many = null;
            } else if (b.many.isEmpty()) {
                b.many = null;
            }
        }
        if (b.isEmpty() && backends.get(b.key) == b) {
            // its merge goes with it: the services it served are being resolved again (they took it away)
            backends.remove(b.key);
        }
    }

    /** A backend's contributions in merge order. */
    private Map<Contribution, BackendIndex.Candidate> contributionsOf(BKey key) {
        Backend b = backends.get(key);
        return b == null ? Map.of() : b.contributions();
    }

    /**
     * The engine's own instance of a backend's key (the views key their backends with it), or a new one for a
     * backend the engine does not have.
     */
    BKey key(LbBackend b) {
        BKey k = BKey.of(b);
        Backend known = backends.get(k);
        return known == null ? k : known.key;
    }

    /** The backends whose override differs between the two (overrides change rarely: a scan, no index kept for them). */
    private Set<BKey> overridden(BackendOverrides before, BackendOverrides after) {
        Set<String> keys = new HashSet<>(before.states().keySet());
        keys.addAll(after.states().keySet());
        keys.removeIf(k -> Objects.equals(before.states().get(k), after.states().get(k)));
        Set<BKey> out = new HashSet<>();
        backends.forEach((k, b) -> {
            BackendIndex.Candidate c = b.merged;
            if (c != null && (keys.contains(c.key()) || keys.contains(c.address().toString()))) {
                out.add(k);
            }
        });
        return out;
    }

    /** Merges one backend's contributions again; when the result changed, every service it serves is resolved again. */
    private void remerge(BKey backendKey, Set<String> resolve) {
        Backend b = backends.get(backendKey);
        if (b == null) {
            // no contributions left: the services that had them are resolved again already
            return;
        }
        Map<Contribution, BackendIndex.Candidate> c = b.contributions();
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
        BackendIndex.Candidate was = b.merged;
        b.merged = now;
        if (!Objects.equals(was, now)) {
            c.keySet().forEach(x -> resolve.add(x.service()));
        }
    }

    /** The backends of one port of one Service in one family, in address order. */
    /** The engine's backends as a resolution looks them up. */
    BackendLookup lookup() {
        return new BackendLookup() {
            @Override
            public List<BackendIndex.Candidate> backends(Service s, ServicePort p, IpFamily family) {
                return lookup(s, p, family);
            }

            @Override
            public BackendState ownState(Service s, BackendIndex.Candidate c) {
                return IncrementalServiceEngine.this.ownState(s, c);
            }
        };
    }

    /** {@link BackendLookup#ownState}: the Service's own contributions to the backend, merged, the override applied. */
    private BackendState ownState(Service s, BackendIndex.Candidate c) {
        BackendState st = null;
        // a range, not a walk of every service sharing the backend: 10,000 services of the same two pods took n^2
        for (var e : Contribution.of(s.key(), contributionsOf(BKey.of(c))).entrySet()) {
            if (e.getKey().service().equals(s.key())) {
                BackendState x = e.getValue().state();
                st = st == null || x.ordinal() < st.ordinal() ? x : st;
            }
        }
        return st == null ? c.state() : overrides.apply(c.address(), c.port(), c.protocol(), st);
    }

    List<BackendIndex.Candidate> lookup(Service s, ServicePort p, IpFamily family) {
        Map<String, Backend[]> ports = portBackends.get(s.key());
        Backend[] bs = ports == null ? null : ports.get(BackendIndex.portKey(s, p, family));
        if (bs == null) {
            return List.of();
        }
        return java.util.Arrays.stream(bs).map(b -> b.merged).sorted(BackendIndex.ORDER).toList();
    }
}
