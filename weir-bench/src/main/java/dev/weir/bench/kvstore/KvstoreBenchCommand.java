package dev.weir.bench.kvstore;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

import dev.weir.bench.prefilter.PrefilterBenchCommand;
import dev.weir.lab.LabException;
import dev.weir.lab.etcd.EtcdCluster;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weir-bench kvstore-sim}: weir's kvstore at scale, by simulation. For each size N, a fresh etcd cluster
 * (real members on loopback, data on tmpfs) and N simulated nodes in this process, each a real
 * {@code EtcdNodeRegistry} (lease, node record, endpoints, watches; no datapath). Measures the time to start and
 * converge them, the time a new endpoint takes to reach every node's view (p50/p99/max over samples), and etcd's
 * and this JVM's load. The members are killed and their data removed after each size, on failure and on Ctrl-C.
 * Needs no root.
 */
@Command(name = "kvstore-sim", mixinStandardHelpOptions = true,
        description = {"kvstore scale by simulation: N simulated nodes (EtcdNodeRegistry each: lease, node record,",
                "endpoints, watches) on a real 3-member etcd; converge time, new endpoint -> every view (p50/p99/max),",
                "etcd CPU, watchers, DB size, client JVM heap/threads. No root, no lab."})
public final class KvstoreBenchCommand implements Callable<Integer> {

    private static final int EXIT_CHECK = 1;
    private static final int EXIT_USAGE = 2;
    private static final int EXIT_CANNOT_RUN = 3;
    /** A heartbeat that never comes within a run. */
    private static final Duration OFF = Duration.ofDays(365);
    /**
     * Vert.x (jetcd's transport) warns whenever an event loop was held for 2 s: here that is this JVM's GC pauses,
     * which the report counts; kept in a field, as java.util.logging holds its loggers weakly.
     */
    private static final java.util.logging.Logger VERTX_BLOCKED = java.util.logging.Logger.getLogger(
            "io.vertx.core.impl.BlockedThreadChecker");

    @Option(names = "--nodes", split = ",", paramLabel = "N,N,...", description = "sizes (default 10,100,1000; --quick 10,100)")
    List<Integer> sizes;

    @Option(names = "--samples", paramLabel = "N", description = "new endpoints timed per size (default 50; --quick 10)")
    Integer samples;

    @Option(names = "--quick", description = "10 and 100 nodes, 10 samples: a smoke run")
    boolean quick;

    @Option(names = "--endpoints", paramLabel = "N", description = "endpoints per node (default ${DEFAULT-VALUE})")
    int endpointsPerNode = 10;

    @Option(names = "--nodes-per-client", paramLabel = "N",
            description = "simulated nodes sharing one jetcd client (default ${DEFAULT-VALUE}; a real node has its own)")
    int nodesPerClient = 50;

    @Option(names = "--threads", paramLabel = "shared|per-node",
            description = "shared: the registries' writes, heartbeats and retries on one scheduler; per-node: each "
                    + "registry with its own threads, as in an agent (default ${DEFAULT-VALUE})")
    String threads = "shared";

    @Option(names = "--scheduler-threads", paramLabel = "N", description = "threads of the shared scheduler (default ${DEFAULT-VALUE})")
    int schedulerThreads = 8;

    @Option(names = "--heartbeat", paramLabel = "SECONDS",
            description = "rewrite each node record every SECONDS, as the agent does every 10; 0 = off (default ${DEFAULT-VALUE}: "
                    + "at 1,000 nodes the rewrites alone are 100,000 watch events/s, more than one JVM on two cores decodes)")
    int heartbeat = 0;

    @Option(names = "--lease-ttl", paramLabel = "SECONDS", description = "lease TTL (default: the agent's, 30)")
    Integer leaseTtl;

    @Option(names = "--client-timeout", paramLabel = "SECONDS", description = "jetcd operation timeout (default: the agent's, ${DEFAULT-VALUE})")
    int clientTimeout = 5;

    @Option(names = "--members", paramLabel = "N", description = "etcd members (default ${DEFAULT-VALUE})")
    int members = 3;

    @Option(names = "--base-port", paramLabel = "PORT",
            description = "the first member's client port; members use PORT..PORT+2*members-1 (default ${DEFAULT-VALUE})")
    int basePort = 31500;

