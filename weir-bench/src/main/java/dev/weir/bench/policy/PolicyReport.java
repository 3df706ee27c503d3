package dev.weir.bench.policy;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.weir.bench.prefilter.Stat;

/** The policy benchmark's results: TC per-packet rows and apply rounds, as tables and JSON. Not thread-safe. */
final class PolicyReport {

    /** One TC case: ns/packet over rounds and the median per-round ratio to the no-policy new connection. */
    record TcRow(String key, String label, String reason, Stat ns, double ratio) {
    }

    private final Map<String, Object> header;
    private final List<TcRow> tc = new ArrayList<>();
    private final List<ApplyBench.Round> apply = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    PolicyReport(Map<String, Object> header) {
        this.header = header;
    }

    void add(TcRow r) {
        tc.add(r);
    }

    void add(ApplyBench.Round r) {
        apply.add(r);
    }

    void note(String n) {
        notes.add(n);
    }

    void print(PrintStream out) {
        header.forEach((k, v) -> out.println("# " + k + ": " + v));
        if (!tc.isEmpty()) {
            out.println();
            out.printf("%-44s %-18s %-18s %s%n", "TC case (weir_to_ep, BPF_PROG_TEST_RUN)", "ns/pkt", "vs no policy", "counted as");
            for (TcRow r : tc) {
                out.printf("%-44s %-18s %-18s %s%n", r.label(), r.ns().cell(), String.format("%.2f", r.ratio()), r.reason());
            }
        }
        if (!apply.isEmpty()) {
            ApplyBench.Round f = apply.getFirst();
            out.println();
            out.printf("apply: %,d NetworkPolicies over %,d endpoints -> %,d identities, %,d ipcache, %,d pol entries%n",
                    f.policies(), f.endpoints(), f.identities(), f.ipcache(), f.polEntries());
            out.printf("%-22s %-10s %-10s %-10s %-10s %s%n", "round", "parse", "resolve", "compile", "write", "to enforced");
            for (int i = 0; i < apply.size(); i++) {
                ApplyBench.Round r = apply.get(i);
                out.printf("%-22s %-10s %-10s %-10s %-10s %s%n", i == 0 ? "1 (cold JVM)" : String.valueOf(i + 1),
                        ms(r.parseNs()), ms(r.resolveNs()), ms(r.compileNs()), ms(r.writeNs()), ms(r.totalNs()));
            }
            if (apply.size() > 2) {
                List<ApplyBench.Round> warm = apply.subList(1, apply.size());
                out.printf("%-22s %-10s %-10s %-10s %-10s %s%n", "median of warm rounds",
                        ms(med(warm, ApplyBench.Round::parseNs)), ms(med(warm, ApplyBench.Round::resolveNs)),
                        ms(med(warm, ApplyBench.Round::compileNs)), ms(med(warm, ApplyBench.Round::writeNs)),
                        ms(med(warm, ApplyBench.Round::totalNs)));
            }
        }
        if (!notes.isEmpty()) {
            out.println();
            notes.forEach(n -> out.println("note: " + n));
        }
    }

    private static double med(List<ApplyBench.Round> rounds, java.util.function.ToLongFunction<ApplyBench.Round> f) {
        return Stat.median(rounds.stream().map(r -> (double) f.applyAsLong(r)).toList());
    }

    private static String ms(double ns) {
        return String.format("%.0f ms", ns / 1e6);
    }

    void writeJson(Path file) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("header", header);
        root.put("tc_unit", "ns per packet, BPF_PROG_TEST_RUN duration (kernel average per run)");
        root.put("tc", tc);
        root.put("apply_unit", "ns per stage, wall clock");
        root.put("apply", apply.stream().map(r -> Map.of("parse", r.parseNs(), "resolve", r.resolveNs(),
                "compile", r.compileNs(), "write", r.writeNs(), "total", r.totalNs(), "pol_entries", r.polEntries(),
                "identities", r.identities(), "ipcache", r.ipcache())).toList());
        root.put("notes", notes);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), root);
    }
}
