package dev.weir.cli.agent;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.agent.api.ApiException;

/**
 * The agents' flow histories merged: {@code flows.query} asked of each agent with the same filter (FlowApi's
 * parameter names), the answers merged by time and cut to the last {@code last}. An agent that fails is
 * recorded, not thrown: {@code weir observe} turns it into its exit code, {@code weir ui} shows it beside the
 * other nodes' flows. Immutable.
 *
 * @param flows    Hubble flow JSON, oldest first
 * @param counters each answering agent's flow counters ({@code kernelLost}, {@code evicted}, ...), by node
 * @param failures each failing agent's error, by node
 */
public record AgentFlows(List<JsonNode> flows, Map<String, JsonNode> counters, Map<String, ApiException> failures) {

    /** Asks every agent of {@code agents}; {@code last} above 0 keeps the newest {@code last} flows of them all. */
    public static AgentFlows query(List<AgentDirectory.Agent> agents, JsonNode params, int last) {
        List<JsonNode> flows = new ArrayList<>();
        Map<String, JsonNode> counters = new LinkedHashMap<>();
        Map<String, ApiException> failures = new LinkedHashMap<>();
        for (AgentDirectory.Agent a : agents) {
            try {
                JsonNode r = a.call("flows.query", params);
                r.path("flows").forEach(flows::add);
                counters.put(a.node(), r.path("counters"));
            } catch (ApiException e) {
                failures.put(a.node(), e);
            }
        }
        flows.sort(Comparator.comparing(f -> f.path("time").asText()));
        List<JsonNode> kept = last > 0 && flows.size() > last ? flows.subList(flows.size() - last, flows.size()) : flows;
        return new AgentFlows(List.copyOf(kept), counters, failures);
    }
}
