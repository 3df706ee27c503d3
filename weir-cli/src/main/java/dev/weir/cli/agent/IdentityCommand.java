package dev.weir.cli.agent;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiException;
import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import dev.weir.cli.output.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code weir identity list}: numeric identities and their labels, like {@code cilium-dbg identity list}. */
@Command(name = "identity", mixinStandardHelpOptions = true,
        description = "Numeric security identities.", subcommands = IdentityCommand.List_.class)
public final class IdentityCommand {

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List identities (cluster-wide: every node uses the same numbers) with their labels and",
                    "the nodes that use them.",
                    "With --kvstore-endpoints, from etcd directly (no agent needed): every allocated identity, and the",
                    "nodes whose own endpoints reference it (--node: those that node references)."})
    static final class List_ implements Runnable {
        @Mixin
        NodeOptions options;

        @Mixin
        KvstoreOptions kvstore;

        @Override
        public void run() {
            Map<Integer, ObjectNode> byId = new TreeMap<>();
            if (kvstore.given()) {
                KvstoreOptions.identityRows(kvstore.read()).forEach(r -> {
                    if (options.node == null || r.path("nodes").valueStream().anyMatch(n -> n.asText().equals(options.node))) {
                        byId.put(r.path("id").asInt(), r);
                    }
                });
            }
            for (AgentDirectory.Agent a : kvstore.given() ? List.<AgentDirectory.Agent>of() : AgentDirectory.select(options.node)) {
                try {
                    for (JsonNode i : a.call("identity.list", null)) {
                        ObjectNode row = byId.computeIfAbsent(i.path("id").asInt(), id -> {
                            ObjectNode o = ((ObjectNode) i).deepCopy();
                            o.putArray("nodes");
                            return o;
                        });
                        ((ArrayNode) row.get("nodes")).add(a.node());
                    }
                } catch (ApiException e) {
                    throw AgentDirectory.translate(a, e);
                }
            }
            PrintWriter out = new PrintWriter(System.out, true);
            if (options.output == OutputFormat.json) {
                Json.print(out, byId.values());
                return;
            }
            Table t = new Table("ID", "KIND", "LABELS", "NODES");
            for (ObjectNode r : byId.values()) {
                List<String> nodes = new ArrayList<>();
                r.path("nodes").forEach(n -> nodes.add(n.asText()));
                t.row(r.path("id").asInt(), r.path("kind").asText().toLowerCase(), EndpointCommand.labels(r.path("labels")),
                        String.join(",", nodes));
            }
            t.print(out);
        }
    }
}
