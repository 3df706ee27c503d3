package dev.weir.agent.whatif;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.weir.agent.flow.FlowPeer;
import dev.weir.agent.flow.FlowRecord;
import dev.weir.agent.flow.Verdict;
import dev.weir.agent.identity.InMemoryIdentityAllocator;
import dev.weir.agent.policy.NetpolCluster;
import dev.weir.agent.policy.PolicyEngine;
import dev.weir.agent.policy.PolicyObject;
import dev.weir.agent.policy.PolicyParser;
import dev.weir.agent.policy.PolicyResult;

/** Flows in, changed verdicts out: recorded flows replayed under the policies in force and under a draft. */
class FlowReplayTest {

    private static final String DEFAULT_DENY = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: default-deny, namespace: x}
            spec: {podSelector: {}}
            """;
    private static final String ALLOW_Y = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: allow-web, namespace: x}
            spec:
              podSelector: {}
              ingress:
              - from: [{namespaceSelector: {matchLabels: {ns: y}}}]
                ports: [{protocol: TCP, port: 80}]
            """;
    private static final String ALLOW_Z = ALLOW_Y.replace("ns: y", "ns: z");
    private static final String AUDIT_X = """
            apiVersion: weir.dev/v1
            kind: PolicyMode
            metadata: {name: audit, namespace: x}
            spec: {audit: true}
            """;
    private static final String DENY_Y_B = """
            apiVersion: weir.dev/v1
            kind: WeirNetworkPolicy
            metadata: {name: no-yb, namespace: x}
            spec:
              endpointSelector: {}
              ingressDeny:
              - fromEndpoints: [{matchLabels: {pod: b, k8s:io.kubernetes.pod.namespace: y}}]
            """;

    private final InMemoryIdentityAllocator ids = new InMemoryIdentityAllocator();
    private final PolicyResult now = resolve(DEFAULT_DENY, ALLOW_Y);
    private Instant clock = Instant.parse("2026-06-02T12:00:00Z");

    /** y/b -> x/a TCP/80 allowed at x/a's ingress, z/a -> x/a TCP/80 dropped there, y/b's egress of the first. */
    private final FlowRecord yToA = flow("y/b", "x/a", "TCP", 80, "INGRESS", Verdict.FORWARDED, 9);
    private final FlowRecord zToA = flow("z/a", "x/a", "TCP", 80, "INGRESS", Verdict.DROPPED, 142);
    private final FlowRecord yEgress = flow("y/b", "x/a", "TCP", 80, "EGRESS", Verdict.FORWARDED, 0);

    @Test
    void replacingAnAllowListsTheFlowsItNoLongerAllowsAndTheOnesItNowAllows() {
        FlowRecord again = flow("y/b", "x/a", "TCP", 80, "INGRESS", Verdict.FORWARDED, 9);
        WhatIfReport r = FlowReplay.replay(now, resolve(DEFAULT_DENY, ALLOW_Z), List.of(yToA, zToA, yEgress, again));

        assertThat(r.summary()).isEqualTo(new WhatIfReport.Summary(4, 4, 1, 2, 1, 0, 0, WhatIfReport.Skipped.NONE));
        assertThat(r.groups()).hasSize(2);
        WhatIfReport.Group denied = r.groups().get(0);
        assertThat(denied.change()).isEqualTo(WhatIfReport.Change.ALLOWED_TO_DROPPED);
        assertThat(List.of(denied.direction(), denied.endpoint(), denied.peer())).containsExactly("INGRESS", "x/a", "y/b");
        assertThat(denied.after()).isEqualTo(new WhatIfReport.Side("DROPPED", "DROP_POLICY", null));
        assertThat(denied.count()).isEqualTo(2);
        assertThat(denied.example().before()).isEqualTo(new WhatIfReport.Side("FORWARDED", "PASS_POLICY",
                new WhatIfReport.PolicyName("NetworkPolicy", "x", "allow-web", "spec.ingress[0]")));
        assertThat(denied.example().flow().path("time").asText()).as("the oldest flow").isEqualTo(yToA.time().toString());
        WhatIfReport.Group allowed = r.groups().get(1);
        assertThat(allowed.change()).isEqualTo(WhatIfReport.Change.DROPPED_TO_ALLOWED);
        assertThat(allowed.peer()).isEqualTo("z/a");
        assertThat(allowed.after()).isEqualTo(new WhatIfReport.Side("FORWARDED", "PASS_POLICY",
                new WhatIfReport.PolicyName("NetworkPolicy", "x", "allow-web", "spec.ingress[0]")));
        assertThat(allowed.example().flow().path("IP").path("source").asText()).isEqualTo("10.244.3.10");
    }

    @Test
    void aDraftEqualToTheStoreChangesNothing() {
        WhatIfReport r = FlowReplay.replay(now, resolve(DEFAULT_DENY, ALLOW_Y), List.of(yToA, zToA, yEgress));
        assertThat(r.groups()).isEmpty();
        assertThat(r.summary().unchanged()).isEqualTo(3);
    }

    @Test
    void auditModeLetsTheDroppedFlowPassAsAudit() {
        WhatIfReport r = FlowReplay.replay(now, resolve(DEFAULT_DENY, ALLOW_Y, AUDIT_X), List.of(yToA, zToA));
        assertThat(r.groups()).singleElement().satisfies(g -> {
            assertThat(g.change()).isEqualTo(WhatIfReport.Change.DROPPED_TO_ALLOWED);
            assertThat(g.after()).isEqualTo(new WhatIfReport.Side("AUDIT", "PASS_AUDIT", null));
            assertThat(g.peer()).isEqualTo("z/a");
        });
    }

    @Test
    void enforcingAnAuditedNamespaceDropsWhatPassedAsAudit() {
        PolicyResult audited = resolve(DEFAULT_DENY, ALLOW_Y, AUDIT_X);
        FlowRecord audit = flow("z/a", "x/a", "TCP", 80, "INGRESS", Verdict.AUDIT, 6);
        WhatIfReport r = FlowReplay.replay(audited, now, List.of(audit, yToA));
        assertThat(r.summary().allowedToDropped()).isEqualTo(1);
        assertThat(r.groups().getFirst().example().before().verdict()).isEqualTo("AUDIT");
    }

    @Test
    void aDenyRuleIsNamedAsThePolicyThatNowDecides() {
        WhatIfReport r = FlowReplay.replay(now, resolve(DEFAULT_DENY, ALLOW_Y, DENY_Y_B), List.of(yToA, zToA));
        assertThat(r.groups()).singleElement().satisfies(g -> assertThat(g.after()).isEqualTo(new WhatIfReport.Side(
                "DROPPED", "DROP_POLICY_DENY", new WhatIfReport.PolicyName("WeirNetworkPolicy", "x", "no-yb", "spec.ingressDeny[0]"))));
    }

    @Test
    void repliesTracesAndOtherDropsAreSkippedAndCounted() {
        List<FlowRecord> flows = new ArrayList<>();
        flows.add(reply(flow("x/a", "y/b", "TCP", 40000, "EGRESS", Verdict.FORWARDED, 7)));
        flows.add(flow("y/b", "x/a", "TCP", 80, "INGRESS", Verdict.TRACED, 8));
        flows.add(flow("y/b", "x/a", "TCP", 80, "INGRESS", Verdict.DROPPED, 144));
        flows.add(flow("y/b", "10.244.9.9", "TCP", 80, "INGRESS", Verdict.FORWARDED, 9));
        WhatIfReport r = FlowReplay.replay(now, resolve(DEFAULT_DENY), flows);
        assertThat(r.summary()).isEqualTo(new WhatIfReport.Summary(4, 0, 0, 0, 0, 0, 0, new WhatIfReport.Skipped(1, 1, 1, 1)));
        assertThat(r.groups()).isEmpty();
    }

    @Test
    void flowsRecordedUnderOtherPoliciesAreComparedWithThePoliciesNow() {
        FlowRecord stale = flow("z/a", "x/a", "TCP", 80, "INGRESS", Verdict.FORWARDED, 9);
        WhatIfReport r = FlowReplay.replay(now, resolve(DEFAULT_DENY, ALLOW_Z), List.of(stale));
        assertThat(r.summary().recordedDiffers()).isEqualTo(1);
        assertThat(r.groups()).singleElement().satisfies(g -> assertThat(g.change()).isEqualTo(WhatIfReport.Change.DROPPED_TO_ALLOWED));
    }

    @Test
    void ipv6AndUdpAreJudgedByTheirOwnEntries() {
        FlowRecord udp = flow("y/b", "x/a", "UDP", 80, "INGRESS", Verdict.DROPPED, 142);
        FlowRecord v6 = flow6("y/b", "x/a", "TCP", 80);
        WhatIfReport r = FlowReplay.replay(now, resolve(DEFAULT_DENY), List.of(udp, v6));
        assertThat(r.summary().unchanged()).as("UDP stays dropped").isEqualTo(1);
        assertThat(r.groups()).singleElement().satisfies(g ->
                assertThat(g.example().flow().path("IP").path("ipVersion").asText()).isEqualTo("IPv6"));
    }

    @Test
    void mergingNodesAddsCountsAndKeepsTheOlderExample() {
        PolicyResult draft = resolve(DEFAULT_DENY, ALLOW_Z);
        WhatIfReport later = FlowReplay.replay(now, draft, List.of(flow("y/b", "x/a", "TCP", 80, "INGRESS", Verdict.FORWARDED, 9)));
        WhatIfReport earlier = FlowReplay.replay(now, draft, List.of(yToA, zToA));
        WhatIfReport merged = WhatIfReport.merge(List.of(later, earlier));
        assertThat(merged.summary().flows()).isEqualTo(3);
        assertThat(merged.groups()).hasSize(2);
        assertThat(merged.groups().getFirst().count()).isEqualTo(2);
        assertThat(merged.groups().getFirst().example().flow().path("time").asText()).isEqualTo(yToA.time().toString());
    }

    private PolicyResult resolve(String... docs) {
        List<PolicyObject> policies = new ArrayList<>();
        for (String d : docs) {
            policies.addAll(new PolicyParser().parse(d, "test.yaml"));
        }
        return new PolicyEngine().resolve(NetpolCluster.snapshot(policies), ids);
    }

    private FlowRecord flow(String from, String to, String proto, int port, String dir, Verdict verdict, int reason) {
        return record(address(from, 4), address(to, 4), 4, from, to, proto, port, dir, verdict, reason);
    }

    private FlowRecord flow6(String from, String to, String proto, int port) {
        return record(address(from, 6), address(to, 6), 6, from, to, proto, port, "INGRESS", Verdict.DROPPED, 142);
    }

    private FlowRecord record(String src, String dst, int family, String from, String to, String proto, int port, String dir,
                              Verdict verdict, int reason) {
        clock = clock.plusSeconds(1);
        return new FlowRecord(0, clock, verdict, reason, verdict == Verdict.DROPPED ? "POLICY_DENIED" : null, "", family, src, dst,
                peer(from), peer(to), proto, 43210, port, List.of(), dir, false, "node1", 0, null, "");
    }

    private static FlowRecord reply(FlowRecord f) {
        return new FlowRecord(f.seq(), f.time(), f.verdict(), f.dropReason(), f.dropReasonName(), f.dropReasonDesc(), f.ipVersion(),
                f.sourceIp(), f.destinationIp(), f.source(), f.destination(), f.protocol(), f.sourcePort(), f.destinationPort(),
                f.tcpFlags(), f.trafficDirection(), true, f.nodeName(), 0, null, "");
    }

    /** The lab's addresses: 10.244.<n>.<p>, n 1..3 for x..z, p 10..30 for a..c; anything else is an address. */
    private static String address(String pod, int family) {
        if (!pod.contains("/")) {
            return pod;
        }
        int n = pod.charAt(0) - 'x' + 1;
        int p = (pod.charAt(2) - 'a' + 1) * 10;
        return family == 4 ? "10.244." + n + "." + p : "fd00:10:244:" + n + "::" + p;
    }

    private static FlowPeer peer(String pod) {
        String[] p = pod.split("/");
        return p.length == 2 ? new FlowPeer(0, p[0], p[1], List.of()) : new FlowPeer(0, null, null, List.of("reserved:world"));
    }
}
