package dev.weir.agent.datapath;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import dev.weir.agent.service.LbChange;
import dev.weir.agent.service.LbFrontend;
import dev.weir.agent.service.LbService;
import dev.weir.agent.service.LbState;
import dev.weir.datapath.lb.LbBackend;
import dev.weir.datapath.lb.LbMaglevKey;
import dev.weir.datapath.lb.LbSlotKey;
import dev.weir.datapath.lb.LbSvcKey;
import dev.weir.datapath.lb.LbSvcVal;

/**
 * Writes a node's {@link LbState} into the service maps of docs/service-datapath.md as a diff against what
 * it wrote last, atomically per service:
 * <ol>
 *   <li>the previous write's superseded generations are deleted (no frontend has named them since);</li>
 *   <li>new or changed backends and rev-NAT entries are written (before any frontend can name them);</li>
 *   <li>a service whose slots or Maglev table changed gets them under its idle generation;</li>
 *   <li>new or changed frontends are written: each flips to its service's generation in one update;</li>
 *   <li>frontends, then services' slots, then backends and rev-NAT entries no longer in the state are
 *       deleted (after no frontend names them).</li>
 * </ol>
 * Unchanged entries are not touched, so changing one backend of one service writes that service's slots,
 * its frontends and the backend, whatever the number of services. What it wrote is kept in memory and
 * read back from the maps when the writer is made (an agent restart), so a restarted agent writes nothing
 * when nothing changed. Used from the sync loop's thread only; the maps belong to the caller.
 */
final class LbMapWriter {

    /** One service's current generation and what that generation holds. */
    private record Written(int gen, List<Integer> slots, List<Integer> maglev) {
    }

    /** A generation no frontend names any more: deleted at the start of the next write. */
    private record Stale(int svcId, int gen, int slots, int maglev) {
    }

    private final LbTables maps;
    private final Map<LbSvcKey, LbSvcVal> frontends;
    private final Map<Integer, LbBackend> backends;
    private final Map<Integer, dev.weir.datapath.lb.LbFrontend> revnats;
    private final Map<Integer, Written> services = new HashMap<>();
    private final List<Stale> stale = new ArrayList<>();
    private volatile Map<String, Long> entries = Map.of();
    /** The {@link LbChange#to} of the last write, or -1 (none, a full write, or a failed one). */
    private long written = -1;

    /** Reads what the maps already hold (a restarted agent's pins), so that the first write is a diff too. */
    LbMapWriter(LbTables maps) {
        this.maps = maps;
        this.frontends = new HashMap<>(maps.svc().entries());
        this.backends = new PackedBackends();
        this.backends.putAll(maps.backend().entries());
        this.revnats = new HashMap<>(maps.revnat().entries());
        recoverGenerations();
    }

    private void recoverGenerations() {
        Map<Long, TreeMap<Integer, Integer>> slots = new HashMap<>();
        maps.slot().entries().forEach((k, v) -> slots.computeIfAbsent(key(k.svcId(), k.gen()), x -> new TreeMap<>()).put(k.slot(), v));
        Map<Long, TreeMap<Integer, Integer>> tables = new HashMap<>();
        maps.maglev().entries().forEach((k, v) -> tables.computeIfAbsent(key(k.svcId(), k.gen()), x -> new TreeMap<>()).put(k.index(), v));
        Map<Integer, Integer> gens = new HashMap<>();
        frontends.values().forEach(v -> gens.put(v.svcId(), v.gen()));
        gens.forEach((id, gen) -> services.put(id, new Written(gen, dense(slots.remove(key(id, gen)), 1),
                dense(tables.remove(key(id, gen)), 0))));
        Set<Long> left = new HashSet<>(slots.keySet());
        left.addAll(tables.keySet());
        for (long k : left) {
            TreeMap<Integer, Integer> s = slots.get(k);
            TreeMap<Integer, Integer> t = tables.get(k);
            stale.add(new Stale((int) (k >>> 1), (int) (k & 1), dense(s, 1).size(), dense(t, 0).size()));
        }
    }

    /**
     * Entries numbered {@code first..}, as a list; a gap (entries deleted by hand) is a null element, so
     * the list equals no computed one and the service is rewritten, and its size still covers every entry.
     */
    private static List<Integer> dense(TreeMap<Integer, Integer> entries, int first) {
        List<Integer> out = new ArrayList<>();
        for (int i = first; entries != null && i <= entries.lastKey(); i++) {
            out.add(entries.get(i));
        }
        return out;
    }

    private static long key(int svcId, int gen) {
        return (long) svcId << 1 | gen;
    }

