package dev.weir.agent.policy;

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
 * files) into validated, defaulted {@link PolicyObject}s. All-or-nothing: every document is parsed and
 * checked before anything is returned, and the first problem is thrown as a
 * {@link ValidationException}. Stateless and thread-safe.
 */
public final class PolicyParser {

    /** The kinds this parser reads (what {@code weir status} counts as policies). */
    public static final java.util.Set<String> KINDS = java.util.Set.of("NetworkPolicy", "WeirNetworkPolicy",
            "WeirClusterNetworkPolicy", "PolicyMode");

    /** Parses a file or every YAML file below a directory (in path order). */
    public List<PolicyObject> parse(Path fileOrDir) {
        List<Path> files = YamlDocuments.files(fileOrDir);
        List<PolicyObject> out = new ArrayList<>();
        for (Path f : files) {
            out.addAll(parseDocuments(YamlDocuments.text(f), f.toString()));
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

    /** Parses one document already read into a tree (the first of its source, for messages). */
    public PolicyObject parse(JsonNode document, String source) {
        return parseDocument(document, source, 1);
    }

    private List<PolicyObject> parseDocuments(String yaml, String source) {
        return YamlDocuments.read(yaml, source, this::parseDocument);
    }

    private PolicyObject parseDocument(JsonNode node, String source, int index) {
        YamlNode.Doc doc = new YamlNode.Doc(source, "document " + index);
        YamlNode root = new YamlNode(node, "", doc);
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
                throw new ValidationException(o.source(), o.ref(), "metadata.name",
                        "duplicate object in one apply (also in " + prev.source() + ")");
            }
            if (o instanceof PolicyMode m && m.scope() == PolicyMode.Scope.CLUSTER) {
                if (clusterMode != null) {
                    throw new ValidationException(o.source(), o.ref(), "metadata.namespace",
                            "only one cluster-wide PolicyMode may exist (also " + clusterMode.ref() + ")");
                }
                clusterMode = m;
            }
        }
    }
}
