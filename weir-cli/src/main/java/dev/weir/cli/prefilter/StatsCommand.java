package dev.weir.cli.prefilter;

import java.io.PrintWriter;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

import dev.weir.agent.prefilter.PrefilterManager;
import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import dev.weir.cli.output.Table;
import dev.weir.datapath.DropReason;
import dev.weir.datapath.prefilter.PrefilterMaps;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code weir prefilter stats [--watch]}: packets and bytes per verdict reason and per rule. */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = {"Counters per verdict reason (summed over CPUs) and per rule; --watch adds rates.",
                "VERDICT is PASS, DROP, EVENT, or WOULD-DROP for drops in dry run (the packet passed: a dry-run",
                "rule, or the whole prefilter in dry run); a would-drop is counted there, not as a PASS.",
                "With the redirect stage on (spec.redirect), REDIRECT lists packets for local pods by outcome:",
                "ESTABLISHED and REPLY went to the pod's veth (XDP_REDIRECT); the others took the TC path, by why",
                "(docs/prefilter-datapath.md, \"Redirect to local pods\").",
                "On a node's namespace whose agent runs: the node's prefilter's, read through its agent."})
final class StatsCommand implements Runnable {

    @Mixin
    ScopeOptions scope;

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json.")
    OutputFormat output;

    @Option(names = {"-w", "--watch"}, description = "Print again every interval, with rates.")
    boolean watch;

    @Option(names = "--interval", defaultValue = "1", paramLabel = "SECONDS", description = "Watch interval (default: ${DEFAULT-VALUE}).")
    double interval;

    @Option(names = "--count", defaultValue = "0", paramLabel = "N", description = "Stop watching after N intervals (0: until interrupted).")
    int count;

    record ReasonRow(int code, String reason, String verdict, long packets, long bytes, Double pps) {
    }

    record RuleRow(int rule, long packets, long bytes, Double pps) {
    }

    /** A per-CPU TCP counter: SYN (TCP SYNs seen), COOKIE-SENT, COOKIE-VALID (the SYN proxy). */
    record TcpRow(String counter, long packets, long[] perCpu) {
    }

    /** A redirect stage outcome: PATH is XDP_REDIRECT (ESTABLISHED, REPLY) or TC (why a packet took the TC path). */
    record RedirectRow(String outcome, String path, long packets, long bytes, Double pps) {
    }

    record Stats(String scope, List<ReasonRow> reasons, List<RuleRow> rules, List<TcpRow> tcp, List<RedirectRow> redirect) {
    }

    /**
     * Counters as read at one time: per reason code (carried out, and dry run) and per rule id, {packets, bytes};
     * per TCP counter (0 SYNs, 1 cookies sent, 2 valid cookies), packets per CPU.
     */
    record Counts(Map<Integer, long[]> reasons, Map<Integer, long[]> wouldDrop, Map<Integer, long[]> rules,
                  Map<Integer, long[]> tcp, Map<Integer, long[]> redirect) {
    }

    private static final List<String> TCP_NAMES = List.of("SYN", "COOKIE-SENT", "COOKIE-VALID");

    @Override
    public void run() {
        Supplier<Counts> counters = scope.agent().<Supplier<Counts>>map(a -> () -> {
            var s = a.status();
            return new Counts(NodeAgentPrefilter.reasons(s, "reasons"), NodeAgentPrefilter.reasons(s, "wouldDrop"),
                    NodeAgentPrefilter.rules(s), NodeAgentPrefilter.tcp(s), NodeAgentPrefilter.reasons(s, "redirectStats"));
        }).orElseGet(() -> {
            PrefilterManager manager = scope.manager();
            return () -> new Counts(manager.reasonCounters(), manager.wouldDropCounters(), manager.ruleCounters(),
                    manager.tcpCounters(), manager.redirectCounters());
        });
        PrintWriter out = new PrintWriter(System.out, true);
        Stats prev = snapshot(counters.get(), null, 0);
        print(out, prev);
        for (int i = 0; watch && (count == 0 || i < count); i++) {
            sleep();
            Stats now = snapshot(counters.get(), prev, interval);
            print(out, now);
            prev = now;
        }
    }

