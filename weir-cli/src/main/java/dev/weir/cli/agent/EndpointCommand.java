package dev.weir.cli.agent;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.agent.api.ApiException;
import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import dev.weir.cli.output.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code weir endpoint list}: the endpoints of each node, like {@code cilium-dbg endpoint list}. */
@Command(name = "endpoint", mixinStandardHelpOptions = true,
        description = "Endpoints (pods) the agents manage.", subcommands = EndpointCommand.List_.class)
public final class EndpointCommand {

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List endpoints: id, pod, identity, policy enforcement per direction, addresses, labels.",
                    "Each node also has its host endpoint (reserved:host, identity 1): the node's own processes and its"
                            + " host-network pods, which share the node's addresses.",
                    "Every node's: those of nodes whose agent runs on another host come from the kvstore, through a local agent.",
                    "With --kvstore-endpoints, from etcd directly (no agent needed): policy columns then show ? (only the",
                    "endpoint's agent computes them)."})
    static final class List_ implements Runnable {
        /** The agents list their node's host endpoint too. */
        private static final com.fasterxml.jackson.databind.node.ObjectNode HOSTS =
                com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("hosts", true);

        @Mixin
        NodeOptions options;

        @Mixin
        KvstoreOptions kvstore;

        @Override
        public void run() {
            List<JsonNode> rows = new ArrayList<>();
            if (kvstore.given()) {
                KvstoreOptions.endpointRows(kvstore.read(), options.node).forEach(rows::add);
            } else {
                List<AgentDirectory.Agent> agents = AgentDirectory.select(options.node);
                for (AgentDirectory.Agent a : agents) {
                    try {
                        a.call("endpoint.list", HOSTS.deepCopy()).forEach(rows::add);
                    } catch (ApiException e) {
                        throw AgentDirectory.translate(a, e);
                    }
                }
                if (options.node == null) {
                    rows.addAll(elsewhere(agents));
                }
            }
            rows.sort(java.util.Comparator.<JsonNode>comparingInt(r -> r.path("id").asInt()).thenComparing(r -> r.path("node").asText()));
            PrintWriter out = new PrintWriter(System.out, true);
            if (options.output == OutputFormat.json) {
                Json.print(out, rows);
                return;
            }
            Table t = new Table("ENDPOINT", "POD", "NODE", "POLICY (ingress)", "POLICY (egress)", "IDENTITY", "IPV4",
                    "IPV6", "INTERFACE", "LABELS");
            for (JsonNode r : rows) {
                t.row(r.path("host").asBoolean() ? "host" : r.path("id").asText(),
                        r.path("host").asBoolean() ? "(host network)" : r.path("namespace").asText() + "/" + r.path("name").asText(),
                        r.path("node").asText(), enforcement(r, "ingress"), enforcement(r, "egress"),
                        r.path("identity").asInt(), r.path("ipv4").asText(""), r.path("ipv6").asText(""),
                        r.path("iface").asText(""), labels(r.path("labels")));
            }
            t.print(out);
        }

        /**
         * The endpoints of nodes whose agent runs on another host (known through the kvstore), as the first local
         * agent knows them; none with the file store, where every node's agent is on this host.
         */
        private static List<JsonNode> elsewhere(List<AgentDirectory.Agent> local) {
            AgentDirectory.Agent via = local.getFirst();
            java.util.Set<String> here = new java.util.HashSet<>();
            local.forEach(a -> here.add(a.node()));
            java.util.Set<String> remote = new java.util.HashSet<>();
            List<JsonNode> out = new ArrayList<>();
            try {
                via.call("cluster.nodes", null).path("nodes").forEach(n -> {
                    if (!here.contains(n.path("name").asText())) {
                        remote.add(n.path("name").asText());
                    }
                });
                if (!remote.isEmpty()) {
                    var all = HOSTS.deepCopy().put("all", true);
                    via.call("endpoint.list", all).forEach(r -> {
                        if (remote.contains(r.path("node").asText())) {
                            out.add(r);
                        }
                    });
                }
            } catch (ApiException e) {
                throw AgentDirectory.translate(via, e);
            }
            return out;
        }

        private static String enforcement(JsonNode r, String dir) {
            if (KvstoreOptions.unknown(r, dir + "Enforced")) {
                return "?"; // read from etcd: only the endpoint's agent computes its policy
            }
            if (r.path(dir + "Audit").asBoolean()) {
                return "Audit";
            }
            return r.path(dir + "Enforced").asBoolean() ? "Enabled" : "Disabled";
        }
    }

    static String labels(JsonNode labels) {
        Map<String, String> sorted = new TreeMap<>();
        labels.properties().forEach(e -> sorted.put(e.getKey(), e.getValue().asText()));
        List<String> parts = new ArrayList<>();
        sorted.forEach((k, v) -> parts.add(v.isEmpty() ? k : k + "=" + v));
        return String.join(",", parts);
    }
}
