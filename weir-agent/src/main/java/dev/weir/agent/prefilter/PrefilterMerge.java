package dev.weir.agent.prefilter;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Function;

import dev.weir.agent.policy.LabelSelector;
import dev.weir.agent.yaml.ValidationException;

/**
 * Merges the {@link WeirPrefilter} objects that select a node into what the node enforces: the union of
 * their interfaces and rules (a rule several objects give is one rule; deny beats allow in the datapath, as
 * always), and their settings — which must agree: one node has one prefilter, so one mode, one rate limit,
 * one sampling rate, one XDP mode and the redirect stage on or off. An object that leaves a setting out takes no part in it. Stateless.
 */
public final class PrefilterMerge {

    /** The name checked for objects that select nodes no selector names ({@link #check}). */
    static final String ANY_OTHER_NODE = "*";

    private PrefilterMerge() {
    }

    /**
     * What the objects ask of {@code node}. Objects are taken in the given order: when two disagree on a
     * setting, the error names the later one.
     *
     * @throws ValidationException naming the later object, the field, and the object it conflicts with
     */
    public static NodePrefilterSpec forNode(String node, Collection<WeirPrefilter> objects) {
        List<WeirPrefilter> selecting = objects.stream().filter(o -> o.selects(node)).toList();
        if (selecting.isEmpty()) {
            return NodePrefilterSpec.NONE;
        }
        Setting<String> xdp = new Setting<>("spec.xdpMode", "XDP mode");
        Setting<PrefilterSettings.Mode> mode = new Setting<>("spec.mode", "mode");
        Setting<List<Long>> rate = new Setting<>("spec.rateLimit", "rate limit (rateLimit, burst)");
        Setting<Long> sample = new Setting<>("spec.sampleEvery", "sampleEvery");
        Setting<Boolean> dryRun = new Setting<>("spec.dryRun", "dryRun");
        Setting<Boolean> redirect = new Setting<>("spec.redirect", "redirect");
        Map<String, TreeSet<String>> interfaces = new java.util.TreeMap<>();
        Map<PrefilterRule, TreeSet<String>> origins = new LinkedHashMap<>();
        TreeSet<Integer> synProxy = new TreeSet<>();
        for (WeirPrefilter o : selecting) {
            synProxy.addAll(o.synProxy());
            xdp.offer(o, o.xdpMode(), node);
            mode.offer(o, o.mode(), node);
            rate.offer(o, o.rateLimit() == null ? null : List.of(o.rateLimit(), o.burst() == null ? o.rateLimit() : o.burst()), node);
            sample.offer(o, o.sampleEvery(), node);
            dryRun.offer(o, o.dryRun(), node);
            redirect.offer(o, o.redirect(), node);
            o.interfaces().forEach(i -> interfaces.computeIfAbsent(i, k -> new TreeSet<>()).add(o.name()));
            o.rules().forEach(r -> origins.computeIfAbsent(r, k -> new TreeSet<>()).add(o.name()));
        }
        List<Long> r = rate.value == null ? List.of(0L, 0L) : rate.value;
        PrefilterSettings settings = new PrefilterSettings(
                mode.value == null ? PrefilterSettings.Mode.DENYLIST : mode.value, r.get(0), r.get(1),
                sample.value == null ? PrefilterSettings.DEFAULT.sampleEvery() : sample.value,
                Boolean.TRUE.equals(dryRun.value), List.copyOf(synProxy), Boolean.TRUE.equals(redirect.value));
        Map<PrefilterRule, List<String>> from = new LinkedHashMap<>();
        origins.forEach((rule, names) -> from.put(rule, List.copyOf(names)));
        Map<String, List<String>> by = new LinkedHashMap<>();
        interfaces.forEach((i, names) -> by.put(i, List.copyOf(names)));
        return new NodePrefilterSpec(selecting.stream().map(WeirPrefilter::name).sorted().toList(),
                List.copyOf(interfaces.keySet()), xdp.value == null ? "auto" : xdp.value, settings,
                List.copyOf(origins.keySet()), from, by);
    }

