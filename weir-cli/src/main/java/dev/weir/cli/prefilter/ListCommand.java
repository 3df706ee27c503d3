package dev.weir.cli.prefilter;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
        description = "List the scope's settings, attachments and rules with per-rule hit counters.")
final class ListCommand implements Runnable {

    @Mixin
    ScopeOptions scope;

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json.")
    OutputFormat output;

    record RuleRow(int id, String action, String src, String dst, String proto, String dport, long packets, long bytes) {
    }

    record Listing(String scope, String mode, long ratePps, long rateBurst, long sampleEvery, int maxPrefixes,
                   int maxRules, Map<String, String> attachments, List<RuleRow> rules) {
    }

    @Override
    public void run() {
        var manager = scope.manager();
        PrefilterState st = manager.state(Capacity.DEFAULT);
        Map<Integer, long[]> hits = manager.ruleCounters();
        List<RuleRow> rows = new ArrayList<>();
        for (PrefilterRule r : st.rules().rules()) {
            long[] h = hits.getOrDefault(r.id(), new long[2]);
            rows.add(new RuleRow(r.id(), r.action().name().toLowerCase(), str(r.src()), str(r.dst()),
                    r.proto() == null ? null : r.proto().lower(), str(r.dport()), h[0], h[1]));
        }
        var s = st.rules().settings();
        Listing l = new Listing(scope.scope(), s.mode().name().toLowerCase(), s.ratePps(), s.rateBurst(), s.sampleEvery(),
                st.capacity().prefixes(), st.capacity().rules(), st.attachments(), rows);
        PrintWriter out = new PrintWriter(System.out, true);
        if (output == OutputFormat.json) {
            Json.print(out, l);
            return;
        }
        out.println("scope " + l.scope() + ": mode " + l.mode()
                + (l.ratePps() > 0 ? ", rate limit " + l.ratePps() + " pps/source (burst " + l.rateBurst() + ")" : ", no rate limit")
                + ", attached to " + (l.attachments().isEmpty() ? "nothing" : l.attachments()));
        Table t = new Table("ID", "ACTION", "MATCH", "PACKETS", "BYTES");
        for (PrefilterRule r : st.rules().rules()) {
            long[] h = hits.getOrDefault(r.id(), new long[2]);
            t.row(r.id(), r.action().name().toLowerCase(), r.describe().replaceFirst("^(deny|allow) ", ""), h[0], h[1]);
        }
        t.print(out);
    }

    private static String str(Object o) {
        return o == null ? null : o.toString();
    }
}
