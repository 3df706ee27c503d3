package dev.weir.cli.agent;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiException;
import dev.weir.agent.cluster.NodeRecord;
import dev.weir.agent.service.StoredServices;
import dev.weir.agent.store.etcd.EtcdServiceView;
import dev.weir.cli.UserError;
import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import dev.weir.cli.output.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;



/**
 * {@code weir service list}: the Services as a node's agent translates them — each frontend (ClusterIP,
 * NodePort, LoadBalancer, external IP) with its backends and their states, from the agent's last applied
 * state ({@code service.list}), so what it shows is what that node's datapath does. {@code weir bpf lb list}
 * shows the maps themselves.
 */
@Command(name = "service", mixinStandardHelpOptions = true,
        description = "Services (kube-proxy replacement).", subcommands = {ServiceCommand.List_.class, BackendCommand.class})
public final class ServiceCommand {

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List service frontends with type, backends and backend states, as a node's agent translates",
                    "them (its last applied revision).",
                    "With --kvstore-endpoints, from etcd directly (no agent needed): each Service as stored, with its",
                    "EndpointSlices' endpoints and the nodes that enforce it (their revision is at least the Service's);",
                    "ids and each node's own frontend addresses are its agent's and are not shown."})
    static final class List_ implements Runnable {
        @Option(names = "--node", paramLabel = "NAME", description = {"The node whose view to show (default: the first);",
                "with --kvstore-endpoints, the node whose enforcement to show (default: every node)."})
        String node;

        @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json.")
        OutputFormat output;

        @Mixin
        KvstoreOptions kvstore;

        @Override
        public void run() {
            if (kvstore.given()) {
                fromKvstore();
                return;
            }
            AgentDirectory.Agent agent = AgentDirectory.select(node).getFirst();
            JsonNode r;
            try {
                r = agent.call("service.list", null);
            } catch (ApiException e) {
                throw AgentDirectory.translate(agent, e);
            }
            PrintWriter out = new PrintWriter(System.out, true);
            if (output == OutputFormat.json) {
                Json.print(out, r.path("rows"));
                return;
            }
            out.println("as node " + r.path("node").asText() + " translates them (revision " + r.path("revision").asLong() + ")");
            Table t = new Table("SERVICE", "TYPE", "FRONTEND", "PROTO", "CLIENTS", "BACKENDS");
            for (JsonNode row : r.path("rows")) {
                List<String> backends = new ArrayList<>();
                row.path("backends").forEach(b -> backends.add(b.asText()));
                t.row(row.path("service").asText(), row.path("type").asText(), row.path("frontend").asText(),
                        row.path("protocol").asText(), row.path("scope").asText(),
                        backends.isEmpty() ? "(none)" : String.join(", ", backends));
            }
            t.print(out);
            r.path("pending").forEach(p -> out.println("pending: EndpointSlice " + p.asText() + " (its Service does not exist yet)"));
            r.path("warnings").forEach(w -> out.println("warning: " + w.asText()));
            otherNodes(agent, r.path("revision").asLong(), out);
        }

        /**
         * With a kvstore, the revision every other node enforces (from its record, as this agent sees it), so a reader
         * knows whether the translation shown is the one the whole cluster runs; nothing with the file store.
         */
        private static void otherNodes(AgentDirectory.Agent agent, long revision, PrintWriter out) {
            JsonNode nodes;
            try {
                nodes = agent.call("cluster.nodes", null).path("nodes");
            } catch (ApiException e) {
                throw AgentDirectory.translate(agent, e);
            }
            List<String> others = new ArrayList<>();
            for (JsonNode n : nodes) {
                if (!n.path("name").asText().equals(agent.node())) {
                    long at = n.path("appliedRevision").asLong();
                    others.add(n.path("name").asText() + " " + at + (at < revision ? " (behind)" : ""));
                }
            }
            if (!others.isEmpty()) {
                out.println("the other nodes enforce revision: " + String.join(", ", others));
            }
        }

        /** Every Service as etcd stores it, and which nodes enforce it (of those {@code --node} names, if given). */
        private void fromKvstore() {
            EtcdServiceView v = kvstore.readServices();
            StoredServices.Listing listing = StoredServices.of(v.objects());
            List<NodeRecord> nodes = v.nodes().values().stream().filter(n -> node == null || node.equals(n.name())).toList();
            if (node != null && nodes.isEmpty()) {
                throw new UserError("--node " + node + ": no such node in etcd (nodes: " + String.join(", ", v.nodes().keySet()) + ")");
            }
            List<ObjectNode> rows = new ArrayList<>();
            for (StoredServices.Row r : listing.rows()) {
                ObjectNode o = Json.mapper().valueToTree(r);
                ArrayNode enforcing = o.putArray("enforcedBy");
                ArrayNode behind = o.putArray("behind");
                nodes.forEach(n -> (n.appliedRevision() >= r.revision() ? enforcing : behind).add(n.name()));
                rows.add(o);
            }
            PrintWriter out = new PrintWriter(System.out, true);
            if (output == OutputFormat.json) {
                Json.print(out, rows);
                return;
            }
            out.println("as stored in etcd " + kvstore.endpoints + " (etcd revision " + v.revision() + "); ids and each node's"
                    + " translation: its agent's service list");
            Table t = new Table("SERVICE", "TYPE", "FRONTENDS", "BACKENDS", "REVISION", "ENFORCED BY");
            for (ObjectNode o : rows) {
                List<String> behind = new ArrayList<>();
                o.path("behind").forEach(b -> behind.add(b.asText()));
                t.row(o.path("service").asText(), o.path("type").asText(), joined(o.path("frontends")), joined(o.path("backends")),
                        o.path("revision").asLong(), (nodes.size() - behind.size()) + "/" + nodes.size()
                                + (behind.isEmpty() ? "" : " (not yet: " + String.join(", ", behind) + ")"));
            }
            t.print(out);
            listing.pending().forEach(p -> out.println("pending: EndpointSlice " + p + " (its Service does not exist yet)"));
            listing.warnings().forEach(w -> out.println("warning: " + w));
            if (v.unreadable() > 0) {
                out.println("warning: " + v.unreadable() + " node record(s) in etcd did not decode");
            }
        }

        private static String joined(JsonNode list) {
            List<String> out = new ArrayList<>();
            list.forEach(x -> out.add(x.asText()));
            return out.isEmpty() ? "(none)" : String.join(", ", out);
        }
    }
}
