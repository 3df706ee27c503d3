package dev.weir.agent.service;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

import dev.weir.agent.service.IncrementalServiceEngine.BKey;

/**
 * One node's share of an {@link IncrementalServiceEngine}: each Service's resolved piece for this node (its
 * frontends, datapath services and backends) and the state they add up to, kept per change. The objects, the
 * backends' merged candidates and the checks are the engine's, shared by its nodes' views. Not thread-safe:
 * updated by the engine only.
 */
public final class LbNodeView {

    /** One Service's share of the state. */
    record Piece(List<LbFrontend> frontends, List<LbService> services, List<LbBackend> backends, List<String> warnings) {
    }

    /** A backend of the state and how many services' pieces use it. */
    private static final class Used {
        LbBackend backend;
        int refs;

        Used(LbBackend backend) {
            this.backend = backend;
        }
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

    private final IncrementalServiceEngine engine;
    /** The allocator, or stand-ins for it while an update is tried ({@link #standIn}). */
    private LbIdAllocator ids;
    private final String node;
    private final boolean releaseIds;
    private final TreeMap<String, Piece> pieces = new TreeMap<>();
    private final TreeMap<LbFrontend, Integer> frontends = new TreeMap<>(LbFrontend.ORDER);
    private final Map<BKey, Integer> entryRefs = new HashMap<>();
    private final Map<BKey, Integer> revNatRefs = new HashMap<>();
    private final TreeMap<String, LbService> lbServices = new TreeMap<>();
    private final TreeMap<BKey, Used> backends = new TreeMap<>();
    private final TreeMap<String, List<String>> engineWarnings = new TreeMap<>();
    private long slots;
    private long maglevEntries;

    LbNodeView(IncrementalServiceEngine engine, LbIdAllocator ids, String node, boolean releaseIds) {
        this.engine = engine;
        this.ids = ids;
        this.node = node;
        this.releaseIds = releaseIds;
    }

    public String node() {
        return node;
    }

    /** Numbers from stand-ins for the allocator until {@link #endStandIn}. */
    StandInIds standIn() {
        StandInIds s = new StandInIds(ids);
        ids = s;
        return s;
    }

    /** The allocator again after {@link #standIn}. */
    void endStandIn() {
        if (ids instanceof StandInIds s) {
            ids = s.real();
        }
    }

    /** True when the view holds no service, frontend or backend. */
    boolean isEmpty() {
        return pieces.isEmpty() && frontends.isEmpty() && entryRefs.isEmpty() && revNatRefs.isEmpty() && lbServices.isEmpty()
                && backends.isEmpty() && engineWarnings.isEmpty() && slots == 0 && maglevEntries == 0;
    }

    /** Back to holding nothing, ids untouched (the way back of a tried update from an empty view: they are stand-ins). */
    void clear() {
        pieces.clear();
        frontends.clear();
        entryRefs.clear();
        revNatRefs.clear();
        lbServices.clear();
        backends.clear();
        engineWarnings.clear();
        slots = 0;
        maglevEntries = 0;
    }

    /** The state now. */
    public LbState state() {
        List<LbFrontend> fs = new ArrayList<>(frontends.size());
        frontends.forEach((f, n) -> {
            for (int i = 0; i < n; i++) {
                fs.add(f);
            }
        });
        List<String> warnings = engine.objectWarnings();
        engineWarnings.values().forEach(warnings::addAll);
        List<LbBackend> bs = new ArrayList<>(backends.size());
        backends.values().forEach(u -> bs.add(u.backend));
        return new LbState(node, fs, new ArrayList<>(lbServices.values()), bs, engine.pendingSlices(), warnings);
    }

    /** How many entries of each map the state holds, for capacity checks without building it. */
    public Counts counts() {
        return new Counts(entryRefs.size(), lbServices.size(), backends.size(), revNatRefs.size(), slots, maglevEntries,
                frontends.values().stream().mapToInt(Integer::intValue).sum());
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

    /**
     * Resolves the services of {@code keys} again for this node.
     *
     * @param shared pieces another view of the same ids resolved in this update, for services that do not depend
     *               on the node (taken as they are); this view adds its own when {@code record}
     */
    LbChange resolveAll(Set<String> keys, Map<String, Piece> shared, boolean record) {
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
                if (releaseIds) {
                    old.services().forEach(s -> releasedServices.add(s.key()));
                    old.frontends().forEach(f -> releasedFrontends.add(BKey.revNat(f)));
                    old.backends().forEach(b -> releasedBackends.add(BKey.of(b)));
                }
            }
            Service s = engine.service(k);
            if (s != null) {
                Piece now = shared == null ? null : shared.get(k);
                if (now == null) {
                    now = resolve(s);
                    if (record && shared != null && nodeIndependent(s)) {
                        shared.put(k, now);
                    }
                }
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

    /** No traffic policy Local: every node resolves the Service alike (NodePorts included). */
    private static boolean nodeIndependent(Service s) {
        return s.internalPolicy() != Service.TrafficPolicy.LOCAL && s.externalPolicy() != Service.TrafficPolicy.LOCAL;
    }

    private Piece resolve(Service s) {
        Resolution r = new Resolution(ids, engine.lookup(), node);
        if (!s.headless()) {
            for (ServicePort p : s.ports()) {
                for (IpFamily f : s.ipFamilies()) {
                    r.port(s, p, f, engine.nodes());
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
            BKey k = engine.key(b);
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
