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

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.cluster.Namespace;
import dev.weir.agent.cluster.Node;

/**
 * A test source of a whole cluster: reads a lab-shaped state file ({@code /run/weir/lab/lab.json}, the stable document of weir-lab's README)
 * and reports its nodes, namespaces and pods. It parses the JSON itself, so the agent does not depend on
 * weir-lab. The file is re-read only when its modification time changes. Thread-safe.
 */
public final class LabEndpointSource implements EndpointSource {

    /**
     * @param stateFile the lab's {@code lab.json}
     * @param onlyNode  when set, only this node and its pods are reported (the other nodes and their pods
     *                  reach the agent through the kvstore); null for every node and pod
     */
    public record Config(Path stateFile, String onlyNode) {
        public Config(Path stateFile) {
            this(stateFile, null);
        }
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Config config;
    private final EndpointIds ids;
    private FileTime seen;
    private ClusterState last = ClusterState.EMPTY;

    public LabEndpointSource(Config config, EndpointIds ids) {
        this.config = config;
        this.ids = ids;
    }

    @Override
    public String name() {
        return "endpoint-source(lab " + config.stateFile() + (config.onlyNode() == null ? "" : ", " + config.onlyNode() + " only") + ")";
    }

    @Override
    public synchronized ClusterState read() {
        Path file = config.stateFile();
        try {
            FileTime modified = Files.getLastModifiedTime(file);
            if (!modified.equals(seen)) {
                last = parse(MAPPER.readTree(file.toFile()));
                seen = modified;
            }
            return last;
        } catch (NoSuchFileException e) {
            seen = null;
            last = ClusterState.EMPTY;
            return last;
        } catch (IOException | RuntimeException e) {
            throw new EndpointSourceException("cannot read the lab state " + file + ": " + e.getMessage(), e);
        }
    }

    ClusterState parse(JsonNode lab) {
        List<Node> nodes = new ArrayList<>();
        for (JsonNode n : lab.path("nodes")) {
            if (config.onlyNode() != null && !config.onlyNode().equals(n.path("name").asText())) {
                continue;
            }
            nodes.add(new Node(n.path("name").asText(), text(n, "netns"), text(n, "ipv4"), text(n, "ipv6")));
        }
        List<Namespace> namespaces = LabNamespaces.parse(lab);
        List<Endpoint> endpoints = new ArrayList<>();
        for (JsonNode p : lab.path("pods")) {
            if (config.onlyNode() != null && !config.onlyNode().equals(p.path("node").asText())) {
                continue;
            }
            String namespace = p.path("namespace").asText();
            String name = p.path("name").asText();
            // the pod's processes run in the cgroup of its lab agent (agents["ns/name"].cgroup)
            String cgroup = text(lab.path("agents").path(namespace + "/" + name), "cgroup");
            endpoints.add(new Endpoint(ids.idOf(namespace, name), namespace, name, labels(p.path("labels")),
                    p.path("node").asText(), text(p, "ipv4"), text(p, "ipv6"), text(p, "hostInterface"), cgroup));
        }
        return new ClusterState(nodes, namespaces, endpoints);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static Map<String, String> labels(JsonNode node) {
        Map<String, String> labels = new TreeMap<>();
        node.properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
        return labels;
    }
}
