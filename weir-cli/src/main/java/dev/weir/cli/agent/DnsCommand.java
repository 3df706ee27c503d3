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
 * {@code weir dns}: DNS visibility, the L7 DNS flows and destination names that {@code weir observe --fqdn}
 * shows. Shows each node's setting, or switches it with {@code --visibility on|off}.
 */
@Command(name = "dns", mixinStandardHelpOptions = true,
        description = {"Show or switch DNS visibility: the endpoints' TC hooks copy the DNS message of every UDP/TCP",
                "packet from or to port 53 (up to 512 bytes) to the agent, which shows it as an L7 DNS flow (query,",
                "rcode, answers) and names the addresses a pod resolved in its later flows (destination_names).",
                "On by default; kept in the pinned maps, so a restarted agent keeps it. Off, a port-53 packet",
                "costs one array lookup, any other packet nothing. MESSAGES: copied since the node's maps were made;",
                "LOST: not copied because the agent's ring buffer was full."})
public final class DnsCommand implements Callable<Integer> {

    @Option(names = "--visibility", paramLabel = "on|off", description = "Switch DNS visibility on or off.")
    String visibility;

    @Mixin
    NodeOptions options;

    @Override
    public Integer call() {
        ObjectNode params = Json.mapper().createObjectNode();
        if (visibility != null) {
            switch (visibility) {
                case "on" -> params.put("visibility", true);
                case "off" -> params.put("visibility", false);
                default -> throw new UserError("--visibility '" + visibility + "': on or off");
            }
        }
        ArrayNode rows = Json.mapper().createArrayNode();
        AgentDirectory.callEach(options.node, visibility == null ? "dns.get" : "dns.set", params)
                .forEach((node, r) -> rows.addObject().put("node", node).put("visibility", r.path("visibility").asBoolean())
                        .put("messages", r.path("messages").asLong()).put("lost", r.path("lost").asLong()));
        PrintWriter out = new PrintWriter(System.out, true);
        if (options.output == OutputFormat.json) {
            Json.print(out, rows);
            return 0;
        }
        Table t = new Table("NODE", "DNS VISIBILITY", "MESSAGES", "LOST");
        for (JsonNode r : rows) {
            t.row(r.path("node").asText(), r.path("visibility").asBoolean() ? "on" : "off", r.path("messages").asText(),
                    r.path("lost").asText());
        }
        t.print(out);
        return 0;
    }
}
