package dev.weir.cli.diagnose;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code weir diagnose}: the troubleshooting table as checks, each with a verdict and its evidence. */
@Command(name = "diagnose", mixinStandardHelpOptions = true,
        header = "Run the troubleshooting checks; explain one connection (path); collect a bundle.",
        description = {
                "Run the troubleshooting table as checks: each says ok, warn, fail or skipped (with the reason), why,",
                "and the evidence it read (agents' API and metrics, the kernel's programs, maps and links, `ip` and",
                "`tc` in the nodes' namespaces). Checks: agents, xdp-drops (tcpdump sees nothing), cross-node",
                "(pod to pod fails only across nodes), services (service IP fails but pod IP works), dns-egress",
                "(DNS blocked after a policy rollout), new-connections (only new connections fail), agent-cpu,",
                "kernel-features (verifier rejection after an upgrade), map-pressure, lost-events,",
                "foreign-programs (on weir's hooks), skew (clock and version). Changes nothing.",
                "Exit 0 when no check fails (warnings allowed), 1 when one fails or nothing could be read, 2 for bad input."},
        subcommands = {PathCommand.class, BundleCommand.class})
public final class DiagnoseCommand implements Callable<Integer> {

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json.")
    OutputFormat output;

    @Option(names = "--node", paramLabel = "NAME", description = "Only this node's agent (default: every agent of this machine).")
    String node;

    @Override
    public Integer call() {
        List<Check> checks = Checks.run(FactsReader.read(node, dev.weir.cli.VersionCommand.weirVersion()));
        PrintWriter out = new PrintWriter(System.out, true);
        if (output == OutputFormat.json) {
            Json.print(out, Map.of("checks", checks, "summary", summary(checks)));
        } else {
            print(out, checks);
        }
        return checks.stream().anyMatch(c -> c.verdict() == Check.Verdict.fail) ? 1 : 0;
    }

    /** Checks by verdict: {@code {"ok": 9, "warn": 1, "fail": 0, "skipped": 2}}. */
    static Map<String, Long> summary(List<Check> checks) {
        Map<String, Long> out = new TreeMap<>();
        for (Check.Verdict v : Check.Verdict.values()) {
            out.put(v.name(), checks.stream().filter(c -> c.verdict() == v).count());
        }
        return out;
    }

    /** One block per check: verdict, id and symptom, the summary, the evidence lines. */
    static void print(PrintWriter out, List<Check> checks) {
        for (Check c : checks) {
            out.printf("%-9s %s: %s%n", "[" + c.verdict() + "]", c.id(), c.symptom());
            out.println("          " + c.summary());
            c.evidence().forEach(e -> out.println("            - " + e));
        }
        Map<String, Long> s = summary(checks);
        out.println(s.get("ok") + " ok, " + s.get("warn") + " warn, " + s.get("fail") + " fail, " + s.get("skipped") + " skipped");
        out.flush();
    }
}
