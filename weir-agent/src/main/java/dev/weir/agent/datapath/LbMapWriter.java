package dev.weir.agent.datapath;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.weir.agent.service.LbFrontend;
import dev.weir.agent.service.LbService;
import dev.weir.agent.service.LbState;
import dev.weir.datapath.lb.LbMaglevKey;
import dev.weir.datapath.lb.LbMaps;
import dev.weir.datapath.lb.LbSlotKey;
import dev.weir.datapath.lb.LbSvcKey;
import dev.weir.datapath.lb.LbSvcVal;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.BpfObject;
import dev.weir.ebpf.Codec;

/**
 * Writes a node's {@link LbState} into the service maps of docs/service-datapath.md, atomically per
 * service: a changed service's slots (and Maglev table) are written under its idle generation, then every
 * frontend of it flips to that generation with one {@code lb_svc} update each; backends and rev-NAT entries
 * are written before any frontend can name them and removed only after no frontend does. Unchanged
 * services are not touched. Keeps what it wrote last in memory (a restarted agent rewrites once). Used
 * from the sync loop's thread only.
 */
final class LbMapWriter {

    private final BpfMap<LbSvcKey, LbSvcVal> svc;
    private final BpfMap<LbSlotKey, Integer> slot;
    private final BpfMap<Integer, dev.weir.datapath.lb.LbBackend> backend;
    private final BpfMap<Integer, dev.weir.datapath.lb.LbFrontend> revnat;
    private final BpfMap<LbMaglevKey, Integer> maglev;
    private final Map<Integer, LbService> written = new HashMap<>();
    private final Map<Integer, Integer> gens = new HashMap<>();
    /** Slots (highest slot number) and Maglev entries (table size) present per (service, generation). */
    private final Map<Long, Integer> slotCounts = new HashMap<>();
    private final Map<Long, Integer> maglevSizes = new HashMap<>();

    LbMapWriter(BpfObject obj) {
        svc = obj.map(LbMaps.SVC, LbSvcKey.CODEC, LbSvcVal.CODEC);
        slot = obj.map(LbMaps.SLOT, LbSlotKey.CODEC, Codec.u32());
        backend = obj.map(LbMaps.BACKEND, Codec.u32(), dev.weir.datapath.lb.LbBackend.CODEC);
        revnat = obj.map(LbMaps.REVNAT, Codec.u32(), dev.weir.datapath.lb.LbFrontend.CODEC);
        maglev = obj.map(LbMaps.MAGLEV, LbMaglevKey.CODEC, Codec.u32());
        recoverGenerations();
    }

    /**
     * What the maps already hold (after an agent restart): each service's generation, and how many slot and
     * Maglev entries each (service, generation) has, so that clearing one never scans a whole map.
     */
    private void recoverGenerations() {
        svc.entries().values().forEach(v -> gens.put(v.svcId(), v.gen()));
        for (LbSlotKey k : slot.keys()) {
            slotCounts.merge(key(k.svcId(), k.gen()), k.slot(), Math::max);
        }
        for (LbMaglevKey k : maglev.keys()) {
            maglevSizes.merge(key(k.svcId(), k.gen()), k.index() + 1, Math::max);
        }
    }

    private static long key(int svcId, int gen) {
        return (long) svcId << 1 | gen;
    }

    void write(LbState state) {
        for (var b : state.backends()) {
            backend.put(b.id(), new dev.weir.datapath.lb.LbBackend(b.address().bytes16(), b.port(),
                    b.protocol().number(), b.state().code()));
        }
        for (LbFrontend f : state.frontends()) {
            revnat.put(f.revNatId(), new dev.weir.datapath.lb.LbFrontend(f.address().bytes16(), f.port(),
                    f.protocol().number()));
        }
        for (LbService s : state.services()) {
            if (!s.equals(written.get(s.id()))) {
                writeSlots(s);
            }
        }
        Set<LbSvcKey> live = new HashSet<>();
        for (LbFrontend f : state.frontends()) {
            LbSvcKey key = new LbSvcKey(f.address().bytes16(), f.port(), f.protocol().number(), f.clientScope().code());
            live.add(key);
            svc.put(key, new LbSvcVal(f.svcId(), f.revNatId(), f.count(), f.flags(), gens.getOrDefault(f.svcId(), 0),
                    f.affinityTimeout(), f.maglevM()));
        }
        removeStale(state, live);
    }

    /** The service's slots and Maglev table under its idle generation (emptied first). */
    private void writeSlots(LbService s) {
        int gen = written.containsKey(s.id()) || gens.containsKey(s.id()) ? 1 - gens.getOrDefault(s.id(), 0) : 0;
        clearGeneration(s.id(), gen);
        for (int i = 0; i < s.slots().size(); i++) {
            slot.put(new LbSlotKey(s.id(), i + 1, gen), s.slots().get(i));
        }
        List<Integer> table = s.maglev();
        for (int i = 0; i < table.size(); i++) {
            maglev.put(new LbMaglevKey(s.id(), i, gen), table.get(i));
        }
        if (!s.slots().isEmpty()) {
            slotCounts.put(key(s.id(), gen), s.slots().size());
        }
        if (!table.isEmpty()) {
            maglevSizes.put(key(s.id(), gen), table.size());
        }
        gens.put(s.id(), gen);
        written.put(s.id(), s);
    }

    private void clearGeneration(int svcId, int gen) {
        Integer slots = slotCounts.remove(key(svcId, gen));
        for (int i = 1; slots != null && i <= slots; i++) {
            slot.delete(new LbSlotKey(svcId, i, gen));
        }
        Integer size = maglevSizes.remove(key(svcId, gen));
        for (int i = 0; size != null && i < size; i++) {
            maglev.delete(new LbMaglevKey(svcId, i, gen));
        }
    }

    /** Frontends, services, backends and rev-NAT entries the new state no longer has. */
    private void removeStale(LbState state, Set<LbSvcKey> live) {
        for (LbSvcKey k : svc.keys()) {
            if (!live.contains(k)) {
                svc.delete(k);
            }
        }
        Set<Integer> services = new HashSet<>();
        state.services().forEach(s -> services.add(s.id()));
        for (Integer id : new ArrayList<>(gens.keySet())) {
            if (!services.contains(id)) {
                clearGeneration(id, 0);
                clearGeneration(id, 1);
                gens.remove(id);
                written.remove(id);
            }
        }
        Set<Integer> backends = new HashSet<>();
        state.backends().forEach(b -> backends.add(b.id()));
        backend.keys().stream().filter(k -> !backends.contains(k)).forEach(backend::delete);
        Set<Integer> revnats = new HashSet<>();
        state.frontends().forEach(f -> revnats.add(f.revNatId()));
        revnat.keys().stream().filter(k -> !revnats.contains(k)).forEach(revnat::delete);
    }
}
