package dev.weir.cli.agent;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiException;
import dev.weir.agent.flow.CompactFormat;
import dev.weir.agent.whatif.WhatIfReport;
import dev.weir.cli.output.Json;
import dev.weir.cli.output.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code weir policy whatif -f DRAFT}: every agent replays its flow history under the stored policies and
 * under the draft laid over them (agent method {@code policy.whatif}); the answers are merged into one
 * listing of the flows whose verdict would change. Nothing is applied.
 */
@Command(name = "whatif", mixinStandardHelpOptions = true,
        header = "List recorded flows whose verdict a policy draft would change.",
        description = {"Replays the flows the agents recorded (what weir observe shows) against the",
                "stored policies with the draft applied: the draft's NetworkPolicy,",
                "WeirNetworkPolicy, WeirClusterNetworkPolicy and PolicyMode objects are added,",
                "or replace the stored ones of the same kind, namespace and name. Nothing is",
                "applied; the draft is validated as weir apply validates it (exit 2 naming the",
                "file, object and field).",
                "Each policy verdict of a new connection is judged again at the hook that",
                "recorded it, by the agents' own policy engine, under the stored policies and",
                "under the draft. Flows whose verdict differs are listed, grouped by change,",
                "endpoint, peer and the policy that would decide, with a count and the oldest",
                "flow as an example. AUDIT passes: ALLOWED_TO_DROPPED and DROPPED_TO_ALLOWED",
                "change what flows; FORWARDED<->AUDIT is AUDIT_ONLY. Replies, traces and drops",
                "for other reasons than policy are skipped and counted."})
public final class WhatIfCommand implements Runnable {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectReader REPORT = Json.mapper().readerFor(WhatIfReport.class)
            .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    @Option(names = {"-f", "--filename"}, required = true, paramLabel = "FILE|DIR",
            description = "The draft: a YAML/JSON file, or a directory of them (*.yaml, *.yml, *.json); repeatable.")
    List<Path> files;

    @Option(names = "--since", description = "Only flows since a time (RFC 3339) or a duration ago (30s, 10m, 1h); default: all the history.")
    String since;

    @Mixin
    NodeOptions options;

    @Override
    public void run() {
        ObjectNode params = Json.mapper().createObjectNode();
        ApplyCommand.putFiles(params, files);
        if (since != null) {
            params.put("since", ObserveCommand.since(since).toString());
        }
        List<JsonNode> answers = new ArrayList<>();
        for (AgentDirectory.Agent a : AgentDirectory.select(options.node)) {
            try {
                answers.add(a.client().call("policy.whatif", params, TIMEOUT));
            } catch (ApiException e) {
                throw AgentDirectory.translate(a, e);
            }
        }
        ObjectNode merged = merge(answers);
        PrintWriter out = new PrintWriter(System.out, true);
        if (options.output == dev.weir.cli.output.OutputFormat.json) {
            Json.print(out, merged);
        } else {
            print(out, merged);
        }
    }

    /**
     * The agents' answers as one: {@code nodes} (each with the store revision it compared against), the draft's
     * objects (the first agent's), and the merged {@link WhatIfReport}.
     */
    static ObjectNode merge(List<JsonNode> answers) {
        ObjectNode o = Json.mapper().createObjectNode();
        ArrayNode nodes = o.putArray("nodes");
        List<WhatIfReport> reports = new ArrayList<>();
        for (JsonNode a : answers) {
            nodes.addObject().put("node", a.path("node").asText()).put("revision", a.path("revision").asLong());
            reports.add(read(a));
        }
        o.set("draft", answers.isEmpty() ? Json.mapper().createArrayNode() : answers.getFirst().path("draft"));
        o.setAll((ObjectNode) Json.mapper().valueToTree(WhatIfReport.merge(reports)));
        return o;
    }

    private static void print(PrintWriter out, JsonNode r) {
        for (JsonNode d : r.path("draft")) {
            out.println("draft: " + d.path("object").asText() + " (" + d.path("action").asText() + ", " + d.path("source").asText() + ")");
        }
        WhatIfReport report = read(r);
        Table t = new Table("#", "CHANGE", "FLOWS", "DIRECTION", "ENDPOINT", "PEER", "DRAFT VERDICT", "DECIDED BY", "NOW");
        List<String> examples = new ArrayList<>();
        for (WhatIfReport.Group g : report.groups()) {
            examples.add("#" + (examples.size() + 1) + " " + CompactFormat.line(g.example().flow(), ZoneId.systemDefault()));
            WhatIfReport.Side before = g.example().before();
            t.row(examples.size(), g.change(), g.count(), g.direction(), g.endpoint(), g.peer(), g.after().verdict(),
                    decidedBy(g.after()), before.verdict() + " " + decidedBy(before));
        }
        if (t.isEmpty()) {
            out.println("no recorded flow would change verdict");
        } else {
            t.print(out);
            out.println("examples (the oldest flow of each group):");
            examples.forEach(out::println);
        }
        WhatIfReport.Summary s = report.summary();
        WhatIfReport.Skipped k = s.skipped();
        out.printf("replayed %d of %d flows on %s: %d allowed -> dropped, %d dropped -> allowed, %d audit only, %d unchanged%n",
                s.evaluated(), s.flows(), nodes(r), s.allowedToDropped(), s.droppedToAllowed(), s.auditOnly(), s.unchanged());
        out.printf("skipped: %d replies, %d traces and socket translations, %d drops for other reasons than policy, "
                + "%d of endpoints no longer in the cluster%n", k.replies(), k.notPolicyVerdicts(), k.nonPolicyDrops(),
                k.unknownEndpoints());
        if (s.recordedDiffers() > 0) {
            out.printf("%d replayed flows were recorded under other policies: compared with what the stored policies decide now%n",
                    s.recordedDiffers());
        }
        report.warnings().forEach(w -> out.println("warning (draft): " + w));
        out.println("nothing was applied");
    }

    /** The rule that decides, or why none does. */
    static String decidedBy(WhatIfReport.Side side) {
        if (side.policy() != null) {
            return side.policy().toString();
        }
        return switch (side.reason()) {
            case "DROP_POLICY" -> "(default deny: no rule allows)";
            case "PASS_AUDIT" -> "(audit: no rule allows)";
            case "PASS_NO_POLICY" -> "(no policy selects it)";
            default -> "(" + side.reason() + ")";
        };
    }

    /** The report part of an answer ({@code summary}, {@code groups}, {@code warnings}). */
    private static WhatIfReport read(JsonNode answer) {
        try {
            return REPORT.readValue(answer);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(answer.path("node").asText() + ": unreadable what-if answer: " + e.getMessage(), e);
        }
    }

    private static String nodes(JsonNode r) {
        List<String> out = new ArrayList<>();
        r.path("nodes").forEach(n -> out.add(n.path("node").asText() + " (revision " + n.path("revision").asLong() + ")"));
        return String.join(", ", out);
    }
}
