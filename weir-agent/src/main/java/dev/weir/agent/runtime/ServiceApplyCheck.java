package dev.weir.agent.runtime;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

import dev.weir.agent.cluster.Node;
import dev.weir.agent.datapath.LbCapacity;
import dev.weir.agent.service.BackendOverrides;
import dev.weir.agent.service.EndpointSlice;
import dev.weir.agent.service.InMemoryLbIdAllocator;
import dev.weir.agent.service.IncrementalServiceEngine;
import dev.weir.agent.service.LbBackend;
import dev.weir.agent.service.LbChange;
import dev.weir.agent.service.LbFrontend;
import dev.weir.agent.service.LbNodeView;
import dev.weir.agent.service.LbService;
import dev.weir.agent.service.Service;
import dev.weir.agent.service.ServiceClaims;
import dev.weir.agent.service.ServiceConfig;
import dev.weir.agent.service.ServiceObjects;
import dev.weir.agent.store.ObjectKey;
import dev.weir.agent.store.StoredObject;
import dev.weir.agent.yaml.ValidationException;
import dev.weir.datapath.lb.LbMapSizes;

/**
 * The apply-time check of Services and EndpointSlices ({@link ClusterCompiler#check}) on the objects a commit
 * changes, against an index of the stored ones: what every stored Service took ({@link ServiceClaims}) and,
 * per node, the state the stored objects give ({@link IncrementalServiceEngine}), from which the entries each
 * service map needs are counted. That state is the computation's own engine when it stands for exactly the
 * stored objects and is free ({@link Lender}: the change is tried on it and undone), and every node's state is
 * alike (no Service with a traffic policy Local); otherwise an engine of the check's own, with counting ids, kept
 * while it is needed (at 10,000 services x 10 endpoints, ~40 MB that the agent taking the applies held besides its
 * computation's). Checking a commit of k objects costs O(k) (plus a
 * pass over the stored objects' keys and revisions to follow what other agents committed). The index follows
 * the store: brought to the commit's "before" objects first (what changed since it last looked), and left at
 * the "after" objects when the check passes (the commit usually follows). Errors are the full check's:
 * the changed Services are checked in key order after the unchanged ones, as {@code ServiceCatalog} orders
 * them. When the stored objects themselves do not pass (written by an older agent, or the nodes changed
 * under them), {@code check} answers {@code false} and the caller runs the full check. Not thread-safe: the
 * caller serialises checks.
 */
final class ServiceApplyCheck {

    /** A stored object as the index has it; {@code confirmed}: its revision is the store's, not a commit's guess. */
    private record Known(StoredObject object, boolean confirmed, ServiceObjects parsed) {
    }

    /** The computation's service engine, lent to the check while it stands for the stored objects. */
    interface Lender {
        /**
         * Runs {@code count} on the computation's engine, with the overrides and nodes it computed with, when the
         * engine stands for exactly {@code now} (the stored Services and EndpointSlices, sorted by key) and these
         * nodes, and no computation holds it; without waiting.
         *
         * @return false when it could not
         */
        boolean lend(List<Node> nodes, List<StoredObject> now, Lent count);
    }

    /** A count on a lent engine: {@link IncrementalServiceEngine#tryUpdate} only, so that it is left as it was. */
    interface Lent {
        void count(IncrementalServiceEngine engine, BackendOverrides overrides, List<Node> nodes);
    }

    private final ServiceConfig config;
    private final LbMapSizes sizes;
    private final Function<StoredObject, ServiceObjects> parse;
    private final Lender lender;
    private final Map<ObjectKey, Known> known = new HashMap<>();
    /** The indexed Services with a traffic policy Local (their state differs between nodes). */
    private final Set<String> localServices = new java.util.TreeSet<>();
    private List<Node> nodes;
    private ServiceClaims claims;
    /**
     * The nodes' states from the stored objects (one engine, one view per node), or null while the computation's
     * engine serves (or without nodes). While no
     * Service has a traffic policy Local every node's state is the same, so the engine keeps the first node's view
     * alone (each view holds every backend: one per node cost ~10 MB at 10,000 services x 10 endpoints); the first
     * Service with a Local policy brings the others in ({@link #perNode}).
     */
    private IncrementalServiceEngine engine;
    /** True when {@link #engine} has a view per node. */
    private boolean perNode;

    ServiceApplyCheck(ServiceConfig config, LbMapSizes sizes, Function<StoredObject, ServiceObjects> parse, Lender lender) {
        this.config = config;
        this.sizes = sizes;
        this.parse = parse;
        this.lender = lender;
    }

