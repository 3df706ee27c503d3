package dev.weir.cli.agent;

import java.io.PrintWriter;

import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.agent.api.ApiException;
import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import dev.weir.cli.output.Table;
import picocli.CommandLine.Command;
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
                    "them (its last applied revision)."})
    static final class List_ implements Runnable {
        @Option(names = "--node", paramLabel = "NAME", description = "The node whose view to show (default: the first).")
        String node;

        @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json.")
        OutputFormat output;

        @Override
        public void run() {
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
                java.util.List<String> backends = new java.util.ArrayList<>();
                row.path("backends").forEach(b -> backends.add(b.asText()));
                t.row(row.path("service").asText(), row.path("type").asText(), row.path("frontend").asText(),
                        row.path("protocol").asText(), row.path("scope").asText(),
                        backends.isEmpty() ? "(none)" : String.join(", ", backends));
            }
            t.print(out);
            r.path("pending").forEach(p -> out.println("pending: EndpointSlice " + p.asText() + " (its Service does not exist yet)"));
            r.path("warnings").forEach(w -> out.println("warning: " + w.asText()));
        }
    }
}
