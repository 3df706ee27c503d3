package dev.weir.bench.services;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

import dev.weir.bench.prefilter.Stat;

/** Prints the services benchmark's tables: connect rates per mode, the ratios the issue targets, restore timings. */
final class ServicesReport {

    private ServicesReport() {
    }

    static void print(PrintStream out, List<Mode> modes, List<Integer> counts, Sweep.Result r,
                      RestoreTiming.Result restore, int restoreServices, int restoreEndpoints) {
        out.println("new connections/s, median (min–max) over rounds");
        StringBuilder head = new StringBuilder(String.format("%-10s %-22s", "services", "target"));
        for (Mode m : modes) {
            head.append(String.format(" %-26s", m.name()));
        }
        out.println(head);
        out.println(String.format("%-10s %-22s %-26s", "—", "pod IP, no rules", rate(r.noRules())));
        for (int n : counts) {
            for (boolean cluster : new boolean[] {true, false}) {
                StringBuilder row = new StringBuilder(String.format("%-10s %-22s", String.format("%,d", n),
                        cluster ? "ClusterIP (last svc)" : "its pod IPs"));
                for (Mode m : modes) {
                    String cell = m.unavailable().map(why -> "n/a (" + why + ")")
                            .orElseGet(() -> rate(r.rates().get(new Sweep.Key(m.name(), n, cluster))));
                    row.append(String.format(" %-26s", cell));
                }
                out.println(row);
            }
        }
        out.printf("%ncompleted connections: %,d; failed: %,d%n", r.connections(), r.errors());

        out.println();
        out.println("ratios (median of per-round ratios)");
        int lo = counts.stream().mapToInt(Integer::intValue).min().orElseThrow();
        int hi = counts.stream().mapToInt(Integer::intValue).max().orElseThrow();
        for (Mode m : modes) {
            if (m.unavailable().isPresent()) {
                out.printf("%-12s n/a (%s)%n", m.name(), m.unavailable().get());
                continue;
            }
            for (int n : counts) {
                if (n == lo) {
                    continue;
                }
                List<Double> at = r.rates().get(new Sweep.Key(m.name(), n, true));
                List<Double> pod = r.rates().get(new Sweep.Key(m.name(), n, false));
                out.printf("%-12s %,7d services: ClusterIP / ClusterIP at %,d: %.2f; ClusterIP / pod IP: %.2f;"
                                + " pod IP / pod IP without rules: %.2f%n",
                        m.name(), n, lo, ratio(at, r.rates().get(new Sweep.Key(m.name(), lo, true))), ratio(at, pod),
                        ratio(pod, r.noRules()));
            }
        }
        out.println();
        out.println("ClusterIP / pod IP directly (same mode, same round; median of per-round ratios; socket target >= 0.95)");
        for (Mode m : modes) {
            if (m.unavailable().isEmpty()) {
                StringBuilder row = new StringBuilder(String.format("%-12s", m.name()));
                for (int n : counts) {
                    row.append(String.format("  %,d: %.2f", n, ratio(r.rates().get(new Sweep.Key(m.name(), n, true)),
                            r.rates().get(new Sweep.Key(m.name(), n, false)))));
                }
                out.println(row);
            }
        }
        int at = counts.contains(10_000) ? 10_000 : hi;
        out.printf("targets (issue): weir ClusterIP at %,d >= 0.9 x at %,d and >= 3 x iptables at %,d;"
                + " weir socket within 5%% of the pod IP%n", at, lo, at);

        out.println();
        out.println("install (the mode's apply step, seconds; median (min–max))");
        for (Mode m : modes) {
            if (m.unavailable().isEmpty()) {
                StringBuilder row = new StringBuilder(String.format("%-12s", m.name()));
                for (int n : counts) {
                    row.append(String.format("  %,d: %s", n, secs(r.installs().get(new Sweep.Key(m.name(), n, true)))));
                }
                out.println(row);
            }
        }
        printRestore(out, restore, restoreServices, restoreEndpoints);
    }

