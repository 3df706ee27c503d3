package dev.weir.cli.agent;

import java.io.PrintWriter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiException;
import dev.weir.cli.UserError;
import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import dev.weir.cli.output.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code weir policy get NS/POD}: a pod's policy entries, peers resolved to labels (cilium-dbg bpf policy get);
 * {@code weir policy whatif}: {@link WhatIfCommand}.
 */
@Command(name = "policy", mixinStandardHelpOptions = true,
        description = "Per-endpoint policy as the dataplane enforces it, and what a draft would change.",
        subcommands = {PolicyCommand.Get.class, WhatIfCommand.class})
public final class PolicyCommand {

    @Command(name = "get", mixinStandardHelpOptions = true,
            description = {"Show a pod's policy entries, as written to the datapath: direction, peer identity with",
                    "its labels, family, protocol and ports, allow or deny, and the policy that made the entry."})
    static final class Get implements Runnable {
        @Parameters(index = "0", paramLabel = "NS/POD", description = "The pod, e.g. x/a.")
        String pod;

        @Mixin
        NodeOptions options;

        @Override
        public void run() {
            String[] parts = pod.split("/", -1);
            if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
                throw new UserError("expected NS/POD, e.g. x/a, not '" + pod + "'");
            }
            ObjectNode params = Json.mapper().createObjectNode().put("namespace", parts[0]).put("name", parts[1]);
            JsonNode result = null;
            String notHere = null;
            for (AgentDirectory.Agent a : AgentDirectory.select(options.node)) {
                try {
                    result = a.call("policy.get", params);
                    break;
                } catch (ApiException e) {
                    if (!e.isUserError()) {
                        throw AgentDirectory.translate(a, e);
                    }
                    notHere = e.getMessage();
                }
            }
            if (result == null) {
                throw new UserError(notHere + (options.node == null ? " (and no agent of that node answers)" : ""));
            }
            print(result);
        }

        private void print(JsonNode r) {
            PrintWriter out = new PrintWriter(System.out, true);
            if (options.output == OutputFormat.json) {
                Json.print(out, r);
                return;
            }
            out.printf("%s on %s: endpoint %d, identity %d, ingress %s, egress %s, revision %d%n", pod,
                    r.path("node").asText(), r.path("endpoint").path("id").asInt(), r.path("identity").asInt(),
                    mode(r, "ingress"), mode(r, "egress"), r.path("revision").asLong());
            Table t = new Table("DIRECTION", "ACTION", "IDENTITY", "LABELS", "FAMILY", "PORT/PROTO", "PACKETS", "BYTES",
                    "POLICY");
            for (JsonNode e : r.path("entries")) {
                int peer = e.path("peerIdentity").asInt();
                JsonNode p = e.path("policy");
                String policy = p.isMissingNode() ? "" : p.path("kind").asText() + " "
                        + (p.path("namespace").asText().isEmpty() ? "" : p.path("namespace").asText() + "/")
                        + p.path("name").asText() + (p.path("path").asText().isEmpty() ? "" : " " + p.path("path").asText());
                t.row(e.path("direction").asText(), e.path("action").asText(), peer,
                        peer == 0 ? "ANY" : EndpointCommand.labels(e.path("peerLabels")),
                        e.path("family").isNull() ? "any" : "IPv" + e.path("family").asInt(), portProto(e),
                        e.has("packets") ? e.path("packets").asLong() : "-", e.has("bytes") ? e.path("bytes").asLong() : "-",
                        policy);
            }
            if (t.isEmpty()) {
                out.println("no entries: every connection is allowed unless a direction is enforced");
            } else {
                t.print(out);
            }
        }

        private static String mode(JsonNode r, String dir) {
            return r.path(dir + "Audit").asBoolean() ? "audit" : r.path(dir + "Enforced").asBoolean() ? "enforced" : "not enforced";
        }

        private static String portProto(JsonNode e) {
            String proto = e.path("protocol").isNull() ? "ANY" : switch (e.path("protocol").asInt()) {
                case 6 -> "TCP";
                case 17 -> "UDP";
                case 132 -> "SCTP";
                case 1 -> "ICMP";
                case 58 -> "ICMPv6";
                default -> Integer.toString(e.path("protocol").asInt());
            };
            String ports = e.path("ports").isNull() ? "ANY" : e.path("ports").asText();
            return ports + "/" + proto;
        }
    }
}
