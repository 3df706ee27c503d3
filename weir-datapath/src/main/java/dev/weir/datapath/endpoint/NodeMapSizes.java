package dev.weir.datapath.endpoint;

import java.util.List;
import java.util.Map;

import dev.weir.datapath.MapSizes;
import dev.weir.datapath.nodeport.NodePortMaps;
import dev.weir.ebpf.LoadOptions;

/**
 * The sizes (max entries) of a node's policy and conntrack maps, {@code pol}, {@code ipcache}, {@code ct},
 * {@code np_ct} and {@code np_frag}: the defaults of {@link EndpointMaps} and {@link NodePortMaps}, with overrides from the
 * agent's configuration ({@code weir agent --map-size ct=262144}). Set when {@code tc_endpoint} is loaded;
 * the objects that share these maps by pin take the sizes it loaded. A pinned map of another size fails
 * the load with a named error (restarting an agent with new sizes needs the node's pins removed first).
 * Immutable.
 *
 * @param sizes max entries by map name, every map present, in {@link #MAPS} order
 */
public record NodeMapSizes(Map<String, Integer> sizes) {

    /** The maps whose size is configurable here. */
    public static final List<String> MAPS = List.of(EndpointMaps.POL, EndpointMaps.IPCACHE, EndpointMaps.CT, NodePortMaps.CT,
            NodePortMaps.FRAG);

    public static final NodeMapSizes DEFAULTS = new NodeMapSizes(Map.of(EndpointMaps.POL, EndpointMaps.POL_ENTRIES,
            EndpointMaps.IPCACHE, EndpointMaps.IPCACHE_ENTRIES, EndpointMaps.CT, EndpointMaps.CT_ENTRIES,
            NodePortMaps.CT, NodePortMaps.CT_ENTRIES, NodePortMaps.FRAG, NodePortMaps.FRAG_ENTRIES));

    public NodeMapSizes {
        sizes = MapSizes.complete(sizes, MAPS, "a policy or conntrack map");
    }

    /**
     * The defaults with overrides {@code MAP=ENTRIES}, e.g. {@code ct=262144}.
     *
     * @throws IllegalArgumentException naming the bad override: unknown map, not a number, out of 1..2^26
     */
    public static NodeMapSizes parse(List<String> overrides) {
        return new NodeMapSizes(MapSizes.parse(overrides, DEFAULTS.sizes()));
    }

    public int of(String map) {
        Integer n = sizes.get(map);
        if (n == null) {
            throw new IllegalArgumentException("'" + map + "' is not one of " + MAPS);
        }
        return n;
    }

    /** Sets the maps' max entries on a load of {@code tc_endpoint}. */
    public LoadOptions.Builder applyTo(LoadOptions.Builder options) {
        sizes.forEach(options::maxEntries);
        return options;
    }

    /** The overrides only, as {@code MAP=ENTRIES} arguments. */
    public List<String> overrides() {
        return MapSizes.overrides(sizes, DEFAULTS.sizes);
    }
}
