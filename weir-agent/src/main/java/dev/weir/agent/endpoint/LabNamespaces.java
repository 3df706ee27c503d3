package dev.weir.agent.endpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.weir.agent.cluster.Namespace;

/**
 * The namespaces of the lab's state file ({@code namespaces[]} of {@code lab.json}) with their labels: the lab
 * plays the part of the Kubernetes API server for namespaces (the pods come through weir-cni). Empty when there
 * is no lab. The file is re-read only when its modification time changes. Thread-safe.
 */
public final class LabNamespaces implements Supplier<List<Namespace>> {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Path stateFile;
    private FileTime seen;
    private List<Namespace> last = List.of();

    public LabNamespaces(Path stateFile) {
        this.stateFile = stateFile;
    }

    /**
     * {@inheritDoc}
     *
     * @throws EndpointSource.EndpointSourceException when the file exists but cannot be read
     */
    @Override
    public synchronized List<Namespace> get() {
        try {
            FileTime modified = Files.getLastModifiedTime(stateFile);
            if (!modified.equals(seen)) {
                last = parse(MAPPER.readTree(stateFile.toFile()));
                seen = modified;
            }
            return last;
        } catch (NoSuchFileException e) {
            seen = null;
            last = List.of();
            return last;
        } catch (IOException | RuntimeException e) {
            throw new EndpointSource.EndpointSourceException("cannot read the lab's namespaces in " + stateFile + ": "
                    + e.getMessage(), e);
        }
    }

    static List<Namespace> parse(JsonNode lab) {
        List<Namespace> namespaces = new ArrayList<>();
        for (JsonNode ns : lab.path("namespaces")) {
            Map<String, String> labels = new TreeMap<>();
            ns.path("labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
            namespaces.add(new Namespace(ns.path("name").asText(), labels));
        }
        return List.copyOf(namespaces);
    }
}
