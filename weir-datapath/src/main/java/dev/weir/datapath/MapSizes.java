package dev.weir.datapath;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Map sizes from configuration: defaults by map name, with overrides {@code MAP=ENTRIES} (the agent's
 * {@code --lb-map-size} and {@code --map-size}). Shared by {@code LbMapSizes} and {@code NodeMapSizes}.
 */
public final class MapSizes {

    /** Upper bound of one override (2^26): a typo should not reserve gigabytes of kernel memory. */
    public static final int MAX = 1 << 26;

    private MapSizes() {
    }

    /**
     * The defaults with the overrides applied, in the defaults' order.
     *
     * @throws IllegalArgumentException naming the bad override: unknown map, not a number, out of 1..2^26
     */
    public static Map<String, Integer> parse(List<String> overrides, Map<String, Integer> defaults) {
        Map<String, Integer> out = new LinkedHashMap<>(defaults);
        for (String o : overrides == null ? List.<String>of() : overrides) {
            int eq = o.indexOf('=');
            String name = eq < 0 ? o : o.substring(0, eq).trim();
            if (eq < 0 || !defaults.containsKey(name)) {
                throw new IllegalArgumentException("bad map size '" + o + "': expected MAP=ENTRIES, MAP one of "
                        + List.copyOf(defaults.keySet()));
            }
            int n;
            try {
                n = Integer.parseInt(o.substring(eq + 1).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad map size '" + o + "': entries must be a number");
            }
            if (n < 1 || n > MAX) {
                throw new IllegalArgumentException("bad map size '" + o + "': entries must be 1.." + MAX);
            }
            out.put(name, n);
        }
        return out;
    }

    /**
     * {@code sizes} in the order of {@code maps}, unmodifiable.
     *
     * @param what what the maps are, for the error naming a map that is not one of them
     * @throws IllegalArgumentException when a map of {@code maps} has no size, or {@code sizes} names another map
     */
    public static Map<String, Integer> complete(Map<String, Integer> sizes, List<String> maps, String what) {
        Map<String, Integer> ordered = new java.util.LinkedHashMap<>();
        for (String name : maps) {
            Integer n = sizes.get(name);
            if (n == null) {
                throw new IllegalArgumentException("no size for " + name);
            }
            ordered.put(name, n);
        }
        sizes.keySet().stream().filter(k -> !maps.contains(k)).findFirst().ifPresent(k -> {
            throw new IllegalArgumentException("'" + k + "' is not " + what + " (one of " + maps + ")");
        });
        return java.util.Collections.unmodifiableMap(ordered);
    }

    /** The entries of {@code sizes} that differ from {@code defaults}, as {@code MAP=ENTRIES}. */
    public static List<String> overrides(Map<String, Integer> sizes, Map<String, Integer> defaults) {
        return sizes.entrySet().stream().filter(e -> !e.getValue().equals(defaults.get(e.getKey())))
                .map(e -> e.getKey() + "=" + e.getValue()).toList();
    }
}
