package dev.weir.agent.datapath;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;

import dev.weir.agent.runtime.Dataplane.MapFill;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.PinnedObject;

/**
 * The fill of every map pinned under a node's pin directory (and its {@code prefilter/}) that has a capacity:
 * hash, LRU and LPM maps (arrays are always full, ring buffers have none). Counted in the background, every
 * {@link #PERIOD}, by walking each map's keys, so that a scrape reads numbers and walks nothing; the maps the
 * caller counts itself ({@code skip}: the service maps, whose writer knows its entries) are left out.
 *
 * <p>Lifetime: {@link #start} after the maps are pinned, {@link #stop} (idempotent) joins the thread. Owns no
 * map between samples: each is opened by its pin, counted and closed. {@link #latest} is thread-safe.
 */
final class MapFillSampler {

    /** How often the maps are counted: conntrack changes with every connection, so a gauge lags by this much. */
    static final Duration PERIOD = Duration.ofSeconds(5);

    private final Path pinDir;
    private final Set<String> skip;
    private final Consumer<String> log;
    private volatile Map<String, MapFill> latest = Map.of();
    private volatile boolean running;
    private Thread thread;
    private String lastError;

    /**
     * @param pinDir {@code /sys/fs/bpf/weir/<node>}
     * @param skip   map names counted elsewhere
     */
    MapFillSampler(Path pinDir, Set<String> skip, Consumer<String> log) {
        this.pinDir = pinDir;
        this.skip = Set.copyOf(skip);
        this.log = log;
    }

    void start() {
        running = true;
        thread = Thread.ofPlatform().name("map-fill").daemon().start(this::run);
    }

    void stop() {
        running = false;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The last sample, by map name (empty before the first). */
    Map<String, MapFill> latest() {
        return latest;
    }

    private void run() {
        while (running) {
            try {
                latest = sample();
                lastError = null;
            } catch (RuntimeException e) {
                if (!String.valueOf(e.getMessage()).equals(lastError)) {
                    lastError = String.valueOf(e.getMessage());
                    log.accept("map fill: cannot count the pinned maps: " + e);
                }
            }
            try {
                Thread.sleep(PERIOD);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Counts every countable map pinned now. */
    Map<String, MapFill> sample() {
        Map<String, MapFill> out = new TreeMap<>();
        for (Path dir : new Path[] {pinDir, pinDir.resolve("prefilter")}) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.list(dir)) {
                files.filter(Files::isRegularFile).forEach(p -> count(p, out));
            } catch (IOException e) {
                throw new IllegalStateException("cannot list " + dir + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    private void count(Path pin, Map<String, MapFill> out) {
        String name = pin.getFileName().toString();
        if (skip.contains(name)) {
            return;
        }
        PinnedObject o = PinnedObject.inspect(pin).orElse(null);
        if (o == null || !o.kind().equals("map")) {
            return;
        }
        try (BpfMap<?, ?> m = BpfMap.fromId(o.id())) {
            if (m.type().hasFill()) {
                out.put(name, new MapFill(m.count(), m.maxEntries()));
            }
        } catch (RuntimeException e) {
            // unpinned or replaced between the listing and the open: counted at the next sample
        }
    }
}
