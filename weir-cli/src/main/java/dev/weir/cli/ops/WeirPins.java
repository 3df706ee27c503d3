package dev.weir.cli.ops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import dev.weir.ebpf.PinnedObject;

/** Everything pinned under /sys/fs/bpf/weir: what weir owns. */
final class WeirPins {
    static final Path ROOT = Path.of("/sys/fs/bpf/weir");

    private WeirPins() {
    }

    /** Pin paths by object id and kind ("map", "prog", "link"), for marking weir's objects in listings. */
    static Map<String, Path> byId() {
        Map<String, Path> out = new HashMap<>();
        if (!Files.isDirectory(ROOT)) {
            return out;
        }
        try (Stream<Path> s = Files.walk(ROOT)) {
            s.filter(Files::isRegularFile).forEach(p -> PinnedObject.inspect(p)
                    .ifPresent(o -> out.put(o.kind() + ":" + o.id(), p)));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + ROOT + ": " + e.getMessage(), e);
        }
        return out;
    }
}
