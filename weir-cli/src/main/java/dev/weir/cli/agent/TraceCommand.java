package dev.weir.cli.agent;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.cli.UserError;
import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import dev.weir.cli.output.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code weir trace}: trace sampling, the TRACED flows that {@code weir observe --verdict TRACED} shows: 1 in N
 * forwarded packets at the endpoint hooks (per CPU). Shows each node's rate, or sets it with {@code --every}.
 */
@Command(name = "trace", mixinStandardHelpOptions = true,
        description = {"Show or set trace sampling: 1 in N forwarded packets at the endpoints' TC hooks (per CPU)",
                "become TRACED flows (weir observe --verdict TRACED). Kept in the pinned maps, so a restarted",
                "agent keeps it. Off (0) by default: tracing costs a flow event per sampled packet."})
public final class TraceCommand implements Callable<Integer> {

    @Option(names = "--every", paramLabel = "N", description = "Trace 1 in N forwarded packets; 0 turns tracing off.")
    Integer every;

    @Mixin
    NodeOptions options;

    @Override
    public Integer call() {
        if (every != null && (every < 0 || every > 1_000_000_000)) {
            throw new UserError("--every " + every + ": a number of packets from 0 (off) to 1000000000");
        }
        ObjectNode params = Json.mapper().createObjectNode();
        if (every != null) {
            params.put("every", every);
        }
        ArrayNode rows = Json.mapper().createArrayNode();
        AgentDirectory.callEach(options.node, every == null ? "trace.get" : "trace.set", params)
                .forEach((node, r) -> rows.addObject().put("node", node).put("every", r.path("every").asInt()));
        PrintWriter out = new PrintWriter(System.out, true);
        if (options.output == OutputFormat.json) {
            Json.print(out, rows);
            return 0;
        }
        Table t = new Table("NODE", "TRACING");
        for (JsonNode r : rows) {
            int n = r.path("every").asInt();
            t.row(r.path("node").asText(), n == 0 ? "off" : "1 in " + n + " forwarded packets");
        }
        t.print(out);
        return 0;
    }
}
