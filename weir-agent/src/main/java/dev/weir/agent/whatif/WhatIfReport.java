package dev.weir.agent.whatif;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What replaying recorded flows under a draft found (docs/agent.md, "What-if"): counts, and the flows whose
 * verdict would change grouped by change, hook, endpoint, peer and the policy that would decide them, each
 * group with its count and its oldest flow as an example. Its JSON form (Jackson, field names as below) is the
 * stable output of {@code weir policy whatif -o json}. Immutable.
 *
 * @param warnings what the engine could not compile exactly in the draft (and does not say of the store now)
 */
public record WhatIfReport(Summary summary, List<Group> groups, List<String> warnings) {

    public WhatIfReport {
        groups = List.copyOf(groups);
        warnings = List.copyOf(warnings);
    }

    /** How a flow's verdict would change; AUDIT counts as passing (the traffic flows, the drop is only logged). */
    public enum Change {
        /** FORWARDED or AUDIT now, DROPPED under the draft. */
        ALLOWED_TO_DROPPED,
        /** DROPPED now, FORWARDED or AUDIT under the draft. */
        DROPPED_TO_ALLOWED,
        /** FORWARDED to AUDIT or back: the traffic still passes, only the audit record changes. */
        AUDIT_ONLY
    }

    /**
     * @param flows           flows of the history looked at (the window {@code --since} asks)
     * @param evaluated       policy verdicts replayed
     * @param unchanged       of those, the ones whose verdict stays
     * @param recordedDiffers replayed flows whose recorded verdict is not what the stored policies decide now
     *                        (recorded under other policies); they are compared with what the policies decide now
     */
    public record Summary(long flows, long evaluated, long unchanged, long allowedToDropped, long droppedToAllowed,
                          long auditOnly, long recordedDiffers, Skipped skipped) {

        public static final Summary EMPTY = new Summary(0, 0, 0, 0, 0, 0, 0, Skipped.NONE);

        Summary plus(Summary o) {
            return new Summary(flows + o.flows, evaluated + o.evaluated, unchanged + o.unchanged,
                    allowedToDropped + o.allowedToDropped, droppedToAllowed + o.droppedToAllowed, auditOnly + o.auditOnly,
                    recordedDiffers + o.recordedDiffers, skipped.plus(o.skipped));
        }
    }

    /**
     * Flows not replayed, by why.
     *
     * @param replies           reply packets of a tracked connection (policy never judges them)
     * @param notPolicyVerdicts traces and socket translations
     * @param nonPolicyDrops    drops for another reason than policy (conntrack full, no backend, …)
     * @param unknownEndpoints  flows whose endpoint (the pod whose hook judged them) is no longer in the cluster
     */
    public record Skipped(long replies, long notPolicyVerdicts, long nonPolicyDrops, long unknownEndpoints) {

        public static final Skipped NONE = new Skipped(0, 0, 0, 0);

        Skipped plus(Skipped o) {
            return new Skipped(replies + o.replies, notPolicyVerdicts + o.notPolicyVerdicts,
                    nonPolicyDrops + o.nonPolicyDrops, unknownEndpoints + o.unknownEndpoints);
        }
    }

    /**
     * A policy rule as flows name it.
     *
     * @param rule the rule's field path in its object, e.g. {@code spec.ingress[0]}
     */
    public record PolicyName(String kind, String namespace, String name, String rule) {
        @Override
        public String toString() {
            return kind + " " + (namespace == null || namespace.isEmpty() ? "" : namespace + "/") + name
                    + (rule == null || rule.isEmpty() ? "" : " " + rule);
        }
    }

    /**
     * One hook's verdict on a flow.
     *
     * @param verdict FORWARDED, DROPPED or AUDIT (Hubble's names)
     * @param reason  the datapath's reason: PASS_POLICY, PASS_NO_POLICY, PASS_AUDIT, DROP_POLICY, DROP_POLICY_DENY
     * @param policy  the rule that decided, null when none did (default deny, no policy)
     */
    public record Side(String verdict, String reason, PolicyName policy) {
    }

    /**
     * A flow of a group: the recorded flow (Hubble's JSON, as {@code weir observe -o json}) and the verdict the
     * stored policies give it now.
     */
    public record Example(Side before, JsonNode flow) {
    }

    /**
     * Flows whose verdict changes alike.
     *
     * @param direction INGRESS or EGRESS: the hook that judges them
     * @param endpoint  the pod whose hook judges them ({@code ns/pod}): the destination for INGRESS, the source for EGRESS
     * @param peer      the other side: {@code ns/pod}, else its identity's labels, else its address
     * @param after     the verdict under the draft
     * @param count     flows in the group
     * @param example   the oldest of them
     */
    public record Group(Change change, String direction, String endpoint, String peer, Side after, long count,
                        Example example) {

        /** What makes two flows one group. */
        record Key(Change change, String direction, String endpoint, String peer, Side after) {
        }

        Key key() {
            return new Key(change, direction, endpoint, peer, after);
        }

        /** The two groups' flows as one (the older example kept). */
        Group plus(Group o) {
            Example older = time(o.example).compareTo(time(example)) < 0 ? o.example : example;
            return new Group(change, direction, endpoint, peer, after, count + o.count, older);
        }

        private static String time(Example e) {
            return e.flow().path("time").asText();
        }
    }

    /** Order of groups: by change, most flows first, then by endpoint, peer and policy. */
    static final Comparator<Group> ORDER = Comparator.comparing(Group::change)
            .thenComparing(Comparator.comparingLong(Group::count).reversed())
            .thenComparing(Group::endpoint).thenComparing(Group::peer).thenComparing(Group::direction)
            .thenComparing(g -> String.valueOf(g.after().policy()));

    /** Several nodes' reports as one: counts added, equal groups merged, warnings once each. */
    public static WhatIfReport merge(List<WhatIfReport> reports) {
        Summary summary = Summary.EMPTY;
        Map<Group.Key, Group> groups = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        for (WhatIfReport r : reports) {
            summary = summary.plus(r.summary);
            r.groups.forEach(g -> groups.merge(g.key(), g, Group::plus));
            r.warnings.stream().filter(w -> !warnings.contains(w)).forEach(warnings::add);
        }
        return new WhatIfReport(summary, groups.values().stream().sorted(ORDER).toList(), warnings);
    }
}