    private void print(PrintWriter out, Stats s) {
        if (output == OutputFormat.json) {
            Json.print(out, s);
            return;
        }
        if (watch) {
            out.println("--- " + LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + " " + s.scope());
        }
        Table t = new Table("REASON", "CODE", "VERDICT", "PACKETS", "BYTES", watch ? "PPS" : "");
        s.reasons().forEach(r -> t.row(r.reason(), r.code(), r.verdict(), r.packets(), r.bytes(), rate(r.pps())));
        t.print(out);
        if (!s.rules().isEmpty()) {
            out.println();
            Table rt = new Table("RULE", "PACKETS", "BYTES", watch ? "PPS" : "");
            s.rules().forEach(r -> rt.row(r.rule() == 0 ? "(unattributed)" : r.rule(), r.packets(), r.bytes(), rate(r.pps())));
            rt.print(out);
        }
        if (!s.tcp().isEmpty()) {
            out.println();
            int cpus = s.tcp().getFirst().perCpu().length;
            List<Object> header = new ArrayList<>(List.of("TCP", "PACKETS"));
            for (int c = 0; c < cpus; c++) {
                header.add("CPU" + c);
            }
            Table tt = new Table(header.stream().map(String::valueOf).toArray(String[]::new));
            for (TcpRow r : s.tcp()) {
                List<Object> row = new ArrayList<>(List.of(r.counter(), r.packets()));
                for (long v : r.perCpu()) {
                    row.add(v);
                }
                tt.row(row.toArray());
            }
            tt.print(out);
        }
        if (s.redirect().stream().anyMatch(r -> r.packets() > 0)) {
            out.println();
            Table rd = new Table("REDIRECT", "PATH", "PACKETS", "BYTES", watch ? "PPS" : "");
            s.redirect().forEach(r -> rd.row(r.outcome(), r.path(), r.packets(), r.bytes(), rate(r.pps())));
            rd.print(out);
        }
    }

    private static String rate(Double pps) {
        return pps == null ? "" : String.format("%.1f", pps);
    }

    private Stats snapshot(Counts m, Stats prev, double seconds) {
        List<ReasonRow> rr = new ArrayList<>();
        // every slot of the per-reason map is listed, most of them no reason at all: only counted ones are named
        new TreeMap<>(m.reasons()).forEach((code, v) -> {
            if (v[0] > 0) {
                reasonRow(rr, code, DropReason.of(code).verdict(), v, prev, seconds);
            }
        });
        new TreeMap<>(m.wouldDrop()).forEach((code, v) -> reasonRow(rr, code, DropReason.WOULD_DROP, v, prev, seconds));
        List<RuleRow> rules = new ArrayList<>();
        new TreeMap<>(m.rules()).forEach((id, v) -> {
            if (v[0] > 0) {
                Double pps = prev == null ? null : (v[0] - prevRule(prev, id)) / seconds;
                rules.add(new RuleRow(id, v[0], v[1], pps));
            }
        });
        List<TcpRow> tcp = new ArrayList<>();
        new TreeMap<>(m.tcp()).forEach((k, perCpu) -> {
            if (k < TCP_NAMES.size() && (k == 0 || java.util.Arrays.stream(perCpu).sum() > 0)) {
                tcp.add(new TcpRow(TCP_NAMES.get(k), java.util.Arrays.stream(perCpu).sum(), perCpu));
            }
        });
        List<RedirectRow> redirect = new ArrayList<>();
        new TreeMap<>(m.redirect()).forEach((k, v) -> {
            if (k < PrefilterMaps.RDR_OUTCOMES.size()) {
                String name = PrefilterMaps.RDR_OUTCOMES.get(k);
                Double pps = prev == null ? null : (v[0] - prev.redirect().stream().filter(r -> r.outcome().equals(name))
                        .mapToLong(RedirectRow::packets).findFirst().orElse(0)) / seconds;
                redirect.add(new RedirectRow(name, k <= PrefilterMaps.RDR_REPLY ? "XDP_REDIRECT" : "TC", v[0], v[1], pps));
            }
        });
        return new Stats(scope.scope(), rr, rules, tcp, redirect);
    }

    private static void reasonRow(List<ReasonRow> out, int code, String verdict, long[] v, Stats prev, double seconds) {
        if (v[0] == 0) {
            return;
        }
        Double pps = prev == null ? null : (v[0] - prevReason(prev, code, verdict)) / seconds;
        out.add(new ReasonRow(code, DropReason.of(code).name(), verdict, v[0], v[1], pps));
    }

    private static long prevReason(Stats s, int code, String verdict) {
        return s.reasons().stream().filter(r -> r.code() == code && r.verdict().equals(verdict))
                .mapToLong(ReasonRow::packets).findFirst().orElse(0);
    }

    private static long prevRule(Stats s, int id) {
        return s.rules().stream().filter(r -> r.rule() == id).mapToLong(RuleRow::packets).findFirst().orElse(0);
    }

    private void sleep() {
        try {
            Thread.sleep((long) (interval * 1000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }
}
