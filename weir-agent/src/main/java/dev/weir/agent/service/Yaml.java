package dev.weir.agent.service;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A YAML node with its field path and the document it belongs to, for strict reading: every accessor
 * checks the type and every error names file, object and path. The policy package's {@code YamlField}
 * is package-private there, so this is its twin (plus integers). Immutable; {@link Doc} carries the
 * object's name once known.
 */
record Yaml(JsonNode node, String path, Doc doc) {

    /** The file and object a node belongs to. */
    static final class Doc {
        final String file;
        String object;

        Doc(String file, String object) {
            this.file = file;
            this.object = object;
        }
    }

    ServiceValidationException error(String problem) {
        return new ServiceValidationException(doc.file, doc.object, path, problem);
    }

    boolean isNull() {
        return node == null || node.isNull() || node.isMissingNode();
    }

    Yaml get(String field) {
        return new Yaml(node == null ? null : node.get(field), path.isEmpty() ? field : path + "." + field, doc);
    }

    boolean has(String field) {
        return !get(field).isNull();
    }

    /** This node as a mapping whose keys are all among {@code allowed}. */
    Yaml object(Set<String> allowed) {
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
    boolean optionalObject(Set<String> allowed) {
        if (isNull()) {
            return false;
        }
        object(allowed);
        return true;
    }

    /** The elements of a sequence; an absent or null node is the empty list. */
    List<Yaml> list() {
        if (isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw error("expected a list, found " + describe());
        }
        List<Yaml> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            out.add(new Yaml(node.get(i), path + "[" + i + "]", doc));
        }
        return out;
    }

    String text() {
        if (isNull() || !node.isTextual()) {
            throw error("expected a string, found " + describe() + (isNull() || node.isContainerNode() ? "" : " (quote it)"));
        }
        return node.asText();
    }

    String textOr(String dflt) {
        return isNull() ? dflt : text();
    }

    boolean bool(boolean dflt) {
        if (isNull()) {
            return dflt;
        }
        if (!node.isBoolean()) {
            throw error("expected true or false, found " + describe());
        }
        return node.asBoolean();
    }

    /** A tri-state boolean: null when absent. */
    Boolean boolOrNull() {
        return isNull() ? null : bool(false);
    }

    /** An integer in {@code min..max}. */
    int integer(int min, int max) {
        if (isNull() || !node.isIntegralNumber() || !node.canConvertToInt()) {
            throw error("expected an integer, found " + describe());
        }
        int v = node.asInt();
        if (v < min || v > max) {
            throw error(v + " out of range " + min + ".." + max);
        }
        return v;
    }

    /** A string-to-string mapping (labels, annotations); values must be strings. */
    Map<String, String> stringMap() {
        Map<String, String> out = new LinkedHashMap<>();
        if (isNull()) {
            return out;
        }
        if (!node.isObject()) {
            throw error("expected a mapping of strings, found " + describe());
        }
        for (var it = node.fields(); it.hasNext(); ) {
            var e = it.next();
            Yaml v = get(e.getKey());
            if (!e.getValue().isTextual()) {
                throw v.error("values must be strings, found " + v.describe() + " (quote it)");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    String describe() {
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
