package dev.weir.cli.prefilter;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.agent.prefilter.Capacity;
import dev.weir.agent.prefilter.PrefilterRule;
import dev.weir.agent.prefilter.PrefilterState;
import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import dev.weir.cli.output.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code weir prefilter list}: rules with their hit counters, like {@code xdp-filter status}. */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = {"List the scope's settings, attachments and rules with per-rule hit counters.",
                "On a node's namespace whose agent runs: the node's prefilter as its agent enforces it, with the",
                "WeirPrefilter objects each rule comes from (FROM)."})
final class ListCommand implements Runnable {

    @Mixin
    ScopeOptions scope;

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json.")
    OutputFormat output;

    /** One rule; {@code objects}: the WeirPrefilter objects it comes from (a node's prefilter only). */
    record RuleRow(int id, String action, String src, String dst, String proto, String dport, boolean dryRun, long packets,
                   long bytes, @JsonInclude(JsonInclude.Include.NON_NULL) List<String> objects) {
    }

    /** {@code node}, {@code objects}: the node and its selecting WeirPrefilter objects (a node's prefilter only). */
    record Listing(String scope, String mode, boolean dryRun, long ratePps, long rateBurst, long sampleEvery, int maxPrefixes,
                   int maxRules, Map<String, String> attachments, List<RuleRow> rules,
                   @JsonInclude(JsonInclude.Include.NON_NULL) String node,
                   @JsonInclude(JsonInclude.Include.NON_NULL) List<String> objects, boolean redirect) {
    }

    @Override
    public void run() {
        Listing l = scope.agent().map(a -> fromAgent(a.status())).orElseGet(this::standalone);
        PrintWriter out = new PrintWriter(System.out, true);
        if (output == OutputFormat.json) {
            Json.print(out, l);
            return;
        }
        out.println("scope " + l.scope() + (l.node() == null ? "" : " (node " + l.node() + ", WeirPrefilter "
                + (l.objects().isEmpty() ? "none" : String.join(", ", l.objects())) + ")") + ": mode " + l.mode()
                + (l.dryRun() ? " in dry run (drops nothing)" : "")
                + (l.redirect() ? ", redirect to local pods on" : "")
                + (l.ratePps() > 0 ? ", rate limit " + l.ratePps() + " pps/source (burst " + l.rateBurst() + ")" : ", no rate limit")
                + ", attached to " + (l.attachments().isEmpty() ? "nothing" : l.attachments()));
        Table t = l.node() == null ? new Table("ID", "ACTION", "MATCH", "PACKETS", "BYTES")
                : new Table("ID", "ACTION", "MATCH", "PACKETS", "BYTES", "FROM");
        for (RuleRow r : l.rules()) {
            PrefilterRule rule = new PrefilterState.RuleJson(r.id(), r.action(), r.src(), r.dst(), r.proto(), r.dport(),
                    r.dryRun()).toRule();
            t.row(r.id(), r.action(), rule.describe().replaceFirst("^(deny|allow) ", ""), r.packets(), r.bytes(),
                    r.objects() == null ? null : String.join(",", r.objects()));
        }
        t.print(out);
    }

    private Listing standalone() {
        var manager = scope.manager();
        PrefilterState st = manager.state(Capacity.DEFAULT);
        Map<Integer, long[]> hits = manager.ruleCounters();
        List<RuleRow> rows = new ArrayList<>();
        for (PrefilterRule r : st.rules().rules()) {
            long[] h = hits.getOrDefault(r.id(), new long[2]);
            rows.add(new RuleRow(r.id(), r.action().name().toLowerCase(), str(r.src()), str(r.dst()),
                    r.proto() == null ? null : r.proto().lower(), str(r.dport()), r.dryRun(), h[0], h[1], null));
        }
        var s = st.rules().settings();
        return new Listing(scope.scope(), s.mode().name().toLowerCase(), s.dryRun(), s.ratePps(), s.rateBurst(), s.sampleEvery(),
                st.capacity().prefixes(), st.capacity().rules(), st.attachments(), rows, null, null, s.redirect());
    }

    private Listing fromAgent(JsonNode s) {
        List<RuleRow> rows = new ArrayList<>();
        for (JsonNode r : s.path("rules")) {
            rows.add(new RuleRow(r.path("id").asInt(), r.path("action").asText(), text(r, "src"), text(r, "dst"),
                    text(r, "proto"), text(r, "dport"), r.path("dryRun").asBoolean(), r.path("packets").asLong(),
                    r.path("bytes").asLong(),
                    NodeAgentPrefilter.strings(r.path("objects"))));
        }
        Map<String, String> attachments = new TreeMap<>();
        s.path("attachments").fields().forEachRemaining(e -> attachments.put(e.getKey(), e.getValue().asText()));
        return new Listing(scope.scope(), s.path("mode").asText(), s.path("dryRun").asBoolean(), s.path("ratePps").asLong(),
                s.path("rateBurst").asLong(),
                s.path("sampleEvery").asLong(), s.path("maxPrefixes").asInt(Capacity.DEFAULT.prefixes()),
                s.path("maxRules").asInt(Capacity.DEFAULT.rules()), attachments, rows, s.path("node").asText(),
                NodeAgentPrefilter.strings(s.path("objects")), s.path("redirect").asBoolean());
    }

    private static String text(JsonNode n, String field) {
        return n.path(field).isTextual() ? n.path(field).asText() : null;
    }

    private static String str(Object o) {
        return o == null ? null : o.toString();
    }
}