    /** True while the check keeps an engine of its own (for tests). */
    boolean ownEngine() {
        return engine != null;
    }

    /**
     * Checks the commit from {@code now} to {@code next} (the stored Services and EndpointSlices before and
     * after it, sorted by key).
     *
     * @return false when the index cannot stand for the stored objects (run the full check instead)
     * @throws PolicyInputException naming the object and field of the first clash, or the map that would overflow
     */
    boolean check(List<Node> clusterNodes, List<StoredObject> now, List<StoredObject> next) {
        List<Node> sorted = clusterNodes.stream().sorted(Comparator.comparing(Node::name)).toList();
        try {
            if (claims == null || !sorted.equals(nodes)) {
                rebuild(sorted, now);
            } else {
                follow(now);
            }
        } catch (RuntimeException e) {
            reset();
            return false;
        }
        Delta d = delta(now, next);
        if (d.isEmpty()) {
            return true;
        }
        claim(d);
        try {
            capacity(d, now);
        } catch (PolicyInputException e) {
            unclaim(d);
            throw e;
        } catch (RuntimeException e) {
            unclaim(d);
            reset();
            return false;
        }
        // the unchanged objects of next are now's, which follow indexed; only the changed ones are new
        d.written.forEach(o -> known.put(o.key(), new Known(o, false, d.parsed.get(o.key()))));
        d.deleted.forEach(known::remove);
        return true;
    }

    private void reset() {
        known.clear();
        localServices.clear();
        claims = null;
        nodes = null;
        engine = null;
    }

    /** The index of {@code now} from scratch. */
    private void rebuild(List<Node> sorted, List<StoredObject> now) {
        reset();
        nodes = sorted;
        claims = new ServiceClaims(config, nodes);
        List<Service> services = new ArrayList<>();
        List<EndpointSlice> slices = new ArrayList<>();
        for (StoredObject o : now) {
            ServiceObjects p = parse.apply(o);
            known.put(o.key(), new Known(o, true, p));
            services.addAll(p.services());
            slices.addAll(p.slices());
        }
        services.sort(Comparator.comparing(Service::key));
        services.forEach(this::index);
    }

    /** The Service in the clash index (and the set of Local ones). */
    private void index(Service s) {
        claims.add(s, new ArrayList<>());
        if (local(s)) {
            localServices.add(s.key());
        }
    }

    private void unindex(String key) {
        claims.remove(key);
        localServices.remove(key);
    }

    /** The engine of these objects: a view per node, or the first node's alone (every node's state is the same). */
    private void newEngine(List<Service> services, List<EndpointSlice> slices, boolean everyNode) {
        engine = null;
        perNode = everyNode;
        if (!nodes.isEmpty()) {
            List<String> names = nodes.stream().map(Node::name).toList();
            engine = new IncrementalServiceEngine(config, new InMemoryLbIdAllocator(Integer.MAX_VALUE - 1),
                    everyNode ? names : names.subList(0, 1));
            engine.update(services, List.of(), slices, List.of(), BackendOverrides.NONE, nodes);
            engine.forgetChanges();
        }
    }

    /** The check's own engine from the indexed objects (a view per node when {@code everyNode}). */
    private void engineFromKnown(boolean everyNode) {
        List<Service> services = new ArrayList<>();
        List<EndpointSlice> slices = new ArrayList<>();
        for (Known k : known.values()) {
            if (k.parsed() != null) {
                services.addAll(k.parsed().services());
                slices.addAll(k.parsed().slices());
            }
        }
        services.sort(Comparator.comparing(Service::key));
        newEngine(services, slices, everyNode);
    }

    /** A Service whose state differs between nodes (its backends on this node only, for some clients). */
    private static boolean local(Service s) {
        return s.internalPolicy() == Service.TrafficPolicy.LOCAL || s.externalPolicy() == Service.TrafficPolicy.LOCAL;
    }