    @Option(names = "--data-root", paramLabel = "DIR", description = "where the members' data goes, tmpfs (default ${DEFAULT-VALUE})")
    Path dataRoot = Path.of("/dev/shm");

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "longest wait for every view, per round (default ${DEFAULT-VALUE})")
    int timeout = 300;

    @Option(names = "--seed", paramLabel = "N", description = "random seed: which nodes publish, the pauses (default ${DEFAULT-VALUE})")
    long seed = 1;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the results as JSON")
    Path json;

    @Override
    public Integer call() {
        VERTX_BLOCKED.setLevel(java.util.logging.Level.OFF);
        List<Integer> ns = sizes != null ? sizes : quick ? List.of(10, 100) : List.of(10, 100, 1000);
        int s = samples != null ? samples : quick ? 10 : 50;
        String problem = usageError(ns, s);
        if (problem != null) {
            System.err.println("weir-bench: " + problem);
            return EXIT_USAGE;
        }
        problem = cannotRun(ns.stream().mapToInt(Integer::intValue).max().orElseThrow());
        if (problem != null) {
            System.err.println("weir-bench: " + problem);
            return EXIT_CANNOT_RUN;
        }
        AtomicReference<Runnable> cleanup = new AtomicReference<>();
        Thread hook = Thread.ofPlatform().unstarted(() -> {
            Runnable c = cleanup.getAndSet(null);
            if (c != null) {
                c.run();
            }
        });
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            Map<String, Object> header = header(s);
            long t0 = System.nanoTime();
            List<KvstoreRun.Result> results = new ArrayList<>();
            for (int n : ns) {
                KvstoreRun.Result r = run(n, s, cleanup).measure();
                PrefilterBenchCommand.progress(String.format("%,d nodes: converged in %.2f s; new endpoint -> every view p50 / p99 / "
                        + "max %s ms", n, r.converge().allNanos() / 1e9, KvstoreReport.cells(r.add())));
                results.add(r);
            }
            header.put("took", String.format("%.0f s; load average %s at the end", (System.nanoTime() - t0) / 1e9, loadAverage()));
            KvstoreReport report = new KvstoreReport(header, results);
            report.print(System.out);
            if (json != null) {
                report.writeJson(json);
                System.err.println("weir-bench: wrote " + json);
            }
            return 0;
        } catch (IllegalStateException | LabException e) {
            System.err.println("weir-bench: " + e.getMessage());
            return EXIT_CHECK;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return EXIT_CHECK;
        } catch (Exception e) {
            System.err.println("weir-bench: " + e);
            return EXIT_CHECK;
        } finally {
            hook.run();
            Runtime.getRuntime().removeShutdownHook(hook);
        }
    }

    private KvstoreRun run(int n, int s, AtomicReference<Runnable> cleanup) {
        SimCluster.Config sim = new SimCluster.Config(n, endpointsPerNode, nodesPerClient, threads.equals("per-node"),
                schedulerThreads, leaseTtl == null ? null : Duration.ofSeconds(leaseTtl),
                heartbeat == 0 ? OFF : Duration.ofSeconds(heartbeat), Duration.ofSeconds(clientTimeout));
        return new KvstoreRun(sim, new KvstoreRun.EtcdSetup(members, dataRoot, basePort), s, Duration.ofSeconds(timeout),
                seed + n, cleanup::set, PrefilterBenchCommand::progress);
    }

    private String usageError(List<Integer> ns, int s) {
        if (!List.of("shared", "per-node").contains(threads)) {
            return "--threads is shared or per-node, not " + threads;
        }
        if (ns.stream().anyMatch(n -> n < 2) || s < 1 || heartbeat < 0 || endpointsPerNode < 1 || nodesPerClient < 1
                || schedulerThreads < 1 || timeout < 1 || (leaseTtl != null && leaseTtl < 2)) {
            return "sizes must be >= 2; --samples, --endpoints, --nodes-per-client, --scheduler-threads, --timeout >= 1; "
                    + "--heartbeat >= 0; --lease-ttl >= 2";
        }
        return null;
    }

    private Map<String, Object> header(int s) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("benchmark", "weir kvstore by simulation: N EtcdNodeRegistry instances in one JVM on a real etcd cluster");
        h.put("date", Instant.now().toString());
        h.put("cpu", PrefilterBenchCommand.cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs; load average "
                + loadAverage() + " at the start");
        h.put("java", Runtime.version() + ", max heap " + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MiB");
        h.put("etcd", etcdVersion() + ", " + members + " members on 127.0.0.1:" + basePort + "+, data in " + dataRoot
                + ", a fresh cluster per size");
        h.put("nodes", String.format("each: a lease (TTL %s s, kept alive), its node record (%s) and %d endpoints under it, "
                        + "watches of weir/nodes/ and weir/endpoints/", leaseTtl == null ? "30" : leaseTtl,
                heartbeat == 0 ? "written once: heartbeat rewrites off" : "rewritten every " + heartbeat + " s", endpointsPerNode));
        h.put("clients", "one jetcd client per " + nodesPerClient + " simulated nodes (a real cluster: one per node); threads "
                + (threads.equals("shared") ? "shared: one scheduler of " + schedulerThreads + " for every registry" : "per node (3 each)"));
        h.put("samples", s + " per size (after " + KvstoreRun.WARM_UP + " untimed): a new endpoint on a random node, timed from publishEndpoints to the last node's "
                + "onChange that sees it; then withdrawn and timed the same way; 0-250 ms random pause between samples");
        return h;
    }

    /** Why this cannot run here (etcd missing, a port in use, no data root), or null. */
    private String cannotRun(int largest) {
        String memory = MemoryNeed.problem(largest, endpointsPerNode);
        if (memory != null) {
            return memory;
        }
        if (!EtcdCluster.available()) {
            return EtcdCluster.ETCD + " is missing: install Debian's etcd-server (sudo scripts/setup.sh does)";
        }
        if (!Files.isDirectory(dataRoot)) {
            return "--data-root " + dataRoot + " is not a directory";
        }
        for (int p = basePort; p < basePort + 2 * members; p++) {
            try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
                s.setReuseAddress(true);
            } catch (IOException e) {
                return "port " + p + " on 127.0.0.1 is in use (another etcd?): choose another --base-port";
            }
        }
        return null;
    }

    private static String etcdVersion() {
        try {
            Process p = new ProcessBuilder(EtcdCluster.ETCD.toString(), "--version").redirectErrorStream(true).start();
            String first = new String(p.getInputStream().readAllBytes()).lines().findFirst().orElse("etcd");
            p.waitFor();
            return first.strip();
        } catch (IOException e) {
            return "etcd (version unknown)";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "etcd (version unknown)";
        }
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }
}
