package dev.weir.cli.agent;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.agent.api.ApiException;
import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import dev.weir.cli.output.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code weir node list}: the nodes one agent knows from the kvstore, like {@code cilium-dbg node list}: every
 * node whose agent holds a record in etcd (its lease alive), with the revision it enforces.
 */
@Command(name = "node", mixinStandardHelpOptions = true,
        description = "The cluster's nodes as an agent knows them from the kvstore.", subcommands = NodeCommand.List_.class)
public final class NodeCommand {

    private NodeCommand() {
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List the nodes one agent knows (--node, default: the first agent that answers): with",
                    "--kvstore etcd, every node whose agent holds a record in etcd, with its addresses, the revision it",
                    "enforces, its endpoints, its agent and the time of its last heartbeat. A node whose agent is gone",
                    "stays listed until its lease expires (weir agent --kvstore-lease-ttl), then no agent knows it or",
                    "its endpoints. The file kvstore keeps no records (the list is empty; weir status shows this",
                    "machine's agents). Exit 1 when no agent answers.",
                    "With --kvstore-endpoints, the records are read from etcd directly (no agent needed)."})
    static final class List_ implements Runnable {
        @Mixin
        NodeOptions options;

        @Mixin
        KvstoreOptions kvstore;

        @Override
        public void run() {
            if (kvstore.given()) {
                print("etcd", kvstore.clusterNodes(kvstore.read()));
                return;
            }
            List<String> failures = new ArrayList<>();
            for (AgentDirectory.Agent a : AgentDirectory.select(options.node)) {
                JsonNode view;
                try {
                    view = a.call("cluster.nodes", null);
                } catch (ApiException e) {
                    failures.add(a.node() + ": " + e.getMessage());
                    continue;
                }
                print(a.node(), view);
                return;
            }
            throw new IllegalStateException("no agent answers: " + String.join("; ", failures));
        }

        private void print(String via, JsonNode view) {
            PrintWriter out = new PrintWriter(System.out, true);
            if (options.output == OutputFormat.json) {
                Json.print(out, view.path("nodes"));
                return;
            }
            Table t = new Table("NODE", "IPV4", "IPV6", "APPLIED", "ENDPOINTS", "HOST", "PID", "HEARTBEAT", "ERROR");
            for (JsonNode n : view.path("nodes")) {
                t.row(n.path("name").asText(), n.path("ipv4").asText(""), n.path("ipv6").asText(""),
                        n.path("appliedRevision").asLong(), n.path("endpoints").asInt(), n.path("host").asText(""),
                        n.path("pid").asLong(), n.path("heartbeat").asText(""),
                        n.path("syncError").isNull() ? "" : n.path("syncError").asText(""));
            }
            t.print(out);
            JsonNode kv = view.path("kvstore");
            out.println((via.equals("etcd") ? "read from etcd" : "as seen by " + via) + "; kvstore: " + kv.path("kind").asText("file")
                    + (kv.path("kind").asText("").equals("etcd") ? (kv.path("live").asBoolean() ? ", watching"
                    : ", not watching (the list is as last seen)") : " (no node records)"));
        }
    }
}