    /** Brings the index to {@code now} (what other agents committed, or a commit that did not happen). */
    private void follow(List<StoredObject> now) {
        Delta d = new Delta();
        int indexed = known.size();
        int present = 0;
        for (StoredObject o : now) {
            Known k = known.get(o.key());
            if (k != null) {
                present++;
            }
            if (k != null && (k.object() == o || k.confirmed() && k.object().revision() == o.revision())) {
                if (k.object() != o) {
                    known.put(o.key(), new Known(o, true, k.parsed()));
                }
                continue;
            }
            if (k != null && k.object().document().equals(o.document()) && k.parsed() != null) {
                known.put(o.key(), new Known(o, true, k.parsed()));
                continue;
            }
            if (k != null) {
                d.old(k.parsed());
            }
            ServiceObjects p = parse.apply(o);
            known.put(o.key(), new Known(o, true, p));
            d.put(o.key(), p);
        }
        if (present < indexed) {
            // some indexed objects are no longer stored: find them (rare: a delete another agent committed)
            Set<ObjectKey> stored = new HashSet<>();
            now.forEach(o -> stored.add(o.key()));
            for (ObjectKey key : new ArrayList<>(known.keySet())) {
                if (!stored.contains(key)) {
                    d.old(known.remove(key).parsed());
                    d.deleted.add(key);
                }
            }
        }
        if (!d.isEmpty()) {
            claim(d);
            if (engine != null && !perNode && !localServices.isEmpty()) {
                engineFromKnown(true); // known holds now's objects already: d included
            } else if (engine != null) {
                engine.update(d.services(), d.goneServices(), d.slices(), d.goneSlices(), BackendOverrides.NONE, nodes);
                engine.forgetChanges();
            }
        }
    }

    /** What a commit changes, parsed: one merge of the two key-sorted lists. */
    private Delta delta(List<StoredObject> now, List<StoredObject> next) {
        Delta d = new Delta();
        int i = 0;
        int j = 0;
        while (i < now.size() || j < next.size()) {
            int cmp = i == now.size() ? 1 : j == next.size() ? -1 : now.get(i).key().compareTo(next.get(j).key());
            if (cmp < 0) {
                StoredObject gone = now.get(i++);
                d.old(known.get(gone.key()).parsed());
                d.deleted.add(gone.key());
                continue;
            }
            StoredObject o = next.get(j++);
            if (cmp == 0) {
                StoredObject b = now.get(i++);
                if (b == o || b.equals(o)) {
                    continue;
                }
                d.old(known.get(o.key()).parsed());
            }
            try {
                d.put(o.key(), parse.apply(o));
            } catch (ValidationException e) {
                throw new PolicyInputException(e.file(), e.object(), e.path(), e.problem());
            }
            d.written.add(o);
        }
        return d;
    }

    /** The changed Services' clash checks, in key order after the unchanged ones; on a clash the index is as before. */
    private void claim(Delta d) {
        List<String> changed = d.changedServiceKeys();
        changed.forEach(this::unindex);
        List<Service> added = new ArrayList<>();
        try {
            for (Service s : d.services()) {
                index(s);
                added.add(s);
            }
        } catch (ValidationException e) {
            added.forEach(s -> unindex(s.key()));
            d.oldServices.values().forEach(this::index);
            throw new PolicyInputException(e.file(), e.object(), e.path(), e.problem());
        }
    }

    private void unclaim(Delta d) {
        d.services().forEach(s -> unindex(s.key()));
        d.oldServices.values().forEach(this::index);
    }

    /**
     * Per node, the entries the map writer needs going from the stored state to the new one ({@link LbCapacity}'s
     * rule), counted from the change: on the computation's engine when it is lent (the change tried and undone),
     * else on the check's own, which keeps the new state when everything fits (the commit usually follows) and
     * goes back otherwise. The claims already hold the change ({@link #localServices} with them).
     */
    private void capacity(Delta d, List<StoredObject> now) {
        if (nodes.isEmpty()) {
            return;
        }
        boolean everyNode = !localServices.isEmpty() || d.oldServices.values().stream().anyMatch(ServiceApplyCheck::local);
        if (!everyNode) {
            String first = nodes.getFirst().name(); // every node's state is alike: errors name the first, as below
            var overflow = new java.util.concurrent.atomic.AtomicReference<java.util.Optional<String>>(java.util.Optional.empty());
            boolean lent = lender.lend(nodes, now, (e, overrides, computedNodes) -> overflow.set(e.tryUpdate(d.services(),
                    d.goneServices(), d.slices(), d.goneSlices(), overrides, computedNodes, changes -> {
                        LbNodeView v = e.view();
                        return LbCapacity.overflow(first, need(v, changes.getFirst()), v.counts(), sizes);
                    })));
            if (lent) {
                engine = null; // the computation's engine serves: the check keeps none
                overflow.get().ifPresent(m -> {
                    throw new PolicyInputException("", "", "", m);
                });
                return;
            }
        }
        if (engine == null || everyNode && !perNode) {
            // known holds now's objects (the change is not in it yet)
            engineFromKnown(everyNode);
        }
        engine.update(d.services(), d.goneServices(), d.slices(), d.goneSlices(), BackendOverrides.NONE, nodes);
        List<LbChange> changes = engine.lastChanges();
        engine.forgetChanges(); // counted below; the engine need not keep them (every backend, after a large apply)
        List<LbNodeView> views = engine.views();
        for (int i = 0; i < views.size(); i++) {
            LbNodeView v = views.get(i);
            var overflow = LbCapacity.overflow(v.node(), need(v, changes.get(i)), v.counts(), sizes);
            if (overflow.isPresent()) {
                engine.update(new ArrayList<>(d.oldServices.values()), d.createdServices(), new ArrayList<>(d.oldSlices.values()),
                        d.createdSlices(), BackendOverrides.NONE, nodes);
                engine.forgetChanges();
                throw new PolicyInputException("", "", "", overflow.get());
            }
        }
    }

