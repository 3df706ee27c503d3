package dev.weir.cli.agent;

import java.io.PrintWriter;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import dev.weir.cli.output.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code weir status}: each node's agent: up, revision, endpoints, identities, policy entries, flows. */
@Command(name = "status", header = "Show each node's agent: revision enforced, endpoints, entries, flows.", mixinStandardHelpOptions = true,
        description = {"Show each node's agent: up, store revision and the revision it enforces, endpoints,",
                "identities, policy entries, flows seen and lost, which paths translate services (SERVICE LB: socket+tc,",
                "or tc and why not the socket). Exit 1 when an agent does not answer.",
                "With --kvstore-endpoints, every node's record read from etcd directly (no agent needed): the revision",
                "each enforces, its endpoints, its sync error, where its agent runs."})
public final class StatusCommand implements java.util.concurrent.Callable<Integer> {

    @Mixin
    NodeOptions options;

    @Mixin
    KvstoreOptions kvstore;

    @Override
    public Integer call() {
        StatusReport report = kvstore.given() ? StatusReport.fromKvstore(kvstore, options.node) : StatusReport.read(options.node);
        List<JsonNode> rows = report.rows();
        PrintWriter out = new PrintWriter(System.out, true);
        if (options.output == OutputFormat.json) {
            Json.print(out, report.json());
        } else {
            Table t = new Table("NODE", "UP", "PID", "REVISION", "APPLIED", "ENDPOINTS", "IDENTITIES", "POLICIES",
                    "ENTRIES", "FLOWS", "LOST", "DATAPLANE", "SERVICE LB", "ERROR");
            for (JsonNode r : rows) {
                if (r.path("remote").asBoolean()) {
                    t.row(r.path("node").asText(), "yes", r.path("pid").asLong(), "", r.path("appliedRevision").asLong(),
                            r.path("endpoints").asInt(), "", "", "", "", "", "", "", (r.path("syncError").isNull() ? ""
                                    : r.path("syncError").asText() + "; ") + "on " + r.path("host").asText()
                                    + ", record of " + r.path("heartbeat").asText());
                    continue;
                }
                if (!r.path("up").asBoolean()) {
                    t.row(r.path("node").asText(), "no", "", "", "", "", "", "", "", "", "", "", "", r.path("error").asText());
                    continue;
                }
                JsonNode f = r.path("flows");
                t.row(r.path("node").asText(), "yes", r.path("pid").asLong(), r.path("storeRevision").asLong(),
                        r.path("appliedRevision").asLong(), r.path("endpoints").asInt(), r.path("identities").asInt(),
                        r.path("policies").asInt(), r.path("policyEntries").asInt(), f.path("seen").asLong(),
                        f.path("kernelLost").asLong() + f.path("followerLost").asLong(), r.path("dataplane").asText(),
                        r.path("serviceLb").asText(""),
                        r.path("syncError").isNull() ? "" : r.path("syncError").asText());
            }
            t.print(out);
            rows.stream().map(r -> r.path("kvstore")).filter(k -> k.path("kind").asText().equals("etcd")).findFirst()
                    .ifPresent(k -> out.println("kvstore: etcd " + k.path("endpoints").asText() + ", "
                            + (k.path("live").asBoolean() ? "watching" : "not watching")
                            + (k.path("error").isMissingNode() || k.path("error").isNull() ? "" : " (" + k.path("error").asText() + ")")));
            rows.stream().flatMap(r -> r.path("warnings").valueStream().map(w -> r.path("node").asText() + ": " + w.asText()))
                    .distinct().forEach(w -> out.println("warning: " + w));
        }
        return report.allUp() ? 0 : 1;
    }
}
