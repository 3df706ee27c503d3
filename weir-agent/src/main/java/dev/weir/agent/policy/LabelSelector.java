package dev.weir.agent.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A Kubernetes label selector: every matchLabels pair and every requirement must hold. The empty
 * selector selects everything (an absent selector is represented by {@code null} where the API gives it
 * a different meaning). Immutable.
 */
public record LabelSelector(Map<String, String> matchLabels, List<Requirement> matchExpressions) {

    /** The selector that selects everything ({@code {}}). */
    public static final LabelSelector ALL = new LabelSelector(Map.of(), List.of());

    /** A requirement's operator. */
    public enum Operator { IN, NOT_IN, EXISTS, DOES_NOT_EXIST }

    /** One matchExpressions entry. In/NotIn need values, Exists/DoesNotExist none. */
    public record Requirement(String key, Operator operator, List<String> values) {
        public Requirement {
            values = List.copyOf(values);
        }

        public boolean matches(Map<String, String> labels) {
            String v = labels.get(key);
            return switch (operator) {
                case IN -> v != null && values.contains(v);
                case NOT_IN -> v == null || !values.contains(v);
                case EXISTS -> v != null;
                case DOES_NOT_EXIST -> v == null;
            };
        }
    }

    public LabelSelector {
        matchLabels = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(matchLabels));
        matchExpressions = List.copyOf(matchExpressions);
    }

    public static LabelSelector of(Map<String, String> labels) {
        return new LabelSelector(labels, List.of());
    }

    /**
     * Reads a selector ({@code matchLabels}, {@code matchExpressions}) strictly, as the policy kinds do; null
     * when the node is absent.
     *
     * @throws dev.weir.agent.yaml.ValidationException naming the field
     */
    public static LabelSelector read(dev.weir.agent.yaml.YamlNode node) {
        return CommonReader.selector(node);
    }

    public boolean isEmpty() {
        return matchLabels.isEmpty() && matchExpressions.isEmpty();
    }

    public boolean matches(Map<String, String> labels) {
        for (var e : matchLabels.entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        for (Requirement r : matchExpressions) {
            if (!r.matches(labels)) {
                return false;
            }
        }
        return true;
    }

    /** This selector plus one more requirement. */
    public LabelSelector and(Requirement r) {
        List<Requirement> all = new ArrayList<>(matchExpressions);
        all.add(r);
        return new LabelSelector(matchLabels, all);
    }

    /** True when some requirement or label constrains the key. */
    public boolean mentions(String key) {
        return matchLabels.containsKey(key) || matchExpressions.stream().anyMatch(r -> r.key().equals(key));
    }

    /** {@code {pod=a, ns In [x,y]}}; {@code {}} for the empty selector. */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        matchLabels.forEach((k, v) -> parts.add(k + "=" + v));
        for (Requirement r : matchExpressions) {
            parts.add(r.key() + " " + r.operator() + (r.values().isEmpty() ? "" : " " + r.values()));
        }
        return "{" + String.join(", ", parts) + "}";
    }
}