    /** {@link LbCapacity#need} of the state before and after the change, from the state after and the change. */
    static Map<String, Long> need(LbNodeView e, LbChange c) {
        LbNodeView.Counts a = e.counts();
        Set<String> entries = new HashSet<>();
        Set<String> revNats = new HashSet<>();
        for (LbFrontend f : c.frontendsBefore()) {
            if (!e.hasEntry(f)) {
                entries.add(f.key() + " " + f.clientScope());
            }
            if (!e.hasRevNat(f)) {
                revNats.add(f.key());
            }
        }
        Set<String> backends = new HashSet<>();
        for (LbBackend b : c.backendsBefore()) {
            if (!e.hasBackend(b)) {
                backends.add(b.key());
            }
        }
        Map<Integer, LbService> old = new HashMap<>();
        long slots = a.slots();
        long maglev = a.maglev();
        for (LbService s : c.servicesBefore()) {
            old.put(s.id(), s);
            slots += s.slots().size();
            maglev += s.maglev().size();
        }
        for (LbService s : c.servicesAfter()) {
            slots -= s.slots().size();
            maglev -= s.maglev().size();
            LbService o = old.get(s.id());
            if (o == null || !o.slots().equals(s.slots()) || !o.maglev().equals(s.maglev())) {
                slots += s.slots().size();
                maglev += s.maglev().size();
            }
        }
        return LbCapacity.counts(a.entries() + entries.size(), slots, a.backends() + backends.size(),
                a.revNats() + revNats.size(), maglev);
    }

    /** The Services and slices a change puts and deletes, and the versions it replaces. */
    private static final class Delta {
        final Map<String, Service> putServices = new TreeMap<>();
        final Map<String, EndpointSlice> putSlices = new TreeMap<>();
        final Map<String, Service> oldServices = new TreeMap<>();
        final Map<String, EndpointSlice> oldSlices = new TreeMap<>();
        final Map<ObjectKey, ServiceObjects> parsed = new HashMap<>();
        final List<ObjectKey> deleted = new ArrayList<>();
        /** The objects of a commit that are new or changed (for the index once the check passes). */
        final List<StoredObject> written = new ArrayList<>();

        void put(ObjectKey key, ServiceObjects p) {
            parsed.put(key, p);
            p.services().forEach(s -> putServices.put(s.key(), s));
            p.slices().forEach(s -> putSlices.put(s.key(), s));
        }

        void old(ServiceObjects p) {
            if (p != null) {
                p.services().forEach(s -> oldServices.put(s.key(), s));
                p.slices().forEach(s -> oldSlices.put(s.key(), s));
            }
        }

        boolean isEmpty() {
            return putServices.isEmpty() && putSlices.isEmpty() && oldServices.isEmpty() && oldSlices.isEmpty();
        }

        List<Service> services() {
            return new ArrayList<>(putServices.values());
        }

        List<EndpointSlice> slices() {
            return new ArrayList<>(putSlices.values());
        }

        List<String> goneServices() {
            return oldServices.keySet().stream().filter(k -> !putServices.containsKey(k)).toList();
        }

        List<String> goneSlices() {
            return oldSlices.keySet().stream().filter(k -> !putSlices.containsKey(k)).toList();
        }

        List<String> createdServices() {
            return putServices.keySet().stream().filter(k -> !oldServices.containsKey(k)).toList();
        }

        List<String> createdSlices() {
            return putSlices.keySet().stream().filter(k -> !oldSlices.containsKey(k)).toList();
        }

        List<String> changedServiceKeys() {
            Set<String> keys = new java.util.TreeSet<>(oldServices.keySet());
            keys.addAll(putServices.keySet());
            return List.copyOf(keys);
        }
    }
}
