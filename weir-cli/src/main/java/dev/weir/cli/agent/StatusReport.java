package dev.weir.cli.agent;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiException;
import dev.weir.cli.output.Json;

/**
 * What {@code weir status} shows, read from the agents: one row per node (the agent's {@code status} with
 * {@code up}, a row with {@code up: false} and the error for an agent that failed or does not answer, and,
 * with etcd, the nodes whose agents run elsewhere marked {@code remote}). {@code weir status} prints it and
 * {@code weir ui} serves it. Immutable.
 *
 * @param rows  one object per node
 * @param allUp false when an agent failed or does not answer
 */
public record StatusReport(List<JsonNode> rows, boolean allUp) {

    /**
     * Reads every agent's status, or only {@code node}'s.
     *
     * @throws dev.weir.cli.UserError when {@code node} has no agent
     * @throws IllegalStateException when no agent runs at all
     */
    public static StatusReport read(String node) {
        List<JsonNode> rows = new ArrayList<>();
        boolean allUp = true;
        Map<String, String> failed = AgentDirectory.failed();
        failed.keySet().removeIf(n -> node != null && !node.equals(n));
        List<AgentDirectory.Agent> agents = failed.isEmpty() ? AgentDirectory.select(node)
                : AgentDirectory.all().stream().filter(a -> node == null || a.node().equals(node)).toList();
        agents.forEach(a -> failed.remove(a.node()));
        for (var f : failed.entrySet()) {
            allUp = false;
            rows.add(down(f.getKey(), "agent stopped: " + f.getValue()));
        }
        for (AgentDirectory.Agent a : agents) {
            try {
                ObjectNode s = (ObjectNode) a.call("status", null);
                s.put("up", true);
                rows.add(s);
            } catch (ApiException e) {
                allUp = false;
                rows.add(down(a.node(), e.getMessage()));
            }
        }
        addRemoteNodes(node, agents, rows);
        return new StatusReport(List.copyOf(rows), allUp);
    }

    /**
     * Every node's record read from etcd directly (no agent here): each row as {@link #read} shows another host's
     * node, the kvstore's part in each. A node is up while its record exists (its lease holds it).
     */
    static StatusReport fromKvstore(KvstoreOptions kvstore, String node) {
        dev.weir.agent.store.etcd.EtcdClusterView v = kvstore.read();
        List<JsonNode> rows = new ArrayList<>();
        for (var n : v.nodes().values()) {
            if (node == null || node.equals(n.name())) {
                ObjectNode s = Json.mapper().valueToTree(n);
                s.put("node", n.name());
                s.put("up", true);
                s.put("remote", true);
                s.set("kvstore", kvstore.kvstore(v));
                rows.add(s);
            }
        }
        if (node != null && rows.isEmpty()) {
            throw new dev.weir.cli.UserError("no record of node " + node + " in etcd (nodes: " + String.join(", ", v.nodes().keySet()) + ")");
        }
        return new StatusReport(List.copyOf(rows), true);
    }

    /** {@code status -o json}: {@code {"nodes": [...], "kvstore": {...}}}, each node with its {@code metricsUrl}. */
    public ObjectNode json() {
        ObjectNode o = Json.mapper().createObjectNode();
        o.set("nodes", Json.mapper().valueToTree(rows));
        rows.stream().map(r -> r.path("kvstore")).filter(k -> !k.isMissingNode()).findFirst()
                .ifPresent(k -> o.set("kvstore", k));
        return o;
    }

    private static ObjectNode down(String node, String error) {
        ObjectNode s = Json.mapper().createObjectNode();
        s.put("node", node);
        s.put("up", false);
        s.put("error", error);
        return s;
    }

    /**
     * With etcd, the nodes whose agents run on other machines (or are not this machine's): from the node records
     * an agent here sees ({@code cluster.nodes}), marked {@code remote}. A node without a live record is not
     * listed: its lease expired.
     */
    private static void addRemoteNodes(String node, List<AgentDirectory.Agent> agents, List<JsonNode> rows) {
        Set<String> shown = new HashSet<>();
        rows.forEach(r -> shown.add(r.path("node").asText()));
        for (AgentDirectory.Agent a : agents) {
            try {
                JsonNode c = a.call("cluster.nodes", null);
                for (JsonNode n : c.path("nodes")) {
                    String name = n.path("name").asText();
                    if ((node == null || node.equals(name)) && shown.add(name)) {
                        ObjectNode s = ((ObjectNode) n).deepCopy();
                        s.put("node", name);
                        s.put("up", true);
                        s.put("remote", true);
                        rows.add(s);
                    }
                }
                return;
            } catch (ApiException e) {
                // ask the next agent
            }
        }
    }
}
