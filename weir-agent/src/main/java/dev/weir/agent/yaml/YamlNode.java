package dev.weir.agent.yaml;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A YAML node with its field path and the document it belongs to, for strict reading (the policy and
 * service parsers): every accessor checks the type and every error is a {@link ValidationException}
 * naming file, object and path. Immutable, apart from {@link Doc#object}, which a parser sets once the
 * object's name is known.
 */
public record YamlNode(JsonNode node, String path, Doc doc) {

    /** The file and object a node belongs to. */
    public static final class Doc {
        public final String file;
        public String object;

        public Doc(String file, String object) {
            this.file = file;
            this.object = object;
        }
    }

    public ValidationException error(String problem) {
        return new ValidationException(doc.file, doc.object, path, problem);
    }

    public boolean isNull() {
        return node == null || node.isNull() || node.isMissingNode();
    }

    public YamlNode get(String field) {
        return new YamlNode(node == null ? null : node.get(field), path.isEmpty() ? field : path + "." + field, doc);
    }

    public boolean has(String field) {
        return !get(field).isNull();
    }

    /** This node as a mapping whose keys are all among {@code allowed}. */
    public YamlNode object(Set<String> allowed) {
        if (isNull() || !node.isObject()) {
            throw error("expected a mapping, found " + describe());
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw get(f).error("unknown field (expected one of " + new TreeSet<>(allowed) + ")");
            }
        }
        return this;
    }

    /** Like {@link #object} but absent is fine (returns false). */
    public boolean optionalObject(Set<String> allowed) {
        if (isNull()) {
            return false;
        }
        object(allowed);
        return true;
    }

    /** The elements of a sequence; an absent or null node is the empty list. */
    public List<YamlNode> list() {
        if (isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw error("expected a list, found " + describe());
        }
        List<YamlNode> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            out.add(new YamlNode(node.get(i), path + "[" + i + "]", doc));
        }
        return out;
    }

    public String text() {
        if (isNull() || !node.isTextual()) {
            throw error("expected a string, found " + describe() + (isNull() || node.isContainerNode() ? "" : " (quote it)"));
        }
        return node.asText();
    }

    public String textOr(String dflt) {
        return isNull() ? dflt : text();
    }

    public boolean bool(boolean dflt) {
        if (isNull()) {
            return dflt;
        }
        if (!node.isBoolean()) {
            throw error("expected true or false, found " + describe());
        }
        return node.asBoolean();
    }

    /** A tri-state boolean: null when absent. */
    public Boolean boolOrNull() {
        return isNull() ? null : bool(false);
    }

    /** An integer in {@code min..max}. */
    public int integer(int min, int max) {
        if (isNull() || !node.isIntegralNumber() || !node.canConvertToInt()) {
            throw error("expected an integer, found " + describe());
        }
        int v = node.asInt();
        if (v < min || v > max) {
            throw error(v + " out of range " + min + ".." + max);
        }
        return v;
    }

    /** A string-to-string mapping (annotations); values must be strings. */
    public Map<String, String> stringMap() {
        return stringMap("values");
    }

    /** A label mapping: {@link #stringMap} whose error says label values. */
    public Map<String, String> labels() {
        return stringMap("label values");
    }

    private Map<String, String> stringMap(String what) {
        Map<String, String> out = new LinkedHashMap<>();
        if (isNull()) {
            return out;
        }
        if (!node.isObject()) {
            throw error("expected a mapping of strings, found " + describe());
        }
        for (var it = node.fields(); it.hasNext(); ) {
            var e = it.next();
            YamlNode v = get(e.getKey());
            if (!e.getValue().isTextual()) {
                throw v.error(what + " must be strings, found " + v.describe() + " (quote it)");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    public String describe() {
        if (isNull()) {
            return "nothing";
        }
        if (node.isObject()) {
            return "a mapping";
        }
        if (node.isArray()) {
            return "a list";
        }
        return (node.isTextual() ? "string " : "") + "'" + node.asText() + "'";
    }
}
