package dev.weir.cli.prefilter;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiException;
import dev.weir.agent.prefilter.PrefilterRule;
import dev.weir.agent.prefilter.PrefilterState;
import dev.weir.cli.agent.AgentDirectory;
import dev.weir.cli.agent.RevisionWait;
import dev.weir.cli.output.Json;
import dev.weir.lab.Lab;

/**
 * The prefilter of a network namespace that belongs to a node with a running agent: there the prefilter is
 * desired state, and {@code weir prefilter attach|detach|add|del|set} edit the node's {@code WeirPrefilter
 * imperative-<node>} through the agent ({@code prefilter.edit}: checked and committed as {@code weir apply}
 * does), then wait until every agent enforces the new revision; {@code list|stats|events} read the node's
 * prefilter through its agent ({@code prefilter.status}). Stateless apart from the agent it talks to.
 */
final class NodeAgentPrefilter {

    static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Duration ASK = Duration.ofSeconds(3);

    private final AgentDirectory.Agent agent;

    private NodeAgentPrefilter(AgentDirectory.Agent agent) {
        this.agent = agent;
    }

    /**
     * The agent whose node lives in {@code netns} (null: this namespace), when one runs; agents that do not
     * answer, or have no prefilter, are passed over.
     */
    static Optional<NodeAgentPrefilter> find(String netns) {
        Map<AgentDirectory.Agent, String> silent = new java.util.LinkedHashMap<>();
        for (AgentDirectory.Agent a : AgentDirectory.all()) {
            try {
                JsonNode s = a.client().call("prefilter.status", null, ASK);
                String ns = s.path("netns").isTextual() ? s.path("netns").asText() : null;
                if (s.path("nodeKnown").asBoolean() && Objects.equals(ns, netns)) {
                    return Optional.of(new NodeAgentPrefilter(a));
                }
            } catch (ApiException e) {
                // not this one: an older agent, one without a prefilter; or one that does not answer
                if (e.code().equals(ApiException.UNAVAILABLE)) {
                    silent.put(a, e.getMessage());
                }
            }
        }
        refuseSilentLabNode(netns, silent);
        return Optional.empty();
    }

    /**
     * A lab node's namespace whose agent has a socket but does not answer: its prefilter is desired state, and
     * working on the namespace directly would put a second XDP program where the agent's belongs.
     */
    private static void refuseSilentLabNode(String netns, Map<AgentDirectory.Agent, String> silent) {
        if (netns == null || silent.isEmpty()) {
            return;
        }
        Optional<Lab> lab;
        try {
            lab = Lab.current();
        } catch (RuntimeException e) {
            return;
        }
        for (var e : silent.entrySet()) {
            String node = e.getKey().node();
            String ns;
            try {
                ns = lab.map(l -> l.netnsOf(node)).orElse(null);
            } catch (RuntimeException notALabNode) {
                continue;
            }
            if (netns.equals(ns)) {
                throw new IllegalStateException(netns + " is node " + node + "'s, whose prefilter its agent keeps, but the"
                        + " agent does not answer (" + e.getValue() + "); start it again (weir lab restart-agents)");
            }
        }
    }

    String node() {
        return agent.node();
    }

    /** The node's prefilter as its agent has it ({@code prefilter.status}). */
    JsonNode status() {
        try {
            return agent.call("prefilter.status", null);
        } catch (ApiException e) {
            throw AgentDirectory.translate(agent, e);
        }
    }

    /** What an edit did: the node's prefilter after it, and a line saying what changed where. */
    record Edited(JsonNode status, String summary) {
    }

    /**
     * Edits the node's imperative object and waits until every agent enforces it; the summary reads
     * {@code WeirPrefilter imperative-node1 configured; revision 7 enforced on node1, node2}.
     */
    Edited edit(ObjectNode params) {
        JsonNode r;
        try {
            r = agent.client().call("prefilter.edit", params, TIMEOUT);
        } catch (ApiException e) {
            throw AgentDirectory.translate(agent, e);
        }
        long revision = r.path("revision").asLong();
        List<String> nodes = RevisionWait.await(AgentDirectory.select(null), revision, TIMEOUT);
        return new Edited(status(), r.path("object").asText() + " " + r.path("outcome").asText() + "; revision "
                + revision + " enforced on " + String.join(", ", nodes));
    }

    static ObjectNode op(String op) {
        return Json.mapper().createObjectNode().put("op", op);
    }

    /** Rules as the edit takes them. */
    static ObjectNode withRules(ObjectNode params, List<PrefilterRule> rules) {
        var arr = params.putArray("rules");
        rules.forEach(r -> arr.add(Json.mapper().valueToTree(PrefilterState.RuleJson.of(r))));
        return params;
    }

    /** The id the node's prefilter gave each rule (by what it matches), from a status. */
    static Map<PrefilterRule, Integer> ids(JsonNode status) {
        Map<PrefilterRule, Integer> out = new HashMap<>();
        for (JsonNode r : status.path("rules")) {
            PrefilterRule rule = Json.mapper().convertValue(((ObjectNode) r.deepCopy())
                    .retain("id", "action", "src", "dst", "proto", "dport", "dryRun"), PrefilterState.RuleJson.class).toRule();
            out.put(rule.withId(0), rule.id());
        }
        return out;
    }

    /** Per-reason counters from a status ({@code reasons}, or {@code wouldDrop}): code to {packets, bytes}. */
    static Map<Integer, long[]> reasons(JsonNode status, String field) {
        Map<Integer, long[]> out = new HashMap<>();
        status.path(field).forEach(r -> out.put(r.path("code").asInt(),
                new long[] {r.path("packets").asLong(), r.path("bytes").asLong()}));
        return out;
    }

    /** Per-CPU TCP counters from a status: 0 SYNs, 1 cookies sent, 2 valid cookies, to packets per CPU. */
    static Map<Integer, long[]> tcp(JsonNode status) {
        Map<Integer, long[]> out = new HashMap<>();
        List<String> names = List.of("syn", "cookiesSent", "cookiesValid");
        for (int i = 0; i < names.size(); i++) {
            JsonNode a = status.path("tcp").path(names.get(i));
            if (a.isArray()) {
                long[] v = new long[a.size()];
                for (int c = 0; c < v.length; c++) {
                    v[c] = a.get(c).asLong();
                }
                out.put(i, v);
            }
        }
        return out;
    }

    /** Per-rule counters from a status (0: unattributed). */
    static Map<Integer, long[]> rules(JsonNode status) {
        Map<Integer, long[]> out = new HashMap<>();
        JsonNode none = status.path("unattributed");
        out.put(0, new long[] {none.path("packets").asLong(), none.path("bytes").asLong()});
        status.path("rules").forEach(r -> out.put(r.path("id").asInt(),
                new long[] {r.path("packets").asLong(), r.path("bytes").asLong()}));
        return out;
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
