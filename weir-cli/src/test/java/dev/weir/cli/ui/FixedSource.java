package dev.weir.cli.ui;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiException;
import dev.weir.agent.flow.FlowApi;
import dev.weir.agent.flow.FlowFilter;
import dev.weir.agent.flow.FlowPeer;
import dev.weir.agent.flow.FlowRecord;
import dev.weir.agent.flow.HubbleJson;
import dev.weir.agent.flow.Verdict;
import dev.weir.cli.agent.AgentFlows;
import dev.weir.cli.output.Json;

/**
 * A {@link UiSource} with fixed flows, filtered as an agent filters its history (the agent's own {@link FlowApi}
 * filter, flows rendered by {@link HubbleJson}), and a fixed status. Remembers the last parameters it was asked
 * with. Tests only.
 */
final class FixedSource implements UiSource {

    final List<FlowRecord> flows = new ArrayList<>();
    final Map<String, ApiException> failures = new LinkedHashMap<>();
    ObjectNode status = Json.mapper().createObjectNode();
    RuntimeException broken;
    JsonNode lastParams;
    int lastLast;

    static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    static FlowPeer pod(String ns, String name, int identity) {
        return new FlowPeer(identity, ns, name, List.of("k8s:io.kubernetes.pod.namespace=" + ns, "k8s:pod=" + name));
    }

    static FlowPeer world() {
        return new FlowPeer(2, null, null, List.of("reserved:world"));
    }

    /** A TCP flow from {@code src} to {@code dst} port {@code port}, {@code seconds} after {@link #T0}. */
    static FlowRecord tcp(int seconds, Verdict v, FlowPeer src, String srcIp, FlowPeer dst, String dstIp, int port,
                          boolean reply, String node) {
        boolean dropped = v == Verdict.DROPPED;
        return new FlowRecord(seconds, T0.plusSeconds(seconds), v, dropped ? 133 : 0, dropped ? "POLICY_DENIED" : null,
                dropped ? "Policy denied" : "", 4, srcIp, dstIp, src, dst, "TCP", reply ? port : 40000 + seconds,
                reply ? 40000 + seconds : port, List.of("SYN"), "INGRESS", reply, node, dropped ? 0 : 2, null,
                "TCP Flags: SYN");
    }

    /** The same flow translated through a service ({@code destination_service}, or {@code source_service} for a reply). */
    static FlowRecord via(FlowRecord f, String ns, String name, String frontend) {
        return new FlowRecord(f.seq(), f.time(), f.verdict(), f.dropReason(), f.dropReasonName(), f.dropReasonDesc(),
                f.ipVersion(), f.sourceIp(), f.destinationIp(), f.source(), f.destination(), f.protocol(), f.sourcePort(),
                f.destinationPort(), f.tcpFlags(), f.trafficDirection(), f.isReply(), f.nodeName(), f.policyMatchType(),
                f.policy(), f.summary(), new FlowRecord.ServiceRef(ns, name, frontend));
    }

    FixedSource add(FlowRecord f) {
        flows.add(f);
        return this;
    }

    @Override
    public AgentFlows flows(JsonNode params, int last) {
        if (broken != null) {
            throw broken;
        }
        lastParams = params;
        lastLast = last;
        FlowFilter filter = FlowApi.filter(params);
        List<JsonNode> out = new ArrayList<>();
        Map<String, JsonNode> counters = new LinkedHashMap<>();
        for (FlowRecord f : flows) {
            counters.putIfAbsent(f.nodeName(), Json.mapper().createObjectNode().put("kernelLost", 0));
            if (filter.matches(f)) {
                out.add(HubbleJson.render(f));
            }
        }
        List<JsonNode> kept = out.size() > last ? out.subList(out.size() - last, out.size()) : out;
        return new AgentFlows(List.copyOf(kept), counters, failures);
    }

    @Override
    public ObjectNode status() {
        if (broken != null) {
            throw broken;
        }
        return status;
    }
}
