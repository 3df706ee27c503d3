package dev.weir.agent.prefilter;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.weir.agent.policy.LabelSelector;

/**
 * What {@code weir prefilter attach|detach|add|del|set} do on a node with an agent: they edit one object, the
 * {@link WeirPrefilter} {@code imperative-<node>} that selects that node alone, as if the user had applied it.
 * Each edit takes the object as stored (null when there is none) and returns it changed, or throws
 * {@link IllegalArgumentException} saying why not (nothing is stored then). Stateless.
 */
public final class ImperativePrefilter {

    /** The source recorded with the object (shown where a file name would be). */
    public static final String SOURCE = "weir prefilter";

    private ImperativePrefilter() {
    }

    /** {@code imperative-<node>}. */
    public static String name(String node) {
        return "imperative-" + node;
    }

    /** The object for a node before any edit: selects the node by its hostname label, asks nothing. */
    public static WeirPrefilter empty(String node) {
        return new WeirPrefilter(name(node), SOURCE, LabelSelector.of(WeirPrefilter.labelsOf(node)), List.of(), null,
                null, null, null, null, List.of());
    }

    /** Adds rules (ids ignored); one the object already has is an error. */
    public static WeirPrefilter add(WeirPrefilter p, List<PrefilterRule> rules) {
        List<PrefilterRule> out = new ArrayList<>(p.rules());
        for (PrefilterRule r : rules) {
            if (out.contains(r.withId(0))) {
                throw new IllegalArgumentException("rule '" + r.describe() + "' already exists in " + p.ref());
            }
            out.add(r.withId(0));
        }
        return p.withRules(out);
    }

    /**
     * Removes rules by what they match; one the object does not have is an error, which names the objects that
     * do give it ({@code spec}: the node's merged prefilter).
     */
    public static WeirPrefilter removeMatching(WeirPrefilter p, List<PrefilterRule> rules, NodePrefilterSpec spec) {
        List<PrefilterRule> out = new ArrayList<>(p.rules());
        for (PrefilterRule r : rules) {
            if (!out.remove(r.withId(0))) {
                throw notHere(p, "rule '" + r.describe() + "'", spec.originsOf(r));
            }
        }
        return p.withRules(out);
    }

    /**
     * Removes rules by the ids the node's prefilter gave them ({@code byId}: the node's rules now).
     */
    public static WeirPrefilter removeIds(WeirPrefilter p, List<Integer> ids, Map<Integer, PrefilterRule> byId,
                                          NodePrefilterSpec spec) {
        List<PrefilterRule> rules = new ArrayList<>();
        for (int id : ids) {
            PrefilterRule r = byId.get(id);
            if (r == null) {
                throw new IllegalArgumentException("no prefilter rule with id " + id);
            }
            if (!p.rules().contains(r.withId(0))) {
                throw notHere(p, "rule " + id + " (" + r.describe() + ")", spec.originsOf(r));
            }
            rules.add(r);
        }
        return removeMatching(p, rules, spec);
    }

    /** Adds interfaces; {@code xdpMode} (null: unchanged) applies to every interface of the object. */
    public static WeirPrefilter attach(WeirPrefilter p, List<String> interfaces, String xdpMode) {
        List<String> out = new ArrayList<>(p.interfaces());
        for (String i : interfaces) {
            if (out.contains(i)) {
                throw new IllegalArgumentException("the prefilter is already attached to " + i + " by " + p.ref()
                        + " (detach first to change the mode)");
            }
            out.add(i);
        }
        return p.withInterfaces(out).withXdpMode(xdpMode == null ? p.xdpMode() : xdpMode);
    }

    /** Removes interfaces; one the object does not name is an error naming the objects that do. */
    public static WeirPrefilter detach(WeirPrefilter p, List<String> interfaces, Map<String, List<String>> attachedBy) {
        List<String> out = new ArrayList<>(p.interfaces());
        for (String i : interfaces) {
            if (!out.remove(i)) {
                throw notHere(p, "interface " + i, attachedBy.getOrDefault(i, List.of()));
            }
        }
        return p.withInterfaces(out);
    }

    /**
     * Changes the settings; null leaves one as it is. A rate without a burst sets the burst to the rate; a burst
     * alone needs a rate limit set by this object.
     */
    public static WeirPrefilter set(WeirPrefilter p, PrefilterSettings.Mode mode, Long rateLimit, Long burst, Long sampleEvery,
                                    Boolean dryRun) {
        return set(p, mode, rateLimit, burst, sampleEvery, dryRun, null);
    }

    /** {@link #set}, and the SYN proxy's ports ({@code synProxy}: the object's list; null leaves it, empty clears it). */
    public static WeirPrefilter set(WeirPrefilter p, PrefilterSettings.Mode mode, Long rateLimit, Long burst, Long sampleEvery,
                                    Boolean dryRun, List<Integer> synProxy) {
        if (synProxy != null) {
            synProxy.forEach(port -> {
                if (port < 1 || port > 65535) {
                    throw new IllegalArgumentException("--syn-proxy: port " + port + " out of range 1..65535");
                }
            });
            p = p.withSynProxy(synProxy);
        }
        Long rate = rateLimit != null ? rateLimit : p.rateLimit();
        Long b = burst != null ? burst : rateLimit != null ? null : p.burst();
        if (burst != null && rate == null) {
            throw new IllegalArgumentException("--burst needs a rate limit: give --rate-limit too");
        }
        return p.withSettings(mode != null ? mode : p.mode(), rate, b, sampleEvery != null ? sampleEvery : p.sampleEvery(),
                dryRun != null ? dryRun : p.dryRun());
    }

    private static IllegalArgumentException notHere(WeirPrefilter p, String what, List<String> from) {
        List<String> others = from.stream().filter(n -> !n.equals(p.name())).toList();
        return new IllegalArgumentException(what + " is not in " + p.ref() + (others.isEmpty() ? ""
                : "; it comes from " + WeirPrefilter.KIND + " " + String.join(", ", others)
                + ": change " + (others.size() == 1 ? "that object" : "those objects") + " (weir apply -f, weir delete -f)"));
    }
}