    /** The iptables-restore timings; nothing when not measured. */
    static void printRestore(PrintStream out, RestoreTiming.Result restore, int restoreServices, int restoreEndpoints) {
        if (restore != null) {
            out.println();
            out.printf("iptables-restore, %,d services x %d endpoints (%,d chains, %,d rules, %,d bytes of input), seconds%n",
                    restoreServices, restoreEndpoints, restore.chains(), restore.rules(), restore.inputBytes());
            out.printf("  apply into an empty nat table:                    %s%n", secs(restore.apply()));
            out.printf("  change one endpoint, full sync (all chains):      %s%n", secs(restore.changeFull()));
            out.printf("  change one endpoint, partial sync (1.28+ style):  %s%n", secs(restore.changePartial()));
        }
    }

    /** weir's apply timings beside iptables-restore's, with ratios (iptables / weir: above 1, weir is faster). */
    static void printWeirApply(PrintStream out, WeirApplyTiming.Result weir, RestoreTiming.Result restore, int services,
                               int endpoints) {
        if (weir == null) {
            return;
        }
        out.println();
        out.printf("weir apply, %,d services x %d endpoints (%,d objects, %,d bytes of YAML), seconds until every node enforces%n",
                services, endpoints, weir.objects(), weir.inputBytes());
        out.printf("  apply into an empty store:                        %s%s%n", secs(weir.apply()),
                restore == null ? "" : vs(restore.apply(), weir.apply(), "iptables-restore apply"));
        out.printf("  change one endpoint, whole file applied again:    %s%s%n", secs(weir.changeWhole()),
                restore == null ? "" : vs(restore.changeFull(), weir.changeWhole(), "full sync"));
        out.printf("  change one endpoint, only its EndpointSlice:      %s%s%n", secs(weir.changeOne()),
                restore == null ? "" : vs(restore.changePartial(), weir.changeOne(), "partial sync"));
        out.println("  (the three above: wall time of `weir apply`, its JVM start included)");
        if (!weir.apiEnforced().isEmpty()) {
            out.printf("change one endpoint, only its EndpointSlice, through the agent API (%d changes), seconds%n",
                    weir.apiEnforced().size());
            out.printf("  apply request answered (parse, check, commit):  %s%n", secs3(weir.apiCommit()));
            out.printf("  request sent -> every node enforces:            %s%s%n", secs3(weir.apiEnforced()),
                    restore == null ? "" : vs(restore.changePartial(), weir.apiEnforced(), "partial sync"));
        }
        if (!weir.apiTimings().isEmpty()) {
            out.printf("  in the writer agent, last change: %s%n", weir.apiTimings().getLast());
        }
        weir.memory().forEach((node, m) -> out.printf("agent memory with them installed, %s: %s%n", node, m));
        weir.scrapes().forEach((node, m) -> out.printf("one Prometheus scrape of its metrics with them installed, %s: %s%n", node, m));
    }

    static String secs3(List<Double> v) {
        if (v == null || v.isEmpty()) {
            return "—";
        }
        return String.format("%.3f (%.3f–%.3f)", Stat.median(v), min(v), max(v));
    }

    private static String vs(List<Double> iptables, List<Double> weir, String what) {
        return String.format("   (%s / weir: %.2f)", what, Stat.median(iptables) / Stat.median(weir));
    }

    static String rate(List<Double> v) {
        if (v == null || v.isEmpty()) {
            return "—";
        }
        return String.format("%,.0f (%,.0f–%,.0f)", Stat.median(v), min(v), max(v));
    }

    static String secs(List<Double> v) {
        if (v == null || v.isEmpty()) {
            return "—";
        }
        return String.format("%.2f (%.2f–%.2f)", Stat.median(v), min(v), max(v));
    }

    static double ratio(List<Double> a, List<Double> b) {
        if (a == null || b == null || a.size() != b.size()) {
            return Double.NaN;
        }
        List<Double> r = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            r.add(a.get(i) / b.get(i));
        }
        return Stat.median(r);
    }

    private static double min(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    }

    private static double max(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    }
}
