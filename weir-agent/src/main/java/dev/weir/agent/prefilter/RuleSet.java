package dev.weir.agent.prefilter;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * The desired prefilter state of one scope: settings and rules, ordered by id. Immutable; changes return
 * a new set, so a failed change leaves the old one untouched.
 */
public record RuleSet(PrefilterSettings settings, List<PrefilterRule> rules) {

    public static final RuleSet EMPTY = new RuleSet(PrefilterSettings.DEFAULT, List.of());

    public RuleSet {
        rules = rules.stream().sorted(Comparator.comparingInt(PrefilterRule::id)).toList();
    }

    /**
     * Adds rules, giving each the lowest free id. A rule that matches exactly like an existing one is
     * an error naming it.
     */
    public RuleSet add(Collection<PrefilterRule> added) {
        Map<PrefilterRule, Integer> byMatch = new HashMap<>();
        BitSet used = new BitSet();
        used.set(0);
        for (PrefilterRule r : rules) {
            byMatch.put(r.withId(0), r.id());
            used.set(r.id());
        }
        List<PrefilterRule> out = new ArrayList<>(rules);
        for (PrefilterRule r : added) {
            Integer existing = byMatch.get(r.withId(0));
            if (existing != null) {
                throw new IllegalArgumentException("rule '" + r.describe() + "' already exists as rule " + existing);
            }
            int id = used.nextClearBit(1);
            used.set(id);
            byMatch.put(r.withId(0), id);
            out.add(r.withId(id));
        }
        return new RuleSet(settings, out);
    }

    /** Removes rules by id; an unknown id is an error and nothing is removed. */
    public RuleSet removeIds(Collection<Integer> ids) {
        Set<Integer> present = new HashSet<>();
        rules.forEach(r -> present.add(r.id()));
        for (int id : ids) {
            if (!present.contains(id)) {
                throw new IllegalArgumentException("no prefilter rule with id " + id);
            }
        }
        Set<Integer> gone = new HashSet<>(ids);
        return new RuleSet(settings, rules.stream().filter(r -> !gone.contains(r.id())).toList());
    }

    /** Removes the rules matching like the given ones; one that matches no rule is an error. */
    public RuleSet removeMatching(Collection<PrefilterRule> removed) {
        Map<PrefilterRule, Integer> byMatch = new HashMap<>();
        rules.forEach(r -> byMatch.put(r.withId(0), r.id()));
        List<Integer> ids = new ArrayList<>();
        for (PrefilterRule r : removed) {
            Integer hit = byMatch.get(r.withId(0));
            if (hit == null) {
                throw new IllegalArgumentException("no prefilter rule '" + r.describe() + "'");
            }
            ids.add(hit);
        }
        return removeIds(ids);
    }

    /**
     * The rule set holding exactly {@code wanted} (ids ignored, duplicates once) with settings {@code s}: a rule
     * already here keeps its id (and so its hit counter), the others take the lowest free ids.
     */
    public RuleSet replace(PrefilterSettings s, Collection<PrefilterRule> wanted) {
        Map<PrefilterRule, Integer> have = new HashMap<>();
        rules.forEach(r -> have.put(r.withId(0), r.id()));
        java.util.LinkedHashSet<PrefilterRule> want = new java.util.LinkedHashSet<>();
        wanted.forEach(r -> want.add(r.withId(0)));
        List<Integer> gone = new ArrayList<>();
        have.forEach((r, id) -> {
            if (!want.contains(r)) {
                gone.add(id);
            }
        });
        List<PrefilterRule> added = want.stream().filter(r -> !have.containsKey(r)).toList();
        return removeIds(gone).add(added).withSettings(s);
    }

    public RuleSet withSettings(PrefilterSettings s) {
        return new RuleSet(s, rules);
    }
}
