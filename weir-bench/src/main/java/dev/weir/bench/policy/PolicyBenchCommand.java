package dev.weir.bench.policy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.weir.bench.prefilter.PrefilterBenchCommand;
import dev.weir.datapath.Datapath;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.ebpf.BpfException;
import dev.weir.ebpf.Features;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weir-bench policy}: the endpoint datapath's per-packet cost (no policy; 1,000 identities with
 * 10,000 entries; established) through {@code BPF_PROG_TEST_RUN}, and the time from apply of 1,000
 * NetworkPolicies over 1,000 endpoints to enforced. Loads its objects unpinned and attaches nothing:
 * when the process ends, nothing is left.
 */
@Command(name = "policy", mixinStandardHelpOptions = true,
        description = {"Per-packet cost of weir's TC endpoint program (BPF_PROG_TEST_RUN) and the time from apply",
                "of 1,000 NetworkPolicies over 1,000 endpoints to enforced. Needs root; no lab, nothing pinned."})
public final class PolicyBenchCommand implements Callable<Integer> {

    @Option(names = "--repeat", paramLabel = "N", description = "packets per test run (default 1,000,000; --quick 100,000)")
    Integer repeat;

    @Option(names = "--rounds", paramLabel = "N", description = "interleaved TC rounds (default 9; --quick 3)")
    Integer rounds;

    @Option(names = "--apply-rounds", paramLabel = "N", description = "apply rounds, the first cold (default 7; --quick 3)")
    Integer applyRounds;

    @Option(names = "--quick", description = "fewer rounds and packets: a smoke run")
    boolean quick;

    @Option(names = "--only", paramLabel = "tc|apply", description = "one part only")
    String only;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the results as JSON")
    Path json;

    @Override
    public Integer call() {
        if (!"root".equals(System.getProperty("user.name"))) {
            System.err.println("weir-bench: loading BPF programs needs root (sudo)");
            return 3;
        }
        if (only != null && !only.equals("tc") && !only.equals("apply")) {
            System.err.println("weir-bench: --only tc or --only apply, not " + only);
            return 2;
        }
        int rep = repeat != null ? repeat : quick ? 100_000 : 1_000_000;
        int rnd = rounds != null ? rounds : quick ? 3 : 9;
        int arnd = applyRounds != null ? applyRounds : quick ? 3 : 7;
        if (rep < 1 || rnd < 1 || arnd < 1) {
            System.err.println("weir-bench: --repeat, --rounds and --apply-rounds must be positive");
            return 2;
        }
        long start = System.nanoTime();
        PolicyReport report = new PolicyReport(header(rep, rnd, arnd));
        try {
            if (only == null || only.equals("tc")) {
                tc(report, new TcRunner(rep, rnd));
            }
            if (only == null || only.equals("apply")) {
                ApplyBench apply = new ApplyBench();
                for (int i = 0; i < arnd; i++) {
                    PrefilterBenchCommand.progress("apply round " + (i + 1) + " of " + arnd);
                    report.add(apply.round());
                }
            }
            report.note(String.format("run took %.0f s", (System.nanoTime() - start) / 1e9));
            report.print(System.out);
            if (json != null) {
                report.writeJson(json);
                System.err.println("weir-bench: wrote " + json);
            }
            return 0;
        } catch (BpfException | IllegalStateException | IllegalArgumentException | IOException e) {
            System.err.println("weir-bench: " + e.getMessage());
            return 1;
        }
    }

    private static void tc(PolicyReport report, TcRunner runner) {
        PrefilterBenchCommand.progress("TC: loading tc_endpoint twice and filling 1,000 identities / 10,000 entries");
        try (TcCost tc = new TcCost()) {
            PrefilterBenchCommand.progress("TC: measuring 6 cases x " + runner.rounds() + " rounds");
            tc.measure(runner).forEach(report::add);
            long[] ev = tc.events();
            report.note(String.format("flow events during the TC runs: %,d written, %,d lost — the ring buffer is not"
                    + " drained here, so once full each event of a new connection or drop is a failed reservation"
                    + " (counted EVENTS_LOST)", ev[0], ev[1]));
        }
    }

    private static Map<String, Object> header(int repeat, int rounds, int applyRounds) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("benchmark", "weir endpoint policy: TC per-packet cost (BPF_PROG_TEST_RUN) and apply-to-enforced time");
        h.put("date", Instant.now().toString());
        h.put("kernel", Features.kernel());
        h.put("cpu", PrefilterBenchCommand.cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs");
        h.put("java", Runtime.version().toString());
        h.put("repeat", String.format("%,d packets per test run", repeat));
        h.put("rounds", rounds + " TC rounds, cases interleaved (order alternating); " + applyRounds + " apply rounds");
        h.put("cells", "median (min–max) over rounds of the kernel's ns/packet; ratio = median of per-round case/no-policy-new");
        h.put("weir", EndpointMaps.OBJECT + ".o sha256:" + PrefilterBenchCommand.sha256(Datapath.object(EndpointMaps.OBJECT))
                + ", program " + EndpointMaps.TO_EP + " (the pod's ingress), skb on lo (ifindex 1)");
        h.put("new connections", "ep_cfg.ct_syn_ns = 1 ns: each SYN run finds the previous run's entry expired and"
                + " is a new connection (policy decision + conntrack write + flow event)");
        h.put("floor", "tc_ok_floor.o: returns TC_ACT_OK, nothing else");
        return h;
    }
}