    /**
     * Writes {@code state}: only what {@code change} says changed when it follows the state this writer wrote
     * last ({@link LbChange#from} is the {@link LbChange#to} of the write before), else the whole diff. A write
     * that fails leaves the next one to diff the whole state.
     */
    void write(LbState state, LbChange change) {
        boolean follows = change != null && change.from() >= 0 && change.from() == written;
        written = -1;
        if (follows) {
            writeChange(change);
        } else {
            write(state);
        }
        written = change == null ? -1 : change.to();
        entries = count();
    }

    /** The maps {@link #entries} counts. */
    static final java.util.Set<String> COUNTED = java.util.Set.of(dev.weir.datapath.lb.LbMaps.SVC,
            dev.weir.datapath.lb.LbMaps.BACKEND, dev.weir.datapath.lb.LbMaps.REVNAT, dev.weir.datapath.lb.LbMaps.SLOT,
            dev.weir.datapath.lb.LbMaps.MAGLEV);

    /** How many entries each service map holds now, as this writer wrote them (for map pressure); thread-safe. */
    Map<String, Long> entries() {
        return entries;
    }

    private Map<String, Long> count() {
        long slots = 0;
        long maglev = 0;
        for (Written w : services.values()) {
            slots += w.slots().size();
            maglev += w.maglev().size();
        }
        for (Stale st : stale) {
            slots += st.slots();
            maglev += st.maglev();
        }
        return Map.of(dev.weir.datapath.lb.LbMaps.SVC, (long) frontends.size(), dev.weir.datapath.lb.LbMaps.BACKEND,
                (long) backends.size(), dev.weir.datapath.lb.LbMaps.REVNAT, (long) revnats.size(),
                dev.weir.datapath.lb.LbMaps.SLOT, slots, dev.weir.datapath.lb.LbMaps.MAGLEV, maglev);
    }

    /** The entries of the services, frontends and backends that changed; the same steps as {@link #write(LbState)}. */
    private void writeChange(LbChange c) {
        stale.forEach(this::clear);
        stale.clear();
        Map<Integer, LbBackend> wantBackends = backends(c.backendsAfter());
        Map<Integer, dev.weir.datapath.lb.LbFrontend> wantRevnats = revnats(c.frontendsAfter());
        putChanged(wantBackends, backends, maps.backend());
        putChanged(wantRevnats, revnats, maps.revnat());
        writeSlots(c.servicesAfter());
        Map<LbSvcKey, LbSvcVal> wantFrontends = frontends(c.frontendsAfter());
        putChanged(wantFrontends, frontends, maps.svc());
        for (LbFrontend f : c.frontendsBefore()) {
            LbSvcKey key = svcKey(f);
            if (!wantFrontends.containsKey(key) && frontends.remove(key) != null) {
                maps.svc().delete(key);
            }
        }
        Set<Integer> live = new HashSet<>();
        c.servicesAfter().forEach(s -> live.add(s.id()));
        for (LbService s : c.servicesBefore()) {
            Written w = live.contains(s.id()) ? null : services.remove(s.id());
            if (w != null) {
                clear(new Stale(s.id(), w.gen(), w.slots().size(), w.maglev().size()));
            }
        }
        for (var b : c.backendsBefore()) {
            if (!wantBackends.containsKey(b.id()) && backends.remove(b.id()) != null) {
                maps.backend().delete(b.id());
            }
        }
        for (LbFrontend f : c.frontendsBefore()) {
            if (!wantRevnats.containsKey(f.revNatId()) && revnats.remove(f.revNatId()) != null) {
                maps.revnat().delete(f.revNatId());
            }
        }
    }

    private static Map<Integer, LbBackend> backends(List<dev.weir.agent.service.LbBackend> list) {
        Map<Integer, LbBackend> want = new HashMap<>();
        for (var b : list) {
            want.put(b.id(), new LbBackend(b.address().bytes16(), b.port(), b.protocol().number(), b.state().code()));
        }
        return want;
    }

    private static Map<Integer, dev.weir.datapath.lb.LbFrontend> revnats(List<LbFrontend> list) {
        Map<Integer, dev.weir.datapath.lb.LbFrontend> want = new HashMap<>();
        for (LbFrontend f : list) {
            want.put(f.revNatId(), new dev.weir.datapath.lb.LbFrontend(f.address().bytes16(), f.port(), f.protocol().number()));
        }
        return want;
    }

    private static LbSvcKey svcKey(LbFrontend f) {
        return new LbSvcKey(f.address().bytes16(), f.port(), f.protocol().number(), f.clientScope().code());
    }

