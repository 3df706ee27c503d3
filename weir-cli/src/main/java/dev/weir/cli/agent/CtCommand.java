package dev.weir.cli.agent;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiException;
import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code weir bpf ct list}: each node's conntrack table, through its agent, like {@code cilium-dbg bpf ct list global}. */
@Command(name = "ct", mixinStandardHelpOptions = true,
        description = "The endpoint conntrack table (through the agents).", subcommands = {CtCommand.List_.class, CtFlushCommand.class})
public final class CtCommand {

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List conntrack entries, one per line as cilium-dbg bpf ct list global prints them:",
                    "PROTO DIR SRC -> DST expires=SECONDS Packets Bytes RevPackets RevBytes TxFlagsSeen State PeerSecurityID."})
    static final class List_ implements Runnable {
        @Mixin
        NodeOptions options;

        @Override
        public void run() {
            List<JsonNode> tables = new ArrayList<>();
            for (AgentDirectory.Agent a : AgentDirectory.select(options.node)) {
                try {
                    tables.add(a.call("ct.list", null));
                } catch (ApiException e) {
                    throw AgentDirectory.translate(a, e);
                }
            }
            PrintWriter out = new PrintWriter(System.out, true);
            if (options.output == OutputFormat.json) {
                Json.print(out, tables);
                return;
            }
            for (JsonNode t : tables) {
                if (tables.size() > 1) {
                    out.println("# " + t.path("node").asText() + ": " + t.path("entries").size() + " entries"
                            + (t.path("capacity").asInt() > 0 ? " of " + t.path("capacity").asInt() : ""));
                }
                t.path("entries").forEach(e -> out.println(line((ObjectNode) e)));
            }
            out.flush();
        }
    }

    public static String line(ObjectNode e) {
        String dir = e.path("direction").asText().equals("EGRESS") ? "OUT" : "IN";
        return e.path("protocol").asText() + " " + dir + " " + hostPort(e.path("sourceIp").asText(), e.path("sourcePort").asInt())
                + " -> " + hostPort(e.path("destinationIp").asText(), e.path("destinationPort").asInt())
                + " expires=" + e.path("expiresInSec").asLong()
                + " Packets=" + e.path("packetsForward").asLong() + " Bytes=" + e.path("bytesForward").asLong()
                + " RevPackets=" + e.path("packetsReverse").asLong() + " RevBytes=" + e.path("bytesReverse").asLong()
                + String.format(" TxFlagsSeen=0x%02x", e.path("tcpFlagsSeen").asInt())
                + " State=" + e.path("state").asText() + (e.path("audit").asBoolean() ? " [ audit ]" : "")
                + " PeerSecurityID=" + e.path("peerIdentity").asInt() + " Rule=" + e.path("rule").asInt()
                + " EndpointID=" + e.path("endpointId").asInt();
    }

    private static String hostPort(String ip, int port) {
        return ip.contains(":") ? "[" + ip + "]:" + port : ip + ":" + port;
    }
}
