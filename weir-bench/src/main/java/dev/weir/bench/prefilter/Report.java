package dev.weir.bench.prefilter;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * The benchmark's results: comparison rows (weir beside xdp-filter) and LPM sweep rows, printed as
 * aligned tables and written as JSON. Filled by the command as phases finish; not thread-safe.
 */
final class Report {

    /**
     * One comparison line. {@code xdpf} / {@code xdpfAll} are null where xdp-filter has nothing to
     * compare (the floor) and the ratios then too.
     */
    record Row(String key, String label, Stat weir, Stat xdpf, Double ratio, Stat xdpfAll, Double ratioAll) {
    }

    /** One sweep size: IPv4 and IPv6 matched/unmatched, and what installing the rules cost. */
    record SweepRow(int prefixes, Stat v4Matched, Stat v4Unmatched, Stat v6Matched, Stat v6Unmatched,
                    WeirFixture.InstallTiming install) {
    }

    private final Map<String, Object> header;
    private final List<Row> rows = new ArrayList<>();
    private final List<SweepRow> sweep = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final Map<String, WeirFixture.InstallTiming> installs = new LinkedHashMap<>();

    Report(Map<String, Object> header) {
        this.header = header;
    }

    void add(Row r) {
        rows.add(r);
    }

    void add(SweepRow r) {
        sweep.add(r);
    }

    void note(String n) {
        notes.add(n);
    }

    void install(String phase, WeirFixture.InstallTiming t) {
        installs.put(phase, t);
    }

    void print(PrintStream out) {
        header.forEach((k, v) -> out.println("# " + k + ": " + v));
        out.println();
        out.printf("%-44s %-18s %-20s %-8s %-22s %-8s%n", "case", "weir ns/pkt", "xdp-filter ns/pkt",
                "ratio", "xdp-filter(all) ns/pkt", "ratio");
        for (Row r : rows) {
            out.printf("%-44s %-18s %-20s %-8s %-22s %-8s%n", r.label(), r.weir().cell(), cell(r.xdpf()),
                    ratio(r.ratio()), cell(r.xdpfAll()), ratio(r.ratioAll()));
        }
        if (!sweep.isEmpty()) {
            out.println();
            out.println("LPM sweep (weir only): n IPv4 prefixes /16–/32 and n IPv6 prefixes /32–/128, deny source");
            out.printf("%-10s %-16s %-16s %-16s %-16s %s%n", "prefixes", "v4 matched", "v4 unmatched",
                    "v6 matched", "v6 unmatched", "install 2n rules: add + compile + write");
            for (SweepRow s : sweep) {
                var t = s.install();
                out.printf("%-10s %-16s %-16s %-16s %-16s %s%n", String.format("%,d", s.prefixes()),
                        s.v4Matched().cell(), s.v4Unmatched().cell(), s.v6Matched().cell(), s.v6Unmatched().cell(),
                        String.format("%.2f s = %.2f + %.2f + %.2f", seconds(t.addNs() + t.compileNs() + t.writeNs()),
                                seconds(t.addNs()), seconds(t.compileNs()), seconds(t.writeNs())));
            }
        }
        if (!notes.isEmpty()) {
            out.println();
            notes.forEach(n -> out.println("note: " + n));
        }
    }

    void writeJson(Path file) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("header", header);
        root.put("unit", "ns per packet, BPF_PROG_TEST_RUN duration (kernel average per run)");
        root.put("rows", rows.stream().map(Report::json).toList());
        root.put("sweep", sweep.stream().map(Report::json).toList());
        root.put("install", installs);
        root.put("notes", notes);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), root);
    }

    private static Map<String, Object> json(Row r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", r.key());
        m.put("label", r.label());
        m.put("weir", r.weir());
        m.put("xdp_filter_ipv4", r.xdpf());
        m.put("ratio", r.ratio());
        m.put("xdp_filter_all", r.xdpfAll());
        m.put("ratio_all", r.ratioAll());
        return m;
    }

    private static Map<String, Object> json(SweepRow s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("prefixes", s.prefixes());
        m.put("v4_matched", s.v4Matched());
        m.put("v4_unmatched", s.v4Unmatched());
        m.put("v6_matched", s.v6Matched());
        m.put("v6_unmatched", s.v6Unmatched());
        m.put("install", s.install());
        return m;
    }

    private static String cell(Stat s) {
        return s == null ? "—" : s.cell();
    }

    private static String ratio(Double r) {
        return r == null ? "—" : String.format("%.2f", r);
    }

    private static double seconds(long ns) {
        return ns / 1e9;
    }
}
