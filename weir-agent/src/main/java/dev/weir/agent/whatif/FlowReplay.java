package dev.weir.agent.whatif;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.weir.agent.flow.FlowPeer;
import dev.weir.agent.flow.FlowRecord;
import dev.weir.agent.flow.HubbleJson;
import dev.weir.agent.flow.Verdict;
import dev.weir.agent.policy.Decision;
import dev.weir.agent.policy.Party;
import dev.weir.agent.policy.PolicyEngine;
import dev.weir.agent.policy.PolicyResult;
import dev.weir.agent.policy.RuleRef;
import dev.weir.datapath.DropReason;

/**
 * Replays recorded flows under two policy results, the policies in force and a draft, with the policy
 * engine's own evaluator ({@link PolicyEngine#decide}, the datapath's lookups): each policy verdict of a new
 * connection is judged again at the hook that recorded it (the source's egress, the destination's ingress),
 * by addresses, protocol and destination port, under both results; the flows whose verdict differs are
 * grouped ({@link WhatIfReport}). Replies, traces, socket translations and drops for other reasons than
 * policy are counted and skipped. Stateless.
 */
public final class FlowReplay {

    private static final PolicyEngine ENGINE = new PolicyEngine();

    private FlowReplay() {
    }

    /** What the flows would become going from {@code before} to {@code after} (both over the same cluster). */
    public static WhatIfReport replay(PolicyResult before, PolicyResult after, List<FlowRecord> flows) {
        Tally t = new Tally();
        for (FlowRecord f : flows) {
            t.flows++;
            Skip skip = skipReason(f);
            if (skip != null) {
                t.skip(skip);
                continue;
            }
            Decision.Hook was = hook(before, f);
            Decision.Hook will = hook(after, f);
            if (was == null || will == null) {
                t.skip(Skip.UNKNOWN_ENDPOINT);
                continue;
            }
            t.evaluated++;
            if (!verdict(was).equals(f.verdict().name())) {
                t.recordedDiffers++;
            }
            WhatIfReport.Change change = change(verdict(was), verdict(will));
            if (change == null) {
                t.unchanged++;
            } else {
                t.add(f, change, side(before, was), side(after, will));
            }
        }
        List<String> warnings = after.warnings().stream().filter(w -> !before.warnings().contains(w)).toList();
        return new WhatIfReport(t.summary(), t.groups.values().stream().sorted(WhatIfReport.ORDER).toList(), warnings);
    }

    /** Why a flow is not replayed ({@link WhatIfReport.Skipped}). */
    enum Skip { REPLY, NOT_POLICY_VERDICT, NON_POLICY_DROP, UNKNOWN_ENDPOINT }

    /** Why a recorded flow is not a policy verdict of a new connection, or null when it is one. */
    static Skip skipReason(FlowRecord f) {
        if (f.dns() != null) {
            return Skip.NOT_POLICY_VERDICT; // an L7 DNS message, seen with its packet's verdict
        }
        if (f.isReply()) {
            return Skip.REPLY;
        }
        return switch (f.verdict()) {
            case FORWARDED, AUDIT -> null;
            case DROPPED -> f.dropReason() == DropReason.DROP_POLICY.code()
                    || f.dropReason() == DropReason.DROP_POLICY_DENY.code() ? null : Skip.NON_POLICY_DROP;
            default -> Skip.NOT_POLICY_VERDICT;
        };
    }

    /**
     * The verdict of the hook that recorded the flow, under {@code r}; null when its endpoint is not in the
     * result's cluster (or has no address of the flow's family).
     */
    static Decision.Hook hook(PolicyResult r, FlowRecord f) {
        Decision d;
        try {
            d = ENGINE.decide(r, Party.ip(f.sourceIp()), Party.ip(f.destinationIp()), f.protocolNumber(), port(f),
                    f.ipVersion());
        } catch (IllegalArgumentException e) {
            return null;
        }
        Decision.Hook h = ingress(f) ? d.ingress() : d.egress();
        return h.reason() == Decision.Reason.NO_ENDPOINT ? null : h;
    }

