package dev.weir.cli.ops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import dev.weir.ebpf.PinnedObject;

/** Everything pinned under /sys/fs/bpf/weir: what weir owns. */
public final class WeirPins {
    public static final Path ROOT = Path.of("/sys/fs/bpf/weir");

    private WeirPins() {
    }

    /**
     * The programs weir attached: those its pinned links hold (every link weir makes is pinned under {@link #ROOT}),
     * and its pinned programs.
     */
    public static java.util.Set<Integer> attachedPrograms() {
        Map<String, Path> pins = byId();
        java.util.Set<Integer> out = new java.util.TreeSet<>();
        for (dev.weir.ebpf.LinkInfo l : dev.weir.ebpf.BpfSystem.links()) {
            if (pins.containsKey("link:" + l.id())) {
                out.add(l.programId());
            }
        }
        pins.keySet().stream().filter(k -> k.startsWith("prog:")).forEach(k -> out.add(Integer.parseInt(k.substring(5))));
        return out;
    }

    /** Pin paths by object id and kind ("map", "prog", "link"), for marking weir's objects in listings. */
    public static Map<String, Path> byId() {
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
