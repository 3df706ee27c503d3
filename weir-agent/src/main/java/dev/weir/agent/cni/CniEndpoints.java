package dev.weir.agent.cni;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.cluster.Namespace;
import dev.weir.agent.cluster.Node;
import dev.weir.agent.endpoint.ClusterState;
import dev.weir.agent.endpoint.EndpointSource;
import dev.weir.agent.store.AtomicFiles;

/**
 * This node's endpoints: the pod interfaces weir-cni attached ({@link Attachment}), kept in
 * {@code <run-dir>/cni-endpoints.json} so that a restarted agent serves them again (the file goes with the run
 * directory at reboot, like the pods' namespaces). As an {@link EndpointSource} it reports this node, its
 * endpoints and the namespaces: those {@code namespaces} knows (the lab's, with their labels), and for any other
 * namespace of an endpoint the label Kubernetes gives every namespace, {@code kubernetes.io/metadata.name}.
 * Thread-safe.
 */
public final class CniEndpoints implements EndpointSource {

    public static final String FILE = "cni-endpoints.json";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Node self;
    private final Path file;
    private final Supplier<List<Namespace>> namespaces;
    private final List<Attachment> attachments = new ArrayList<>();
    /** Changes made to {@link #attachments} (guarded by this), and how many of them the file holds (by {@link #writing}). */
    private long version;
    private long written;
    /** Held while the file is written: one write at a time, outside this object's monitor. */
    private final Object writing = new Object();
    private ClusterState last;

    /**
     * @param self       this node, from the agent's configuration
     * @param file       where the attachments are kept
     * @param namespaces the namespaces the cluster knows, with their labels
     * @throws IllegalStateException when the file exists but cannot be read
     */
    public CniEndpoints(Node self, Path file, Supplier<List<Namespace>> namespaces) {
        this.self = self;
        this.file = file;
        this.namespaces = namespaces;
        try {
            attachments.addAll(MAPPER.readValue(file.toFile(), new TypeReference<List<Attachment>>() { }));
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            // no pod attached yet
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the attached pods in " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String name() {
        return "endpoint-source(cni " + file + ")";
    }

    @Override
    public synchronized ClusterState read() {
        List<Namespace> known = namespaces.get();
        Map<String, Namespace> byName = new TreeMap<>();
        known.forEach(n -> byName.put(n.name(), n));
        List<Endpoint> endpoints = new ArrayList<>();
        for (Attachment a : attachments) {
            endpoints.add(a.endpoint(self.name()));
            byName.computeIfAbsent(a.namespace(), n -> new Namespace(n, Map.of("kubernetes.io/metadata.name", n)));
        }
        endpoints.sort(Comparator.comparing(Endpoint::key));
        ClusterState now = new ClusterState(List.of(self), List.copyOf(byName.values()), endpoints);
        if (!now.equals(last)) {
            last = now;
        }
        return last;
    }

    /** Every attachment, in the order they were made. */
    public synchronized List<Attachment> all() {
        return List.copyOf(attachments);
    }

    /** The attachment of a container's interface. */
    public synchronized Optional<Attachment> find(String containerId, String ifName) {
        return attachments.stream().filter(a -> a.is(containerId, ifName)).findFirst();
    }

    /** Adds an attachment and writes the file. */
    public void add(Attachment a) {
        persist(stage(a), a);
    }

    /**
     * Adds an attachment in memory (the sync loop sees it from now on); {@link #persist} then writes it. Lets a
     * caller keep its own lock short: the write, with its fsyncs, happens outside it.
     *
     * @return what {@link #persist} is to wait for
     */
    public synchronized long stage(Attachment a) {
        attachments.add(a);
        return ++version;
    }

    /**
     * Waits until the file holds every change up to {@code staged}: a write made for a change staged later covers
     * it too, so attachments made side by side share writes (group commit). When the write fails, {@code a} is
     * taken back out and the failure thrown.
     */
    public void persist(long staged, Attachment a) {
        try {
            writeUpTo(staged);
        } catch (CniException e) {
            synchronized (this) {
                attachments.remove(a);
            }
            throw e;
        }
    }

    /** Removes an attachment and writes the file. */
    public void remove(Attachment a) {
        long v;
        synchronized (this) {
            attachments.remove(a);
            v = ++version;
        }
        writeUpTo(v);
    }

    /** Writes the file unless a write already holds every change up to {@code v}; one writer at a time. */
    private void writeUpTo(long v) {
        synchronized (writing) {
            if (written >= v) {
                return;
            }
            List<Attachment> now;
            long upTo;
            synchronized (this) {
                now = List.copyOf(attachments);
                upTo = version;
            }
            save(now);
            written = upTo;
        }
    }

    private void save(List<Attachment> now) {
        try {
            Files.createDirectories(file.getParent());
            AtomicFiles.write(file, MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(now));
        } catch (IOException | RuntimeException e) {
            throw new CniException(CniException.IO_FAILURE, "cannot write " + file, e.getMessage());
        }
    }
}
