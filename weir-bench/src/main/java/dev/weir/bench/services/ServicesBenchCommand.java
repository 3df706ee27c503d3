package dev.weir.bench.services;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.weir.bench.prefilter.CannotRunException;
import dev.weir.bench.prefilter.Cleanup;
import dev.weir.bench.prefilter.PrefilterBenchCommand;
import dev.weir.ebpf.Features;
import dev.weir.lab.Lab;
import dev.weir.lab.model.PodRef;
import dev.weir.lab.model.PodSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weir-bench services}: new TCP connections per second (connect, read the reply, close — like
 * netperf's TCP_CRR) from a lab pod to the last of N ClusterIP services and to its backends' pod IPs in turn, for each
 * {@link Mode} side by side in interleaved rounds; plus {@code iptables-restore} timings at scale. Needs
 * root and the lab ({@code scripts/bench-services.sh} brings it up). Everything installed is removed at
 * the end, on failure and on Ctrl-C.
 */
@Command(name = "services", mixinStandardHelpOptions = true,
        description = {"ClusterIP connect rate (TCP_CRR-like) with 1..N services for each mode (kube-proxy-style",
                "iptables, weir TC, weir socket), the backends' pod IPs directly as the baseline, and iptables-restore timings.",
                "Needs root and the lab (weir lab up)."})
public final class ServicesBenchCommand implements Callable<Integer> {

    @Option(names = "--services", split = ",", paramLabel = "N,N,...", description = "service counts (default 1,1000,10000; --quick 1,1000)")
    List<Integer> services;

    @Option(names = "--seconds", paramLabel = "S", description = "seconds per measurement (default 5; --quick 1)")
    Double seconds;

    @Option(names = "--rounds", paramLabel = "N", description = "interleaved rounds (default 5; --quick 1)")
    Integer rounds;

    @Option(names = "--concurrency", paramLabel = "N", description = "connections in flight (default ${DEFAULT-VALUE})")
    int concurrency = 16;

    @Option(names = "--fin", description = "client closes with FIN after the server's (netperf's way) instead of RST"
            + " (SO_LINGER 0); FIN leaves TIME_WAIT at the servers, which rejects reused ports (see docs/benchmarks.md)")
    boolean fin;

    @Option(names = "--client-pod", paramLabel = "NS/POD", description = "where the client runs (default ${DEFAULT-VALUE})")
    String clientPod = "x/a";

    @Option(names = "--backends", split = ",", paramLabel = "NS/POD,...", description = "the services' endpoints, taken in turn (default ${DEFAULT-VALUE})")
    List<String> backends = List.of("x/b", "y/b");

    @Option(names = "--endpoints", paramLabel = "N", description = "endpoints per service (default ${DEFAULT-VALUE})")
    int endpoints = 2;

    @Option(names = "--client", paramLabel = "PATH", description = "the crr-client binary (default: crr-client beside the jar)")
    Path client;

    @Option(names = "--restore-services", paramLabel = "N", description = "services for the restore timing, 0 = skip (default 10000; --quick 1000)")
    Integer restoreServices;

    @Option(names = "--restore-endpoints", paramLabel = "N", description = "endpoints per service for the restore timing (default ${DEFAULT-VALUE})")
    int restoreEndpoints = 10;

    @Option(names = "--restore-rounds", paramLabel = "N", description = "restore timing rounds (default 3; --quick 1)")
    Integer restoreRounds;

    @Option(names = "--api-changes", paramLabel = "N", description = "EndpointSlice changes timed through the agent API per"
            + " restore round, 0 = skip (default ${DEFAULT-VALUE})")
    int apiChanges = 10;

    @Option(names = "--kvstore", paramLabel = "file|etcd", description = "the store the lab's agents must use (checked"
            + " with weir status; scripts/bench-services.sh brings the lab up with it; default: whatever runs)")
    String kvstore;

    @Option(names = "--quick", description = "smoke run: 1 and 1,000 services, 1 round of 1 s, restore of 1,000 services")
    boolean quick;

    static final int PORT = 80;

    /** The columns, in order. */
    static List<Mode> modes(IptablesMode iptables) {
        return List.of(iptables, WeirMode.tc(iptables.serviceSet()), WeirMode.socket(iptables.serviceSet()));
    }

    @Override
    public Integer call() throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) {
            System.err.println("weir-bench: the lab and iptables need root (sudo)");
            return 3;
        }
        Lab lab = Lab.current().orElse(null);
        if (lab == null) {
            System.err.println("weir-bench: the lab is not up; run `weir lab up` (scripts/bench-services.sh does)");
            return 3;
        }
        Settings s = settings();
        Path bin = client != null ? client : jarDir().resolve("crr-client");
        if (!bin.toFile().canExecute()) {
            System.err.println("weir-bench: no crr-client at " + bin + " (scripts/bench-services.sh builds it; or --client PATH)");
            return 3;
        }
        PodSpec from = lab.pod(PodRef.parse(clientPod));
        NodeShell node = new NodeShell(lab.node(from.node()).netns());
        Map<String, String> names = new LinkedHashMap<>();
        List<KubeProxyRules.Endpoint> eps = new ArrayList<>();
        List<NodeShell> nodes = new ArrayList<>(List.of(node));
        for (String b : backends) {
            PodSpec p = lab.pod(PodRef.parse(b));
            names.put(p.ipv4(), p.ref().toString());
            eps.add(new KubeProxyRules.Endpoint(p.ipv4(), PORT));
            NodeShell n = new NodeShell(lab.node(p.node()).netns());
            if (!nodes.contains(n)) {
                nodes.add(n);
            }
        }
        ServiceSet set = new ServiceSet(PORT, endpoints, eps, names);
        IptablesMode iptables = new IptablesMode(node, set);
        try {
            iptables.checkUnused();
        } catch (CannotRunException e) {
            System.err.println("weir-bench: " + e.getMessage());
            return 3;
        }
        String store;
        try {
            store = kvstoreInUse();
        } catch (Exception e) {
            System.err.println("weir-bench: cannot ask the lab's agents which kvstore they use: " + e.getMessage());
            return 3;
        }
        if (kvstore != null && !kvstore.equals(store)) {
            System.err.println("weir-bench: the lab's agents use the " + store + " kvstore, not " + kvstore
                    + " (bin/weir lab down; scripts/bench-services.sh --kvstore " + kvstore + " brings it up so)");
            return 3;
        }
        CrrRun crr = new CrrRun(lab, clientPod, bin, concurrency, !fin);
        List<Mode> modes = modes(iptables);
        Map<String, Object> h = header(s, from, node, set);
        h.put("kvstore", store + " (the lab's agents)");
        try (Cleanup cleanup = new Cleanup()) {
            for (Mode m : modes) {
                cleanup.push("remove " + m.name(), m::remove);
            }
            Sweep sweep = new Sweep(crr, nodes, modes, s.services, s.seconds, s.rounds,
                    podTarget(set));
            Sweep.Result result = sweep.run();
            // the rates first: a later step that fails does not lose them
            h.forEach((k, v) -> System.out.println("# " + k + ": " + v));
            System.out.println();
            ServicesReport.print(System.out, modes, s.services, result, null, s.restoreServices, restoreEndpoints);
            System.out.flush();
            RestoreTiming.Result restore = s.restoreServices > 0
                    ? new RestoreTiming(node, s.restoreServices, restoreEndpoints).measure(s.restoreRounds) : null;
            ServicesReport.printRestore(System.out, restore, s.restoreServices, restoreEndpoints);
            System.out.flush();
            WeirMode weir = modes.stream().filter(m -> m instanceof WeirMode && m.unavailable().isEmpty())
                    .map(m -> (WeirMode) m).findFirst().orElse(null);
            WeirApplyTiming.Result weirApply = s.restoreServices > 0 && weir != null
                    ? new WeirApplyTiming(weir.weir(), s.restoreServices, restoreEndpoints, apiChanges).measure(s.restoreRounds) : null;
            ServicesReport.printWeirApply(System.out, weirApply, restore, s.restoreServices, restoreEndpoints);
            return 0;
        } catch (Sweep.CheckFailed e) {
            System.err.println("weir-bench: check failed: " + e.getMessage());
            return 1;
        }
    }

    /** The kind of kvstore every lab agent reports ({@code file} or {@code etcd}). */
    private static String kvstoreInUse() throws Exception {
        Path weir = Path.of(System.getenv().getOrDefault("WEIR_ROOT", ".")).resolve("bin/weir");
        java.util.TreeSet<String> kinds = new java.util.TreeSet<>();
        for (var a : new com.fasterxml.jackson.databind.ObjectMapper().readTree(WeirMode.run(weir, "status", "-o", "json")).path("nodes")) {
            kinds.add(a.path("kvstore").path("kind").asText("file"));
        }
        if (kinds.size() != 1) {
            throw new IllegalStateException("agents report kvstores " + kinds);
        }
        return kinds.first();
    }

    /**
     * The baseline "pod IP directly": the services' own backends' addresses, one per new connection in turn
     * (crr-client takes a list), so that ClusterIP / pod IP compares translation alone: the same servers
     * share the load either way (two backends answer ~20 % fewer connections/s than one on this 2-core VM).
     */
    static Mode.Target podTarget(ServiceSet set) {
        List<String> ips = set.backends().stream().limit(set.perService()).map(KubeProxyRules.Endpoint::ip).distinct().toList();
        return new Mode.Target(String.join(",", ips), PORT, java.util.Set.copyOf(set.names()));
    }

    record Settings(List<Integer> services, double seconds, int rounds, int restoreServices, int restoreRounds) {
    }

    Settings settings() {
        return new Settings(services != null ? services : quick ? List.of(1, 1000) : List.of(1, 1000, 10000),
                seconds != null ? seconds : quick ? 1 : 5, rounds != null ? rounds : quick ? 1 : 5,
                restoreServices != null ? restoreServices : quick ? 1000 : 10000,
                restoreRounds != null ? restoreRounds : quick ? 1 : 3);
    }

    private Map<String, Object> header(Settings s, PodSpec from, NodeShell node, ServiceSet set) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("benchmark", "weir services: new TCP connections/s to the last of N ClusterIPs (TCP_CRR-like), side by side");
        h.put("date", Instant.now().toString());
        h.put("kernel", Features.kernel());
        h.put("cpu", PrefilterBenchCommand.cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs");
        h.put("client", String.format("crr-client in %s (%s, %s), %d connections in flight, close by %s; %.1f s per measurement, %d rounds",
                from.ref(), from.ipv4(), from.node(), concurrency, fin ? "FIN after the server's" : "RST (SO_LINGER 0) after the reply", s.seconds, s.rounds));
        h.put("services", String.format("10.96.0.10.. TCP %d, %d endpoints each from %s; iptables rules in %s (nat)",
                set.port(), set.perService(), set.names(), node.netns()));
        h.put("conntrack", "flushed in every node before each measurement");
        return h;
    }

    private static Path jarDir() {
        try {
            return Path.of(ServicesBenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
