package dev.weir.ebpf;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether a map already pinned can stand in for a map of an object being loaded: the same checks
 * libbpf's reuse makes (type, key and value size, max entries, flags), but failing with a message that
 * names the map and every difference.
 */
final class PinCompatibility {

    private PinCompatibility() {
    }

    /** @throws BpfKernelException EINVAL naming the map, the pin and what differs */
    static void check(MapSpec wanted, Path pin) {
        MapInfo pinned;
        try (Fd fd = Pins.open(pin)) {
            pinned = Infos.map(fd, pin.toString());
        }
        List<String> diffs = new ArrayList<>();
        differ(diffs, "type", pinned.type(), wanted.type());
        differ(diffs, "key_size", pinned.keySize(), wanted.keySize());
        differ(diffs, "value_size", pinned.valueSize(), wanted.valueSize());
        differ(diffs, "max_entries", pinned.maxEntries(), wanted.maxEntries());
        differ(diffs, "map_flags", pinned.flags() & ~kernelAdded(pinned.type()), wanted.flags());
        if (!diffs.isEmpty()) {
            throw new BpfKernelException("reuse pinned map", wanted.name(), -Errno.EINVAL.code(),
                    "the map pinned at " + pin + " is incompatible: " + String.join(", ", diffs));
        }
    }

    /** BPF_F_RDONLY_PROG, which the kernel adds to every devmap it creates (dev_map_alloc). */
    static final int RDONLY_PROG = 1 << 7;

    /** Flags the kernel adds to a map of this type at creation, which no object asks for. */
    static int kernelAdded(MapType type) {
        return type == MapType.DEVMAP || type == MapType.DEVMAP_HASH ? RDONLY_PROG : 0;
    }

    private static void differ(List<String> diffs, String field, Object pinned, Object wanted) {
        if (!pinned.equals(wanted)) {
            diffs.add(field + " " + pinned + " pinned, " + wanted + " wanted");
        }
    }
}
