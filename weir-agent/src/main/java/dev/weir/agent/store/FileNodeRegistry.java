package dev.weir.agent.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import dev.weir.agent.cluster.EndpointRecord;
import dev.weir.agent.cluster.NodeRecord;
import dev.weir.agent.cluster.NodeRegistry;

/**
 * The node registry of the file store: each agent of the machine writes its node's record and endpoints to
 * {@code <dir>/<node>.json} (replaced atomically) and reads the other nodes' files, re-reading a file only when
 * it was replaced. Nothing expires: a node's file stays until its agent rewrites it or the
 * store is removed (lab down), as the file store serves one machine. Thread-safe.
 */
public final class FileNodeRegistry implements NodeRegistry {

    /** One node's file. */
    record NodeFile(NodeRecord node, List<EndpointRecord> endpoints) {
        NodeFile {
            endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
        }
    }

    /** {@code key}: the file's inode, new with every atomic replacement. */
    private record Seen(Object key, long size, NodeFile content) {
    }

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    private final Path dir;
    private final String node;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, Seen> seen = new HashMap<>();
    private NodeRecord ownNode;
    private List<EndpointRecord> ownEndpoints = List.of();
    private long version;
    private String lastError;

    /** The registry in {@code dir} (created when missing) for {@code node}. */
    public FileNodeRegistry(Path dir, String node) {
        this.dir = dir;
        this.node = node;
    }

    @Override
    public synchronized void publishNode(NodeRecord record) {
        if (!record.equals(ownNode)) {
            ownNode = record;
            write();
        }
    }

    @Override
    public synchronized void publishEndpoints(List<EndpointRecord> local) {
        for (EndpointRecord e : local) {
            if (!e.node().equals(node)) {
                throw new IllegalArgumentException(e.key() + " is not on " + node);
            }
        }
        if (!local.equals(ownEndpoints)) {
            ownEndpoints = List.copyOf(local);
            write();
        }
    }

    private void write() {
        try {
            Files.createDirectories(dir);
            AtomicFiles.write(dir.resolve(node + ".json"), MAPPER.writeValueAsBytes(new NodeFile(ownNode, ownEndpoints)));
            lastError = null;
        } catch (IOException | StoreException e) {
            lastError = "cannot write " + dir.resolve(node + ".json") + ": " + e.getMessage();
        }
    }

    @Override
    public synchronized Map<String, NodeRecord> nodes() {
        refresh();
        Map<String, NodeRecord> out = new TreeMap<>();
        seen.values().forEach(s -> {
            if (s.content().node() != null) {
                out.put(s.content().node().name(), s.content().node());
            }
        });
        if (ownNode != null) {
            out.put(node, ownNode);
        }
        return out;
    }

    @Override
    public synchronized Map<String, EndpointRecord> remoteEndpoints() {
        refresh();
        Map<String, EndpointRecord> out = new TreeMap<>();
        seen.forEach((name, s) -> s.content().endpoints().forEach(e -> {
            if (e.node().equals(name)) {
                out.put(e.key(), e);
            }
        }));
        return out;
    }

    @Override
    public synchronized long version() {
        refresh();
        return version;
    }

    @Override
    public boolean live() {
        return true;
    }

    @Override
    public synchronized String lastError() {
        return lastError;
    }

    @Override
    public void onChange(Runnable r) {
        listeners.add(r);
    }

    /** Tells the listeners that a file in the directory changed (the store's directory watch calls it). */
    public void changed() {
        listeners.forEach(Runnable::run);
    }

    /** Re-reads the other nodes' files that were replaced; forgets removed ones. */
    private void refresh() {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> {
                String n = p.getFileName().toString();
                return n.endsWith(".json") && !n.startsWith(".") && !n.equals(node + ".json");
            }).forEach(files::add);
        } catch (NoSuchFileException e) {
            // nobody has written yet
        } catch (IOException e) {
            lastError = "cannot list " + dir + ": " + e.getMessage();
            return;
        }
        boolean changed = false;
        Map<String, Seen> now = new HashMap<>();
        for (Path f : files) {
            String name = f.getFileName().toString().replaceFirst("\\.json$", "");
            try {
                var attributes = Files.readAttributes(f, java.nio.file.attribute.BasicFileAttributes.class);
                Seen before = seen.get(name);
                if (before != null && java.util.Objects.equals(before.key(), attributes.fileKey())
                        && before.size() == attributes.size()) {
                    now.put(name, before);
                    continue;
                }
                now.put(name, new Seen(attributes.fileKey(), attributes.size(), MAPPER.readValue(f.toFile(), NodeFile.class)));
                changed = true;
            } catch (NoSuchFileException e) {
                // removed while listing
            } catch (IOException e) {
                lastError = "cannot read " + f + ": " + e.getMessage();
                Seen before = seen.get(name);
                if (before != null) {
                    now.put(name, before);
                }
            }
        }
        if (changed || !now.keySet().equals(seen.keySet())) {
            seen.clear();
            seen.putAll(now);
            version++;
        }
    }
}
