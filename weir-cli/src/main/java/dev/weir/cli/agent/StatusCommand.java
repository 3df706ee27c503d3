package dev.weir.cli.agent;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiException;
import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import dev.weir.cli.output.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code weir status}: each node's agent: up, revision, endpoints, identities, policy entries, flows. */
@Command(name = "status", header = "Show each node's agent: revision enforced, endpoints, entries, flows.", mixinStandardHelpOptions = true,
        description = {"Show each node's agent: up, store revision and the revision it enforces, endpoints,",
                "identities, policy entries, flows seen and lost, which paths translate services (SERVICE LB: socket+tc,",
                "or tc and why not the socket). Exit 1 when an agent does not answer."})
public final class StatusCommand implements java.util.concurrent.Callable<Integer> {

    @Mixin
    NodeOptions options;

    @Override
    public Integer call() {
        List<JsonNode> rows = new ArrayList<>();
        boolean allUp = true;
        java.util.Map<String, String> failed = AgentDirectory.failed();
        failed.keySet().removeIf(n -> options.node != null && !options.node.equals(n));
        List<AgentDirectory.Agent> agents = failed.isEmpty() ? AgentDirectory.select(options.node)
                : AgentDirectory.all().stream().filter(a -> options.node == null || a.node().equals(options.node)).toList();
        agents.forEach(a -> failed.remove(a.node()));
        for (var f : failed.entrySet()) {
            allUp = false;
            ObjectNode s = Json.mapper().createObjectNode();
            s.put("node", f.getKey());
            s.put("up", false);
            s.put("error", "agent stopped: " + f.getValue());
            rows.add(s);
        }
        for (AgentDirectory.Agent a : agents) {
            try {
                ObjectNode s = (ObjectNode) a.call("status", null);
                s.put("up", true);
                rows.add(s);
            } catch (ApiException e) {
                allUp = false;
                ObjectNode s = Json.mapper().createObjectNode();
                s.put("node", a.node());
                s.put("up", false);
                s.put("error", e.getMessage());
                rows.add(s);
            }
        }
        addRemoteNodes(agents, rows);
        PrintWriter out = new PrintWriter(System.out, true);
        if (options.output == OutputFormat.json) {
            // {"nodes": [...], "kvstore": {...}}: one entry per node, with where its metrics are (metricsUrl)
            ObjectNode o = Json.mapper().createObjectNode();
            o.set("nodes", Json.mapper().valueToTree(rows));
            rows.stream().map(r -> r.path("kvstore")).filter(k -> !k.isMissingNode()).findFirst()
                    .ifPresent(k -> o.set("kvstore", k));
            Json.print(out, o);
        } else {
            Table t = new Table("NODE", "UP", "PID", "REVISION", "APPLIED", "ENDPOINTS", "IDENTITIES", "POLICIES",
                    "ENTRIES", "FLOWS", "LOST", "DATAPLANE", "SERVICE LB", "ERROR");
            for (JsonNode r : rows) {
                if (r.path("remote").asBoolean()) {
                    t.row(r.path("node").asText(), "yes", r.path("pid").asLong(), "", r.path("appliedRevision").asLong(),
                            r.path("endpoints").asInt(), "", "", "", "", "", "", "", (r.path("syncError").isNull() ? ""
                                    : r.path("syncError").asText() + "; ") + "on " + r.path("host").asText()
                                    + ", record of " + r.path("heartbeat").asText());
                    continue;
                }
                if (!r.path("up").asBoolean()) {
                    t.row(r.path("node").asText(), "no", "", "", "", "", "", "", "", "", "", "", "", r.path("error").asText());
                    continue;
                }
                JsonNode f = r.path("flows");
                t.row(r.path("node").asText(), "yes", r.path("pid").asLong(), r.path("storeRevision").asLong(),
                        r.path("appliedRevision").asLong(), r.path("endpoints").asInt(), r.path("identities").asInt(),
                        r.path("policies").asInt(), r.path("policyEntries").asInt(), f.path("seen").asLong(),
                        f.path("kernelLost").asLong() + f.path("followerLost").asLong(), r.path("dataplane").asText(),
                        r.path("serviceLb").asText(""),
                        r.path("syncError").isNull() ? "" : r.path("syncError").asText());
            }
            t.print(out);
            rows.stream().map(r -> r.path("kvstore")).filter(k -> k.path("kind").asText().equals("etcd")).findFirst()
                    .ifPresent(k -> out.println("kvstore: etcd " + k.path("endpoints").asText() + ", "
                            + (k.path("live").asBoolean() ? "watching" : "not watching")
                            + (k.path("error").isMissingNode() || k.path("error").isNull() ? "" : " (" + k.path("error").asText() + ")")));
            rows.stream().flatMap(r -> r.path("warnings").valueStream().map(w -> r.path("node").asText() + ": " + w.asText()))
                    .distinct().forEach(w -> out.println("warning: " + w));
        }
        return allUp ? 0 : 1;
    }

    /**
     * With etcd, the nodes whose agents run on other machines (or are not this machine's): from the node records
     * an agent here sees ({@code cluster.nodes}), marked {@code remote}. A node without a live record is not
     * listed: its lease expired.
     */
    private void addRemoteNodes(List<AgentDirectory.Agent> agents, List<JsonNode> rows) {
        java.util.Set<String> shown = new java.util.HashSet<>();
        rows.forEach(r -> shown.add(r.path("node").asText()));
        for (AgentDirectory.Agent a : agents) {
            try {
                JsonNode c = a.call("cluster.nodes", null);
                for (JsonNode n : c.path("nodes")) {
                    String name = n.path("name").asText();
                    if ((options.node == null || options.node.equals(name)) && shown.add(name)) {
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
