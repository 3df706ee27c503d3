package dev.weir.ebpf;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What {@link BpfObject#load} may change about a spec: map sizes, pinning, reuse of pinned maps, and
 * {@code volatile const} values in {@code .rodata}. Immutable; build with {@link #builder()}.
 *
 * @param maxEntries  map name -> max entries override
 * @param pinDirectory where maps are pinned, by name; empty for no pinning
 * @param pinMaps     which maps to pin; empty = every map except libbpf's internal ones
 * @param reusePinned reuse a compatible map already pinned at the map's path (an incompatible one is an
 *                    error naming the map and what differs); false = a pin already there is an error
 * @param constants   {@code .rodata} variable name -> value (truncated to the variable's size)
 * @param reused      map name -> the pin of another object's map this object uses instead of its own (which
 *                    must exist and match the map's type, key, value and flags; its max entries are taken from
 *                    the pin); never pinned under {@link #pinDirectory()}
 */
public record LoadOptions(Map<String, Integer> maxEntries, Optional<Path> pinDirectory, Set<String> pinMaps,
                          boolean reusePinned, Map<String, Long> constants, Map<String, Path> reused) {

    public LoadOptions {
        maxEntries = Map.copyOf(maxEntries);
        pinMaps = Set.copyOf(pinMaps);
        constants = Map.copyOf(constants);
        reused = Map.copyOf(reused);
    }

    /** Without maps reused from other pins. */
    public LoadOptions(Map<String, Integer> maxEntries, Optional<Path> pinDirectory, Set<String> pinMaps,
                       boolean reusePinned, Map<String, Long> constants) {
        this(maxEntries, pinDirectory, pinMaps, reusePinned, constants, Map.of());
    }

    /** No overrides, no pinning. */
    public static LoadOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Whether {@code map} is to be pinned under {@link #pinDirectory()}. */
    boolean pins(MapSpec map) {
        return pinDirectory.isPresent() && !reused.containsKey(map.name()) && (pinMaps.isEmpty() ? !map.isInternal() : pinMaps.contains(map.name()));
    }

    /** Collects options; not thread-safe. */
    public static final class Builder {
        private final Map<String, Integer> maxEntries = new LinkedHashMap<>();
        private final Map<String, Long> constants = new LinkedHashMap<>();
        private final Map<String, Path> reused = new LinkedHashMap<>();
        private Path pinDirectory;
        private Set<String> pinMaps = Set.of();
        private boolean reusePinned = true;

        private Builder() {
        }

        public Builder maxEntries(String map, int entries) {
            if (entries <= 0) {
                throw new IllegalArgumentException("max entries of " + map + " must be positive: " + entries);
            }
            maxEntries.put(map, entries);
            return this;
        }

        public Builder pinDirectory(Path dir) {
            this.pinDirectory = dir;
            return this;
        }

        public Builder pinMaps(Set<String> maps) {
            this.pinMaps = Set.copyOf(maps);
            return this;
        }

        public Builder reusePinned(boolean reuse) {
            this.reusePinned = reuse;
            return this;
        }

        public Builder constant(String name, long value) {
            constants.put(name, value);
            return this;
        }

        /** Uses the map pinned at {@code pin} (another object's) as this object's map {@code map}. */
        public Builder reuse(String map, Path pin) {
            reused.put(map, pin);
            return this;
        }

        public LoadOptions build() {
            return new LoadOptions(maxEntries, Optional.ofNullable(pinDirectory), pinMaps, reusePinned, constants,
                    reused);
        }
    }
}
