package dev.weir.agent.prefilter;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.PortRange;
import dev.weir.agent.net.Protocol;

/**
 * What weir keeps about one prefilter scope between commands: capacity chosen at first attach, the
 * interfaces it is attached to (name to XDP mode actually used), and the rule set. The JSON form is
 * {@link Json}. Immutable.
 */
public record PrefilterState(Capacity capacity, Map<String, String> attachments, RuleSet rules) {

    public static PrefilterState fresh(Capacity capacity) {
        return new PrefilterState(capacity, Map.of(), RuleSet.EMPTY);
    }

    public PrefilterState {
        attachments = Map.copyOf(new TreeMap<>(attachments));
    }

    public PrefilterState withRules(RuleSet r) {
        return new PrefilterState(capacity, attachments, r);
    }

    public PrefilterState withAttachment(String iface, String mode) {
        Map<String, String> a = new TreeMap<>(attachments);
        a.put(iface, mode);
        return new PrefilterState(capacity, a, rules);
    }

    public PrefilterState withoutAttachment(String iface) {
        Map<String, String> a = new TreeMap<>(attachments);
        a.remove(iface);
        return new PrefilterState(capacity, a, rules);
    }

    /** The on-disk form: plain strings and numbers, readable by people and jq (redirect absent: false). */
    public record Json(int maxPrefixes, int maxRules, Map<String, String> attachments, String mode,
                       long ratePps, long rateBurst, long sampleEvery, boolean dryRun, List<RuleJson> rules,
                       List<Integer> synProxy, boolean redirect) {

        public static Json of(PrefilterState s) {
            PrefilterSettings st = s.rules().settings();
            List<RuleJson> rules = new ArrayList<>();
            for (PrefilterRule r : s.rules().rules()) {
                rules.add(RuleJson.of(r));
            }
            return new Json(s.capacity().prefixes(), s.capacity().rules(), s.attachments(),
                    st.mode().name().toLowerCase(), st.ratePps(), st.rateBurst(), st.sampleEvery(), st.dryRun(), rules,
                    st.synProxy(), st.redirect());
        }

        public PrefilterState toState() {
            List<PrefilterRule> rs = new ArrayList<>();
            for (RuleJson r : rules == null ? List.<RuleJson>of() : rules) {
                rs.add(r.toRule());
            }
            PrefilterSettings st = new PrefilterSettings(PrefilterSettings.Mode.valueOf(mode.toUpperCase()),
                    ratePps, rateBurst, sampleEvery, dryRun, synProxy, redirect);
            return new PrefilterState(new Capacity(maxPrefixes, maxRules),
                    attachments == null ? Map.of() : attachments, new RuleSet(st, rs));
        }

    }

    /** One rule on disk (dryRun absent: false, as state written before dry runs existed reads). */
    public record RuleJson(int id, String action, String src, String dst, String proto, String dport, boolean dryRun) {
        /** The JSON form of a rule. */
        public static RuleJson of(PrefilterRule r) {
            return new RuleJson(r.id(), r.action().name().toLowerCase(), r.src() == null ? null : r.src().toString(),
                    r.dst() == null ? null : r.dst().toString(), r.proto() == null ? null : r.proto().lower(),
                    r.dport() == null ? null : r.dport().toString(), r.dryRun());
        }

        /** The rule, validated. */
        public PrefilterRule toRule() {
            return new PrefilterRule(id, PrefilterRule.Action.valueOf(action.toUpperCase()),
                    src == null ? null : Cidr.parse(src), dst == null ? null : Cidr.parse(dst),
                    proto == null ? null : Protocol.parse(proto), dport == null ? null : PortRange.parse(dport), dryRun);
        }
    }
}
