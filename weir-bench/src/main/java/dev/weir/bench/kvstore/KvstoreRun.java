package dev.weir.bench.kvstore;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

import dev.weir.agent.store.etcd.Etcd;
import dev.weir.lab.etcd.EtcdCluster;

/**
 * One size of the kvstore simulation: a fresh etcd cluster, N simulated nodes started and converged, then
 * {@code samples} times a new endpoint on a random node timed to every view and withdrawn again (after
 * {@link #WARM_UP} untimed ones), with etcd's and this JVM's load around each phase. Everything it starts is
 * stopped, and the members' directory removed, before {@link #measure} returns.
 */
final class KvstoreRun {

    static final int WARM_UP = 3;

    /** What one size measured. */
    record Result(int nodes, int clients, int endpointsPerNode, boolean threadsPerNode, long startNanos,
                  ViewProbe.Result converge, Summary add, Summary addFirst, Summary remove, Summary floor, int bySweep,
                  EtcdLoad.Delta converging, EtcdLoad.Delta sampling, Jvm jvm, List<String> notable) {
    }

    /**
     * This JVM with the N nodes up, after the samples and a full GC: live heap, threads (and how many the nodes
     * added), resident memory; CPU seconds and GC pause seconds it spent starting and converging, and sampling.
     */
    record Jvm(long heapBytes, int threads, int threadsAdded, long rssBytes, double cpuConverge, double gcConverge,
               double cpuSamples, double gcSamples) {
    }

    /** Where and how the etcd members run. */
    record EtcdSetup(int members, Path dataRoot, int basePort) {
    }

    private final SimCluster.Config sim;
    private final EtcdSetup etcd;
    private final int samples;
    private final Duration timeout;
    private final Random random;
    private final Consumer<Runnable> cleanup;
    private final Consumer<String> progress;

    /**
     * @param cleanup told of what removes this run's members and data (and of null once that ran), so that a
     *                shutdown hook can run it on Ctrl-C
     */
    KvstoreRun(SimCluster.Config sim, EtcdSetup etcd, int samples, Duration timeout, long seed, Consumer<Runnable> cleanup,
               Consumer<String> progress) {
        this.sim = sim;
        this.etcd = etcd;
        this.samples = samples;
        this.timeout = timeout;
        this.random = new Random(seed);
        this.cleanup = cleanup;
        this.progress = progress;
    }

    Result measure() throws Exception {
        Path root = Files.createTempDirectory(etcd.dataRoot(), "weir-kvbench-");
        EtcdCluster[] cluster = new EtcdCluster[1];
        Runnable remove = () -> {
            if (cluster[0] != null) {
                cluster[0].close();
            }
            removeTree(root);
        };
        cleanup.accept(remove);
        try {
            progress.accept(String.format("%,d nodes: starting %d etcd members (ports %d-%d, data in %s)", sim.nodes(), etcd.members(),
                    etcd.basePort(), etcd.basePort() + 2 * etcd.members() - 1, root));
            cluster[0] = EtcdCluster.start(new EtcdCluster.Config(etcd.members(), root.resolve("data"), root.resolve("logs"),
                    etcd.basePort(), "kvbench-" + ProcessHandle.current().pid()), Duration.ofSeconds(60));
            return measure(cluster[0]);
        } finally {
            cleanup.accept(null);
            remove.run();
        }
    }

