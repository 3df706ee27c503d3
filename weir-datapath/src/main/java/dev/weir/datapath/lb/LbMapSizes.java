package dev.weir.datapath.lb;

import java.util.List;
import java.util.Map;

import dev.weir.datapath.MapSizes;
import dev.weir.ebpf.LoadOptions;

/**
 * The sizes (max entries) of the shared service maps, {@link LbMaps#SHARED}: the defaults of
 * {@link LbMaps}, with overrides from the agent's configuration ({@code --lb-map-size lb_backend=200000}).
 * Every object that includes {@code lb.h} must be loaded with the same sizes ({@link #applyTo}), since
 * they share one set of pins; a pinned map of another size fails the load with a named error. Immutable.
 *
 * @param sizes max entries by map name, every shared map present
 */
public record LbMapSizes(Map<String, Integer> sizes) {

    /** Upper bound of one override (2^26): a typo should not reserve gigabytes of kernel memory. */
    public static final int MAX = MapSizes.MAX;

    public static final LbMapSizes DEFAULTS = new LbMapSizes(Map.of(
            LbMaps.SVC, LbMaps.SVC_ENTRIES, LbMaps.SLOT, LbMaps.SLOT_ENTRIES, LbMaps.BACKEND, LbMaps.BACKEND_ENTRIES,
            LbMaps.REVNAT, LbMaps.REVNAT_ENTRIES, LbMaps.AFFINITY, LbMaps.AFFINITY_ENTRIES,
            LbMaps.MAGLEV, LbMaps.MAGLEV_ENTRIES, LbMaps.SOCK_REV, LbMaps.SOCK_REV_ENTRIES));

    public LbMapSizes {
        sizes = MapSizes.complete(sizes, LbMaps.SHARED, "a service map");
    }

    /**
     * The defaults with overrides {@code MAP=ENTRIES}, e.g. {@code lb_backend=200000}.
     *
     * @throws IllegalArgumentException naming the bad override: unknown map, not a number, out of 1..2^26
     */
    public static LbMapSizes parse(List<String> overrides) {
        return new LbMapSizes(MapSizes.parse(overrides, DEFAULTS.sizes()));
    }

    public int of(String map) {
        Integer n = sizes.get(map);
        if (n == null) {
            throw new IllegalArgumentException("'" + map + "' is not a service map");
        }
        return n;
    }

    /** Sets every shared map's max entries on a load. */
    public LoadOptions.Builder applyTo(LoadOptions.Builder options) {
        sizes.forEach(options::maxEntries);
        return options;
    }

    /** The overrides only, as {@code MAP=ENTRIES} arguments (to start another agent with the same sizes). */
    public List<String> overrides() {
        return MapSizes.overrides(sizes, DEFAULTS.sizes);
    }
}