    private static boolean ingress(FlowRecord f) {
        return f.trafficDirection().equals("INGRESS");
    }

    /** The lookup's port: TCP/UDP/SCTP destination port; 0 otherwise (an ICMP echo request's). */
    private static int port(FlowRecord f) {
        return f.hasPorts() ? f.destinationPort() : 0;
    }

    /** Hubble's verdict name for a hook's verdict. */
    static String verdict(Decision.Hook h) {
        return switch (h.verdict()) {
            case ALLOWED -> Verdict.FORWARDED.name();
            case DENIED -> Verdict.DROPPED.name();
            case AUDIT -> Verdict.AUDIT.name();
        };
    }

    /** The change from one verdict to another, null when equal; AUDIT passes. */
    static WhatIfReport.Change change(String from, String to) {
        if (from.equals(to)) {
            return null;
        }
        boolean passed = !from.equals(Verdict.DROPPED.name());
        boolean passes = !to.equals(Verdict.DROPPED.name());
        if (passed == passes) {
            return WhatIfReport.Change.AUDIT_ONLY;
        }
        return passed ? WhatIfReport.Change.ALLOWED_TO_DROPPED : WhatIfReport.Change.DROPPED_TO_ALLOWED;
    }

    private static WhatIfReport.Side side(PolicyResult r, Decision.Hook h) {
        RuleRef rule = r.rule(h.rule());
        WhatIfReport.PolicyName policy = rule == null ? null : new WhatIfReport.PolicyName(rule.kind(),
                rule.namespace() == null ? "" : rule.namespace(), rule.name(), rule.path() == null ? "" : rule.path());
        return new WhatIfReport.Side(verdict(h), h.reason().name(), policy);
    }

    /** {@code ns/pod}, else the identity's labels, else the address. */
    static String name(FlowPeer p, String ip) {
        if (p.podKey() != null) {
            return p.podKey();
        }
        return p.labels().isEmpty() ? ip : String.join(",", p.labels());
    }

    /** Counts and groups, filled flow by flow. */
    private static final class Tally {
        long flows;
        long evaluated;
        long unchanged;
        long recordedDiffers;
        final Map<Skip, Long> skipped = new EnumMap<>(Skip.class);
        final Map<WhatIfReport.Change, Long> changes = new LinkedHashMap<>();
        final Map<WhatIfReport.Group.Key, WhatIfReport.Group> groups = new LinkedHashMap<>();

        void skip(Skip why) {
            skipped.merge(why, 1L, Long::sum);
        }

        void add(FlowRecord f, WhatIfReport.Change change, WhatIfReport.Side before, WhatIfReport.Side after) {
            changes.merge(change, 1L, Long::sum);
            boolean in = ingress(f);
            String endpoint = in ? name(f.destination(), f.destinationIp()) : name(f.source(), f.sourceIp());
            String peer = in ? name(f.source(), f.sourceIp()) : name(f.destination(), f.destinationIp());
            WhatIfReport.Group g = new WhatIfReport.Group(change, f.trafficDirection(), endpoint, peer, after, 1,
                    new WhatIfReport.Example(before, HubbleJson.render(f)));
            groups.merge(g.key(), g, WhatIfReport.Group::plus);
        }

        WhatIfReport.Summary summary() {
            return new WhatIfReport.Summary(flows, evaluated, unchanged, count(WhatIfReport.Change.ALLOWED_TO_DROPPED),
                    count(WhatIfReport.Change.DROPPED_TO_ALLOWED), count(WhatIfReport.Change.AUDIT_ONLY), recordedDiffers,
                    new WhatIfReport.Skipped(skipped(Skip.REPLY), skipped(Skip.NOT_POLICY_VERDICT),
                            skipped(Skip.NON_POLICY_DROP), skipped(Skip.UNKNOWN_ENDPOINT)));
        }

        private long skipped(Skip s) {
            return skipped.getOrDefault(s, 0L);
        }

        private long count(WhatIfReport.Change c) {
            return changes.getOrDefault(c, 0L);
        }
    }
}
