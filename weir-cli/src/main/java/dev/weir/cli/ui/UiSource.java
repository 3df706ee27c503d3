package dev.weir.cli.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.cli.agent.AgentDirectory;
import dev.weir.cli.agent.AgentFlows;
import dev.weir.cli.agent.StatusReport;

/**
 * What {@code weir ui} shows, read afresh for every request: the agents' flows and their status. The real one
 * asks the agents over their API sockets as {@code weir observe} and {@code weir status} do (agents that start
 * or stop meanwhile are seen at the next request); tests give fixed answers.
 */
public interface UiSource {

    /**
     * The merged flows matching {@code params} (FlowApi's filter names), the newest {@code last} of them.
     *
     * @throws RuntimeException when no agent can be asked at all (an agent that fails is in the answer's failures)
     */
    AgentFlows flows(JsonNode params, int last);

    /** {@code weir status -o json}. */
    ObjectNode status();

    /** The agents of this machine ({@link AgentDirectory}), or only {@code node}'s when not null. */
    static UiSource agents(String node) {
        return new UiSource() {
            @Override
            public AgentFlows flows(JsonNode params, int last) {
                return AgentFlows.query(AgentDirectory.select(node), params, last);
            }

            @Override
            public ObjectNode status() {
                return StatusReport.read(node).json();
            }
        };
    }
}