    private Map<LbSvcKey, LbSvcVal> frontends(List<LbFrontend> list) {
        Map<LbSvcKey, LbSvcVal> want = new HashMap<>();
        for (LbFrontend f : list) {
            want.put(svcKey(f), new LbSvcVal(f.svcId(), f.revNatId(), f.count(), f.flags(), services.get(f.svcId()).gen(),
                    f.affinityTimeout(), f.maglevM()));
        }
        return want;
    }

    void write(LbState state) {
        stale.forEach(this::clear);
        stale.clear();
        Map<Integer, LbBackend> wantBackends = backends(state.backends());
        Map<Integer, dev.weir.datapath.lb.LbFrontend> wantRevnats = revnats(state.frontends());
        putChanged(wantBackends, backends, maps.backend());
        putChanged(wantRevnats, revnats, maps.revnat());
        writeSlots(state.services());
        Map<LbSvcKey, LbSvcVal> wantFrontends = frontends(state.frontends());
        putChanged(wantFrontends, frontends, maps.svc());
        deleteGone(wantFrontends, frontends, maps.svc());
        Set<Integer> live = new HashSet<>();
        state.services().forEach(s -> live.add(s.id()));
        for (Integer id : new ArrayList<>(services.keySet())) {
            if (!live.contains(id)) {
                Written w = services.remove(id);
                clear(new Stale(id, w.gen(), w.slots().size(), w.maglev().size()));
            }
        }
        deleteGone(wantBackends, backends, maps.backend());
        deleteGone(wantRevnats, revnats, maps.revnat());
    }

    /** The entries of {@code want} that {@code have} lacks or holds otherwise, written in one batch. */
    private static <K, V> void putChanged(Map<K, V> want, Map<K, V> have, LbTables.Table<K, V> table) {
        List<K> keys = new ArrayList<>();
        List<V> values = new ArrayList<>();
        want.forEach((k, v) -> {
            if (!v.equals(have.get(k))) {
                keys.add(k);
                values.add(v);
            }
        });
        table.putAll(keys, values);
        for (int i = 0; i < keys.size(); i++) {
            have.put(keys.get(i), values.get(i));
        }
    }

    private static <K, V> void deleteGone(Map<K, V> want, Map<K, V> have, LbTables.Table<K, V> table) {
        for (K k : new ArrayList<>(have.keySet())) {
            if (!want.containsKey(k)) {
                table.delete(k);
                have.remove(k);
            }
        }
    }

    /**
     * Each service's slots and Maglev table under its idle generation when they differ from the current
     * one's; the current one becomes stale (deleted at the next write, once no frontend names it).
     */
    private void writeSlots(List<LbService> list) {
        List<LbSlotKey> slotKeys = new ArrayList<>();
        List<Integer> slotValues = new ArrayList<>();
        List<LbMaglevKey> maglevKeys = new ArrayList<>();
        List<Integer> maglevValues = new ArrayList<>();
        List<LbService> written = new ArrayList<>();
        for (LbService s : list) {
            Written w = services.get(s.id());
            if (w != null && s.slots().equals(w.slots()) && s.maglev().equals(w.maglev())) {
                continue;
            }
            int gen = w == null ? 0 : 1 - w.gen();
            for (int i = 0; i < s.slots().size(); i++) {
                slotKeys.add(new LbSlotKey(s.id(), i + 1, gen));
                slotValues.add(s.slots().get(i));
            }
            List<Integer> table = s.maglev();
            for (int i = 0; i < table.size(); i++) {
                maglevKeys.add(new LbMaglevKey(s.id(), i, gen));
                maglevValues.add(table.get(i));
            }
            written.add(s);
        }
        // in batches (one syscall per few hundred entries, not per entry); nothing names the new generation yet
        maps.slot().putAll(slotKeys, slotValues);
        maps.maglev().putAll(maglevKeys, maglevValues);
        for (LbService s : written) {
            Written w = services.get(s.id());
            if (w != null) {
                stale.add(new Stale(s.id(), w.gen(), w.slots().size(), w.maglev().size()));
            }
            services.put(s.id(), new Written(w == null ? 0 : 1 - w.gen(), s.slots(), s.maglev()));
        }
    }

    private void clear(Stale g) {
        for (int i = 1; i <= g.slots(); i++) {
            maps.slot().delete(new LbSlotKey(g.svcId(), i, g.gen()));
        }
        for (int i = 0; i < g.maglev(); i++) {
            maps.maglev().delete(new LbMaglevKey(g.svcId(), i, g.gen()));
        }
    }
}
