package dev.weir.agent.datapath;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import dev.weir.agent.service.LbFrontend;
import dev.weir.agent.service.LbService;
import dev.weir.agent.service.LbState;
import dev.weir.datapath.lb.LbMapSizes;
import dev.weir.datapath.lb.LbMaps;

/**
 * How many entries of each service map {@link LbMapWriter} needs at the fullest point of one write from
 * {@code before} to {@code after} (both computed with one id allocator): new frontends, backends and rev-NAT
 * entries are written before the removed ones are deleted (so the union of both states), and a service
 * whose slots or Maglev table change holds both generations (the current one of {@code before}, the new
 * one of {@code after}). The superseded generations of the write before are deleted first, so they do not
 * count. Pure.
 */
public final class LbCapacity {

    private LbCapacity() {
    }

    /** Entries needed by map name ({@link LbMaps#SVC}, {@code SLOT}, {@code BACKEND}, {@code REVNAT}, {@code MAGLEV}). */
    public static Map<String, Long> need(LbState before, LbState after) {
        Set<String> frontends = new HashSet<>();
        Set<Integer> backends = new HashSet<>();
        Set<Integer> revnats = new HashSet<>();
        for (LbState s : new LbState[] {before, after}) {
            s.frontends().forEach(f -> frontends.add(key(f)));
            s.backends().forEach(b -> backends.add(b.id()));
            s.frontends().forEach(f -> revnats.add(f.revNatId()));
        }
        long slots = 0;
        long maglev = 0;
        for (LbService s : before.services()) {
            slots += s.slots().size();
            maglev += s.maglev().size();
        }
        Map<Integer, LbService> old = new java.util.HashMap<>();
        before.services().forEach(s -> old.put(s.id(), s));
        for (LbService s : after.services()) {
            LbService o = old.get(s.id());
            if (o == null || !o.slots().equals(s.slots()) || !o.maglev().equals(s.maglev())) {
                slots += s.slots().size();
                maglev += s.maglev().size();
            }
        }
        Map<String, Long> out = new LinkedHashMap<>();
        out.put(LbMaps.SVC, (long) frontends.size());
        out.put(LbMaps.SLOT, slots);
        out.put(LbMaps.BACKEND, (long) backends.size());
        out.put(LbMaps.REVNAT, (long) revnats.size());
        out.put(LbMaps.MAGLEV, maglev);
        return out;
    }

    /** Entries needed by map name, in {@link #need}'s order. */
    public static Map<String, Long> counts(long svc, long slot, long backend, long revnat, long maglev) {
        Map<String, Long> out = new LinkedHashMap<>();
        out.put(LbMaps.SVC, svc);
        out.put(LbMaps.SLOT, slot);
        out.put(LbMaps.BACKEND, backend);
        out.put(LbMaps.REVNAT, revnat);
        out.put(LbMaps.MAGLEV, maglev);
        return out;
    }

    /**
     * The first map that would overflow, as a message naming it, its size and what was asked; empty when
     * everything fits.
     */
    public static java.util.Optional<String> overflow(String node, LbState before, LbState after, LbMapSizes sizes) {
        return overflow(node, need(before, after), after.services().size(), after.backends().size(), after.frontends().size(), sizes);
    }

    /** {@link #overflow(String, LbState, LbState, LbMapSizes)} of needs counted elsewhere, with the new state's counts. */
    public static java.util.Optional<String> overflow(String node, Map<String, Long> need,
                                                      dev.weir.agent.service.LbNodeView.Counts after, LbMapSizes sizes) {
        return overflow(node, need, after.services(), after.backends(), after.frontends(), sizes);
    }

    private static java.util.Optional<String> overflow(String node, Map<String, Long> need, int services, int backends,
                                                       int frontends, LbMapSizes sizes) {
        for (var e : need.entrySet()) {
            int size = sizes.of(e.getKey());
            if (e.getValue() > size) {
                return java.util.Optional.of(e.getKey() + " holds " + size + " entries, but the services would need "
                        + e.getValue() + " on " + node + " (" + services + " datapath services, "
                        + backends + " backends, " + frontends + " frontends"
                        + (e.getKey().equals(LbMaps.SLOT) || e.getKey().equals(LbMaps.MAGLEV)
                                ? "; a changing service holds two generations while it is rewritten" : "")
                        + "); raise it on every agent with --lb-map-size " + e.getKey() + "=N (weir lab up --lb-map-size ...)");
            }
        }
        return java.util.Optional.empty();
    }

    /** The frontend's identity in {@code lb_svc}. */
    static String key(LbFrontend f) {
        return f.key() + " " + f.clientScope();
    }
}
