package dev.weir.agent.runtime;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.cluster.Namespace;
import dev.weir.agent.store.ObjectKey;
import dev.weir.agent.store.StoredObject;

/**
 * Stands in for the policy engine in tests of the agent without it: it checks each document's envelope
 * (apiVersion, kind, metadata.name and namespace, a spec object) but not the spec, allocates every
 * endpoint's identity through the store (labels as in docs/policy-datapath.md), lists the stored policies
 * as rules, and computes <em>no</em> entries: every endpoint stays unenforced. Its result is the
 * {@link StateView} itself. Stateless.
 */
public final class PlaceholderStateCompiler implements StateCompiler<StateView> {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> KINDS = Map.of(
            "NetworkPolicy", "networking.k8s.io/v1",
            "WeirNetworkPolicy", "weir.dev/v1",
            "WeirClusterNetworkPolicy", "weir.dev/v1",
            "PolicyMode", "weir.dev/v1");
    private static final Set<String> CLUSTER_SCOPED = Set.of("WeirClusterNetworkPolicy");

    @Override
    public List<ParsedObject> parse(String source, String text) {
        List<ParsedObject> out = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(text)) {
            int index = 0;
            while (docs.hasNextValue()) {
                JsonNode doc = docs.nextValue();
                index++;
                if (doc == null || doc.isNull() || doc.isMissingNode()) {
                    continue;
                }
                out.add(parseOne(source, index, doc));
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof PolicyInputException p) {
                throw p;
            }
            throw new PolicyInputException(source, "", "", "not valid YAML: " + firstLine(e.getMessage()));
        }
        return out;
    }

    private static ParsedObject parseOne(String source, int index, JsonNode doc) throws JsonProcessingException {
        String where = "document " + index;
        if (!doc.isObject()) {
            throw new PolicyInputException(source, where, "", "expected an object");
        }
        String kind = doc.path("kind").asText("");
        if (kind.isEmpty()) {
            throw new PolicyInputException(source, where, "kind", "missing");
        }
        String expected = KINDS.get(kind);
        if (expected == null) {
            throw new PolicyInputException(source, where, "kind", "unknown kind '" + kind + "' (expected one of "
                    + new TreeMap<>(KINDS).keySet() + ")");
        }
        String name = doc.path("metadata").path("name").asText("");
        String object = kind + " " + (name.isEmpty() ? "(unnamed)" : name);
        if (!expected.equals(doc.path("apiVersion").asText(""))) {
            throw new PolicyInputException(source, object, "apiVersion", "expected " + expected + " for " + kind
                    + ", not '" + doc.path("apiVersion").asText("") + "'");
        }
        if (name.isEmpty()) {
            throw new PolicyInputException(source, object, "metadata.name", "missing or empty");
        }
        String namespace = CLUSTER_SCOPED.contains(kind) || (kind.equals("PolicyMode") && !doc.path("metadata").has("namespace"))
                ? "" : doc.path("metadata").path("namespace").asText("default");
        ObjectKey key = new ObjectKey(kind, namespace, name);
        if (!doc.path("spec").isObject()) {
            throw new PolicyInputException(source, key.toString(), "spec", "missing or not an object");
        }
        return new ParsedObject(key, JSON.writeValueAsString(doc));
    }

    @Override
    public StateView compile(Input input) {
        Map<String, Namespace> namespaces = new HashMap<>();
        input.cluster().namespaces().forEach(n -> namespaces.put(n.name(), n));
        List<StateView.Identity> identities = new ArrayList<>(List.of(
                new StateView.Identity(1, "RESERVED", Map.of("reserved:host", "")),
                new StateView.Identity(2, "RESERVED", Map.of("reserved:world", "")),
                new StateView.Identity(6, "RESERVED", Map.of("reserved:remote-node", ""))));
        Map<Integer, StateView.EndpointPolicy> endpoints = new TreeMap<>();
        Map<Integer, Map<String, String>> seen = new TreeMap<>();
        for (Endpoint e : input.cluster().endpoints()) {
            Map<String, String> labels = identityLabels(e, namespaces.get(e.namespace()));
            int id = input.identities().allocate(labels);
            seen.put(id, labels);
            endpoints.put(e.id(), new StateView.EndpointPolicy(id, false, false, false, false, List.of()));
        }
        seen.forEach((id, labels) -> identities.add(new StateView.Identity(id, "ENDPOINT", labels)));
        List<StateView.Rule> rules = new ArrayList<>();
        for (StoredObject o : input.objects()) {
            rules.add(new StateView.Rule(rules.size() + 1, o.key().kind(), o.key().namespace(), o.key().name(), ""));
        }
        List<String> warnings = input.objects().isEmpty() ? List.of()
                : List.of("policy engine not installed: " + input.objects().size() + " stored policies are not enforced");
        return new StateView(identities, endpoints, rules, warnings);
    }

    @Override
    public StateView view(StateView result) {
        return result;
    }

    /** An endpoint's identity labels: {@code k8s:} pod labels, namespace labels and the namespace name. */
    public static Map<String, String> identityLabels(Endpoint e, Namespace ns) {
        Map<String, String> labels = new TreeMap<>();
        e.labels().forEach((k, v) -> labels.put("k8s:" + k, v));
        if (ns != null) {
            ns.labels().forEach((k, v) -> labels.put("k8s:io.kubernetes.pod.namespace.labels." + k, v));
        }
        labels.put("k8s:io.kubernetes.pod.namespace", e.namespace());
        return labels;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
