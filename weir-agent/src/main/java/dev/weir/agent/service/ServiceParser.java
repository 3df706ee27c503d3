package dev.weir.agent.service;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.agent.yaml.ValidationException;
import dev.weir.agent.yaml.YamlDocuments;
import dev.weir.agent.yaml.YamlNode;

/**
 * Parses Kubernetes-shaped YAML (multi-document files, or directories of {@code .yaml}/{@code .yml}
 * files) holding {@code v1 Service} and {@code discovery.k8s.io/v1 EndpointSlice} objects into validated,
 * defaulted {@link Service}s and {@link EndpointSlice}s. All-or-nothing per call: every document of every
 * file is parsed and checked before anything is returned; the first problem is thrown as a
 * {@link ValidationException} naming file, object and field path. Checks that need every object
 * (address and port clashes) are {@link ServiceCatalog}'s. Stateless and thread-safe.
 */
public final class ServiceParser {

    private final ServiceReader services;

    public ServiceParser(ServiceConfig config) {
        this.services = new ServiceReader(config);
    }

    /** Parses files, or every YAML file below directories (each directory in path order). */
    public ServiceObjects parse(List<Path> filesOrDirs) {
        List<Object> out = new ArrayList<>();
        for (Path p : filesOrDirs) {
            for (Path f : YamlDocuments.files(p)) {
                out.addAll(parseDocuments(YamlDocuments.text(f), f.toString()));
            }
        }
        return collect(out);
    }

    /** Parses a file or every YAML file below a directory. */
    public ServiceObjects parse(Path fileOrDir) {
        return parse(List.of(fileOrDir));
    }

    /** Parses YAML text; {@code source} names it in errors. */
    public ServiceObjects parse(String yaml, String source) {
        return collect(parseDocuments(yaml, source));
    }

    /** Parses one document already read into a tree (the first of its source, for messages). */
    public ServiceObjects parse(JsonNode document, String source) {
        return collect(List.of(parseDocument(document, source, 1)));
    }

    private List<Object> parseDocuments(String yaml, String source) {
        return YamlDocuments.read(yaml, source, this::parseDocument);
    }

    private Object parseDocument(JsonNode node, String source, int index) {
        YamlNode.Doc doc = new YamlNode.Doc(source, "document " + index);
        YamlNode root = new YamlNode(node, "", doc);
        if (!node.isObject()) {
            throw root.error("expected a mapping, found " + root.describe());
        }
        String apiVersion = root.get("apiVersion").text();
        String kind = root.get("kind").text();
        Meta.Header h = Meta.header(root);
        doc.object = kind + " " + h.namespace() + "/" + h.name();
        return switch (apiVersion + " " + kind) {
            case "v1 Service" -> services.read(root, h);
            case "discovery.k8s.io/v1 EndpointSlice" -> EndpointSliceReader.read(root, h);
            default -> throw root.get("kind").error("unsupported kind '" + kind + "' of apiVersion '" + apiVersion
                    + "' (expected v1 Service or discovery.k8s.io/v1 EndpointSlice)");
        };
    }

    /** Splits into services and slices; two objects of one kind with the same namespace and name are an error. */
    private static ServiceObjects collect(List<Object> objects) {
        List<Service> services = new ArrayList<>();
        List<EndpointSlice> slices = new ArrayList<>();
        Map<String, String> seen = new HashMap<>();
        for (Object o : objects) {
            String ref = o instanceof Service s ? s.ref() : ((EndpointSlice) o).ref();
            String source = o instanceof Service s ? s.source() : ((EndpointSlice) o).source();
            String prev = seen.putIfAbsent(ref, source);
            if (prev != null) {
                throw new ValidationException(source, ref, "metadata.name", "duplicate object in one apply (also in " + prev + ")");
            }
            if (o instanceof Service s) {
                services.add(s);
            } else {
                slices.add((EndpointSlice) o);
            }
        }
        return new ServiceObjects(services, slices);
    }
}
