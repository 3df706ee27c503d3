package dev.weir.agent.policy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * Parses Kubernetes-shaped YAML (multi-document files, or directories of {@code .yaml}/{@code .yml}
 * files) into validated, defaulted {@link PolicyObject}s. All-or-nothing: every document is parsed and
 * checked before anything is returned, and the first problem is thrown as a
 * {@link PolicyValidationException}. Stateless and thread-safe.
 */
public final class PolicyParser {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** Parses a file or every YAML file below a directory (in path order). */
    public List<PolicyObject> parse(Path fileOrDir) {
        List<Path> files = files(fileOrDir);
        List<PolicyObject> out = new ArrayList<>();
        for (Path f : files) {
            out.addAll(parseDocuments(read(f), f.toString()));
        }
        checkDuplicates(out);
        return List.copyOf(out);
    }

    /** Parses YAML text; {@code source} names it in errors. */
    public List<PolicyObject> parse(String yaml, String source) {
        List<PolicyObject> out = parseDocuments(yaml, source);
        checkDuplicates(out);
        return out;
    }

    private static List<Path> files(Path p) {
        if (!Files.isDirectory(p)) {
            return List.of(p);
        }
        try (Stream<Path> s = Files.walk(p)) {
            return s.filter(Files::isRegularFile)
                    .filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml"))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + p, e);
        }
    }

    private static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            throw new PolicyValidationException(f.toString(), null, null, "cannot read: " + e.getMessage());
        }
    }

    private List<PolicyObject> parseDocuments(String yaml, String source) {
        List<PolicyObject> out = new ArrayList<>();
        int index = 0;
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (it.hasNextValue()) {
                JsonNode node = it.nextValue();
                index++;
                if (node == null || node.isNull() || node.isMissingNode()) {
                    continue;
                }
                out.add(parseDocument(node, source, index));
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof PolicyValidationException pve) {
                throw pve;
            }
            throw new PolicyValidationException(source, "document " + (index + 1), null, "invalid YAML: " + firstLine(e));
        }
        return out;
    }

    private static String firstLine(Exception e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    private PolicyObject parseDocument(JsonNode node, String source, int index) {
        YamlField.Doc doc = new YamlField.Doc(source, "document " + index);
        YamlField root = new YamlField(node, "", doc);
        root.object(CommonReader.TOP);
        String apiVersion = root.get("apiVersion").text();
        String kind = root.get("kind").text();
        CommonReader.metadata(root);
        String name = CommonReader.name(root);
        String ns = CommonReader.namespace(root, null);
        return switch (apiVersion + " " + kind) {
            case "networking.k8s.io/v1 NetworkPolicy" -> {
                doc.object = kind + " " + (ns == null ? "default" : ns) + "/" + name;
                yield NetworkPolicyReader.read(root, name, ns == null ? "default" : ns);
            }
            case "weir.dev/v1 WeirNetworkPolicy" -> {
                doc.object = kind + " " + (ns == null ? "default" : ns) + "/" + name;
                yield WeirPolicyReader.read(root, false, name, ns == null ? "default" : ns);
            }
            case "weir.dev/v1 WeirClusterNetworkPolicy" -> {
                doc.object = kind + " " + name;
                if (ns != null) {
                    throw root.get("metadata").get("namespace").error("a cluster-wide policy has no namespace");
                }
                yield WeirPolicyReader.read(root, true, name, null);
            }
            case "weir.dev/v1 PolicyMode" -> {
                doc.object = kind + " " + (ns == null ? name : ns + "/" + name);
                yield PolicyModeReader.read(root, name, ns);
            }
            default -> throw root.get("kind").error("unsupported kind '" + kind + "' of apiVersion '" + apiVersion
                    + "' (expected networking.k8s.io/v1 NetworkPolicy, or weir.dev/v1 WeirNetworkPolicy,"
                    + " WeirClusterNetworkPolicy or PolicyMode)");
        };
    }

    /** Two objects with the same kind, namespace and name in one apply; two cluster-wide modes. */
    static void checkDuplicates(List<PolicyObject> objects) {
        Map<String, PolicyObject> seen = new HashMap<>();
        PolicyMode clusterMode = null;
        for (PolicyObject o : objects) {
            PolicyObject prev = seen.putIfAbsent(o.ref(), o);
            if (prev != null) {
                throw new PolicyValidationException(o.source(), o.ref(), "metadata.name",
                        "duplicate object in one apply (also in " + prev.source() + ")");
            }
            if (o instanceof PolicyMode m && m.scope() == PolicyMode.Scope.CLUSTER) {
                if (clusterMode != null) {
                    throw new PolicyValidationException(o.source(), o.ref(), "metadata.namespace",
                            "only one cluster-wide PolicyMode may exist (also " + clusterMode.ref() + ")");
                }
                clusterMode = m;
            }
        }
    }
}
