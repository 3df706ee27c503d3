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
            description = "List endpoints: id, pod, identity, policy enforcement per direction, addresses, labels.")
    static final class List_ implements Runnable {
        @Mixin
        NodeOptions options;

        @Override
        public void run() {
            List<JsonNode> rows = new ArrayList<>();
            for (AgentDirectory.Agent a : AgentDirectory.select(options.node)) {
                try {
                    a.call("endpoint.list", null).forEach(rows::add);
                } catch (ApiException e) {
                    throw AgentDirectory.translate(a, e);
                }
            }
            rows.sort(java.util.Comparator.comparingInt(r -> r.path("id").asInt()));
            PrintWriter out = new PrintWriter(System.out, true);
            if (options.output == OutputFormat.json) {
                Json.print(out, rows);
                return;
            }
            Table t = new Table("ENDPOINT", "POD", "NODE", "POLICY (ingress)", "POLICY (egress)", "IDENTITY", "IPV4",
                    "IPV6", "INTERFACE", "LABELS");
            for (JsonNode r : rows) {
                t.row(r.path("id").asInt(), r.path("namespace").asText() + "/" + r.path("name").asText(),
                        r.path("node").asText(), enforcement(r, "ingress"), enforcement(r, "egress"),
                        r.path("identity").asInt(), r.path("ipv4").asText(""), r.path("ipv6").asText(""),
                        r.path("iface").asText(""), labels(r.path("labels")));
            }
            t.print(out);
        }

        private static String enforcement(JsonNode r, String dir) {
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
