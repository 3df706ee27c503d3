package dev.weir.agent.prefilter;

import java.util.List;
import java.util.Map;

/**
 * What the {@link WeirPrefilter} objects that select one node ask of it, merged ({@link PrefilterMerge}): the
 * interfaces to attach to, the XDP mode, the settings and the rules (ids 0: the node's prefilter numbers them),
 * each rule with the objects that ask for it. Immutable; equal when nothing changed.
 *
 * @param objects    names of the selecting objects, sorted; empty: no object selects the node
 * @param interfaces every interface some object names, sorted
 * @param xdpMode    native, generic or auto
 * @param settings   mode, rate limit, sampling
 * @param rules      the union of the objects' rules, in object order, each once
 * @param origins    for each rule (id 0), the objects that give it, sorted
 * @param attachedBy for each interface, the objects that name it, sorted
 */
public record NodePrefilterSpec(List<String> objects, List<String> interfaces, String xdpMode,
                                PrefilterSettings settings, List<PrefilterRule> rules,
                                Map<PrefilterRule, List<String>> origins, Map<String, List<String>> attachedBy) {

    /** No object selects the node: nothing of weir's prefilter belongs there. */
    public static final NodePrefilterSpec NONE = new NodePrefilterSpec(List.of(), List.of(), "auto",
            PrefilterSettings.DEFAULT, List.of(), Map.of(), Map.of());

    public NodePrefilterSpec {
        objects = List.copyOf(objects);
        interfaces = List.copyOf(interfaces);
        rules = List.copyOf(rules);
        origins = Map.copyOf(origins);
        attachedBy = Map.copyOf(attachedBy);
    }

    /** True when some object selects the node. */
    public boolean selected() {
        return !objects.isEmpty();
    }

    /** The objects a rule (of any id) comes from; empty when none. */
    public List<String> originsOf(PrefilterRule rule) {
        return origins.getOrDefault(rule.withId(0), List.of());
    }

    /** One line for logs and status: {@code eth0 (auto), denylist, 3 rules from a, b}. */
    public String summary() {
        if (!selected()) {
            return "none";
        }
        return (interfaces.isEmpty() ? "no interface" : String.join(", ", interfaces) + " (" + xdpMode + ")") + ", "
                + settings.mode().name().toLowerCase(java.util.Locale.ROOT) + ", " + rules.size() + " rule"
                + (rules.size() == 1 ? "" : "s") + " from " + String.join(", ", objects);
    }
}