    /**
     * Checks, before a commit, every node the objects could meet on: {@code nodes} (the cluster's), the nodes
     * their selectors name, and any other node (an object without a selector meets every other). On each, the
     * selecting objects must agree ({@link #forNode}) and their rules must fit the prefilter's maps (64 rule
     * shapes, {@link Capacity#DEFAULT}). Objects come in the given order: put the unchanged ones first, so that
     * an error names the object being applied.
     *
     * @throws ValidationException naming the object, the field and the node
     */
    public static void check(Collection<String> nodes, List<WeirPrefilter> objects) {
        RuleCompiler compiler = new RuleCompiler(Capacity.DEFAULT);
        for (String node : candidates(nodes, objects)) {
            NodePrefilterSpec spec = forNode(node, objects);
            if (!spec.selected()) {
                continue;
            }
            List<PrefilterRule> numbered = new ArrayList<>();
            for (PrefilterRule r : spec.rules()) {
                numbered.add(r.withId(numbered.size() + 1));
            }
            try {
                compiler.compile(new RuleSet(spec.settings(), numbered));
            } catch (IllegalArgumentException e) {
                WeirPrefilter last = objects.stream().filter(o -> o.selects(node)).reduce((a, b) -> b).orElseThrow();
                throw new ValidationException(last.source(), last.ref(), "spec.rules", "the prefilter of "
                        + describeNode(node) + " (" + String.join(", ", spec.objects()) + ") would not fit: " + e.getMessage());
            }
        }
    }

    /** The nodes objects could meet on: the cluster's, those their selectors name, and any other ({@link #ANY_OTHER_NODE}). */
    static TreeSet<String> candidates(Collection<String> nodes, List<WeirPrefilter> objects) {
        TreeSet<String> candidates = new TreeSet<>(nodes);
        objects.forEach(o -> candidates.addAll(named(o.nodeSelector())));
        candidates.add(ANY_OTHER_NODE);
        return candidates;
    }

    /** {@code node node2}, or the wording for a node no selector names. */
    static String describeNode(String node) {
        return node.equals(ANY_OTHER_NODE) ? "any node no selector names" : "node " + node;
    }

    /** Node names a selector mentions for the hostname label (matchLabels, In and NotIn values). */
    private static List<String> named(LabelSelector s) {
        List<String> out = new ArrayList<>();
        if (s == null) {
            return out;
        }
        String v = s.matchLabels().get(WeirPrefilter.HOSTNAME_LABEL);
        if (v != null) {
            out.add(v);
        }
        s.matchExpressions().stream().filter(r -> r.key().equals(WeirPrefilter.HOSTNAME_LABEL))
                .forEach(r -> out.addAll(r.values()));
        return out;
    }

    /** One node-wide setting: the first object that gives it sets it; a later one must give the same. */
    private static final class Setting<T> {
        private final String field;
        private final String what;
        private T value;
        private WeirPrefilter owner;

        Setting(String field, String what) {
            this.field = field;
            this.what = what;
        }

        void offer(WeirPrefilter o, T v, String node) {
            if (v == null) {
                return;
            }
            if (owner == null) {
                value = v;
                owner = o;
                return;
            }
            if (!Objects.equals(value, v)) {
                throw new ValidationException(o.source(), o.ref(), field, what + " " + show(v) + " conflicts with "
                        + show(value) + " of " + owner.describe() + ": both select " + describeNode(node)
                        + ", whose prefilter has one " + what + "; set it in one of them, or the same in both");
            }
        }

        private static String show(Object v) {
            if (v instanceof List<?> l) {
                return l.get(0) + " pps (burst " + l.get(1) + ")";
            }
            return v instanceof Enum<?> e ? e.name().toLowerCase(java.util.Locale.ROOT) : String.valueOf(v);
        }
    }

    /** The objects in the order {@link #check} wants: unchanged first, by name, then the rest, by name. */
    public static <T> List<WeirPrefilter> unchangedFirst(Collection<T> objects, Function<T, WeirPrefilter> parse,
                                                         java.util.function.Predicate<T> unchanged) {
        List<WeirPrefilter> first = new ArrayList<>();
        List<WeirPrefilter> then = new ArrayList<>();
        for (T o : objects) {
            (unchanged.test(o) ? first : then).add(parse.apply(o));
        }
        java.util.Comparator<WeirPrefilter> byName = java.util.Comparator.comparing(WeirPrefilter::name);
        first.sort(byName);
        then.sort(byName);
        first.addAll(then);
        return first;
    }
}