    private Result measure(EtcdCluster cluster) throws Exception {
        List<URI> endpoints = Etcd.Config.parse(cluster.endpoints()).endpoints();
        int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
        SimCluster nodes = SimCluster.create(sim, endpoints);
        try (Floor floor = Floor.open(endpoints, sim.clientTimeout())) {
            EtcdLoad l0 = EtcdLoad.of(cluster);
            double[] j0 = jvmCpuAndGc();
            progress.accept(String.format("%,d nodes: starting the registries (%d jetcd clients)", sim.nodes(), nodes.clientCount()));
            long start = nodes.start();
            progress.accept(String.format("%,d nodes: publishing %,d node records and %,d endpoints, waiting for every view",
                    sim.nodes(), sim.nodes(), sim.nodes() * sim.endpointsPerNode()));
            ViewProbe.Result converge = nodes.publishAll(timeout);
            EtcdLoad l1 = EtcdLoad.of(cluster);
            double[] j1 = jvmCpuAndGc();
            progress.accept(String.format("%,d nodes: converged in %.1f s; %d + %d samples of a new endpoint on a random node",
                    sim.nodes(), converge.allNanos() / 1e9, WARM_UP, samples));
            for (int s = 0; s < WARM_UP; s++) {
                int node = random.nextInt(sim.nodes());
                nodes.addEndpoint(node, samples + s, timeout);
                nodes.removeEndpoint(node, samples + s, timeout);
            }
            List<Long> add = new ArrayList<>();
            List<Long> addFirst = new ArrayList<>();
            List<Long> remove = new ArrayList<>();
            List<Long> floors = new ArrayList<>();
            int bySweep = converge.bySweep();
            EtcdLoad l2 = EtcdLoad.of(cluster);
            double[] j2 = jvmCpuAndGc();
            for (int s = 0; s < samples; s++) {
                // a random pause, so that the samples fall at different points of lease keep-alives and heartbeats
                Thread.sleep(random.nextInt(250));
                floors.add(floor.sample());
                int node = random.nextInt(sim.nodes());
                ViewProbe.Result a = nodes.addEndpoint(node, s, timeout);
                ViewProbe.Result r = nodes.removeEndpoint(node, s, timeout);
                add.add(a.allNanos());
                addFirst.add(a.firstNanos());
                remove.add(r.allNanos());
                bySweep += a.bySweep() + r.bySweep();
            }
            EtcdLoad l3 = EtcdLoad.of(cluster);
            double[] j3 = jvmCpuAndGc();
            // last: a full GC stops this JVM for seconds at 1,000 nodes, and the keep-alives it delayed come in a burst
            progress.accept(String.format("%,d nodes: full GC to measure the live heap", sim.nodes()));
            long[] idle = jvmAfterGc();
            Jvm jvm = new Jvm(idle[0], (int) idle[1], (int) idle[1] - threadsBefore, idle[2], j1[0] - j0[0], j1[1] - j0[1],
                    j3[0] - j2[0], j3[1] - j2[1]);
            return new Result(sim.nodes(), nodes.clientCount(), sim.endpointsPerNode(), sim.threadsPerNode(), start, converge,
                    Summary.ofNanos(add), Summary.ofNanos(addFirst), Summary.ofNanos(remove), Summary.ofNanos(floors), bySweep, l1.since(l0), l3.since(l2),
                    jvm, nodes.notable());
        } catch (IllegalStateException e) {
            throw new IllegalStateException(String.format("%,d nodes: %s; registry messages: %s", sim.nodes(), e.getMessage(),
                    nodes.notable().isEmpty() ? "none but lease grants" : String.join(" | ", nodes.notable())), e);
        } finally {
            progress.accept(String.format("%,d nodes: stopping", sim.nodes()));
            nodes.close();
        }
    }

    /** Heap used after a full GC, live threads, RSS. */
    private static long[] jvmAfterGc() {
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long threads = ManagementFactory.getThreadMXBean().getThreadCount();
        long rss = 0;
        try {
            rss = EtcdLoad.rssBytes(Files.readString(Path.of("/proc/self/status")));
        } catch (IOException e) {
            // leave 0
        }
        return new long[] {heap, threads, rss};
    }

    /** This process's CPU seconds and the seconds its collectors paused it so far. */
    private static double[] jvmCpuAndGc() {
        double cpu = ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() / 1e9 : 0;
        double gc = 0;
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (!b.getName().contains("Concurrent")) {
                gc += Math.max(0, b.getCollectionTime()) / 1e3;
            }
        }
        return new double[] {cpu, gc};
    }

    private static void removeTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("weir-bench: cannot remove " + dir + ": " + e.getMessage());
        }
    }
}
