package dev.weir.cli.agent;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

import dev.weir.lab.host.Trees;
import dev.weir.agent.api.ApiClient;
import dev.weir.agent.api.ApiException;
import dev.weir.agent.datapath.SocketLbMode;
import dev.weir.agent.runtime.AgentConfig;
import dev.weir.agent.runtime.PidFile;
import dev.weir.datapath.endpoint.NodeMapSizes;
import dev.weir.datapath.lb.LbMapSizes;
import dev.weir.cli.Main;
import dev.weir.lab.KvstoreConfig;
import dev.weir.lab.KvstoreState;
import dev.weir.lab.host.Processes;

/**
 * The weir agents of the lab: {@code lab up} starts one per node, detached ({@code setsid}, stdin from
 * /dev/null, output appended to {@code /run/weir/lab/logs/agent-<node>.log}), in the host's network
 * namespace and cgroup so that they never keep a lab namespace busy; {@code lab down} stops them (SIGTERM,
 * SIGKILL after a timeout) and removes their run directories, their pins and the lab's store (the lab's
 * etcd members, with {@code --kvstore etcd}, belong to weir-lab's {@code Lab} and go after). A marker
 * file {@code /run/weir/<node>/lab} says an agent belongs to the lab, so that down finds it even when
 * lab.json is gone. Stateless.
 */
public final class LabAgents {

    /** The lab's store, apart from a standalone agent's default one so that lab down removes only its own. */
    public static final Path LAB_STORE_ROOT = Path.of("/var/lib/weir/lab");
    public static final Path LAB_STORE = LAB_STORE_ROOT.resolve("store");
    private static final Path LAB_RUN = Path.of("/run/weir/lab");
    private static final Path PINS = Path.of("/sys/fs/bpf/weir");
    private static final String MARKER = "lab";
    /** The lab's agents serve their metrics on loopback, node1 on 9962 (Cilium's port), node2 on 9963, ... */
    public static final int METRICS_PORT = 9962;
    /**
     * An agent runs for days: the optimising JIT pays back (one EndpointSlice change at 10,000 services costs the
     * control plane ~3x more with C1 alone, ServiceChangeBench), unlike the CLI's short runs. Memory
     * (docs/benchmarks.md, "Agent memory at 10,000 x 10"): any agent may take a 10,000 x 10 apply, so the heap may
     * grow, but it should give that back afterwards. The writer of such an apply peaked at 236 MiB live after a
     * collection (283 MiB before one; G1 grew the heap to 320 MiB of the 512 it was allowed); 384 MiB left it 1.6x
     * its peak live heap, but a whole 10,000 x 10 file applied again over itself holds both versions in the writer
     * (bench-services.sh's restore section ended with 380 MiB live after a collection at 384): 512 MiB. The bound
     * is the peak's; what stays committed after the apply is given back. The serial collector shrinks the heap
     * only in a full collection, which an idle agent never has (it kept all 494 MiB committed); G1's periodic collection
     * (every 30 s when idle) uncommits what the free ratios leave over, at about the serial collector's CPU
     * (Shenandoah's compact heuristics gave memory back sooner but spent more CPU collecting than the agent
     * computing). Compact object headers take 16-18 % off the live heap; trimming the C heap every 5 s
     * returns what the JIT's arenas freed. Periodic cycles free regions but do not compact, so after a burst of
     * work, once quiet, the agent runs one full collection itself (HeapGiveBack), after which at most 10 % of the
     * heap stays free; that ratio is set for the collection alone: with it all the time (-XX:MaxHeapFreeRatio=10),
     * every concurrent cycle during an apply shrank the heap to what it held and the next allocations grew it back,
     * which cost the agents of a 10,000-service install about a third of their CPU. During work G1 keeps its
     * default headroom, and never grows the heap at a cycle's end for want of free space (MinHeapFreeRatio=5). (G1's string deduplication took 5 MB off a follower, but with it, and this ratio, one
     * EndpointSlice change at 10,000 x 10 took 0.107-0.109 s at the median against 0.080 s without either, one run
     * each: its thread competes with the changes after a large apply on 2 cores, so it is off.) The JDK keeps,
     * per thread, a direct buffer as large as the largest heap buffer the thread read or wrote through a channel;
     * a bound keeps a 10 MB read from staying in native memory.
     */
    private static final List<String> JVM_FLAGS = List.of("-XX:+UseG1GC", "-XX:G1PeriodicGCInterval=30000",
            "-XX:MinHeapFreeRatio=5", "-XX:+UseCompactObjectHeaders",
            "-XX:TrimNativeHeapInterval=5000", "-Xms16m", "-Xmx512m",
            "-Djdk.nio.maxCachedBufferSize=262144", "-XX:-UsePerfData", "-Xshare:auto",
            "--enable-native-access=ALL-UNNAMED");

    /**
     * The agents' environment besides the lab command's own: glibc's malloc keeps up to 8 arenas per core, one
     * taken by each thread that allocates while the others are busy (the JIT's compiler threads, the etcd client's
     * event loops and executors), each holding what it once grew to; two arenas took 20 MiB off the writer's RSS and
     * 7 off a follower's on the file store after a 10,000 x 10 apply, 42 and 10 on etcd (docs/benchmarks.md, "Agent
     * memory at 10,000 x 10", sixth pass).
     */
    static final Map<String, String> ENVIRONMENT = Map.of("MALLOC_ARENA_MAX", "2");

    /** One started agent. */
    public record Started(String node, long pid, Path socket, Path log) {
    }

    /**
     * The settings an agent keeps across {@code lab restart-agents}: its service map sizes and the sizes of
     * its policy and conntrack maps (its pinned maps have them), its kvstore (with its lease TTL), and its
     * {@code --nodeport-mode} (null: the agent's default, snat), and whether it runs with {@code --sockmap}.
     */
    public record Settings(LbMapSizes sizes, AgentConfig.Kvstore kvstore, NodeMapSizes nodeSizes, String nodePortMode,
                           boolean sockmap) {
        public Settings(LbMapSizes sizes, AgentConfig.Kvstore kvstore) {
            this(sizes, kvstore, NodeMapSizes.DEFAULTS);
        }

        public Settings(LbMapSizes sizes, AgentConfig.Kvstore kvstore, NodeMapSizes nodeSizes) {
            this(sizes, kvstore, nodeSizes, null, false);
        }

        public Settings(LbMapSizes sizes, AgentConfig.Kvstore kvstore, NodeMapSizes nodeSizes, String nodePortMode) {
            this(sizes, kvstore, nodeSizes, nodePortMode, false);
        }

        /** The same with {@code --sockmap} on or off (not kept across restarts: each start says it). */
        public Settings withSockmap(boolean on) {
            return new Settings(sizes, kvstore, nodeSizes, nodePortMode, on);
        }
    }

    private LabAgents() {
    }

    /**
     * Starts an agent per node and waits until each answers; when one fails, stops those that started.
     *
     * @throws IllegalStateException naming the node, with the end of its log
     */
    public static List<Started> start(List<String> nodes, Duration timeout, Consumer<String> progress) {
        return start(nodes, timeout, SocketLbMode.auto, LbMapSizes.DEFAULTS, AgentConfig.Kvstore.FILE, progress);
    }

    /**
     * Like {@link #start(List, Duration, Consumer)}, with the agents' {@code --socket-lb} setting, service map
     * sizes and kvstore ({@code --kvstore}, {@code --kvstore-endpoints}).
     */
    public static List<Started> start(List<String> nodes, Duration timeout, SocketLbMode socketLb, LbMapSizes sizes,
                                      AgentConfig.Kvstore kvstore, Consumer<String> progress) {
        return start(nodes, timeout, socketLb, new Settings(sizes, kvstore), progress);
    }

    /** Like {@link #start(List, Duration, Consumer)}, with the agents' {@code --socket-lb} setting and these settings. */
    public static List<Started> start(List<String> nodes, Duration timeout, SocketLbMode socketLb, Settings settings,
                                      Consumer<String> progress) {
        List<Started> started = new ArrayList<>();
        try {
            for (String node : nodes) {
                started.add(launch(node, socketLb, settings));
            }
            for (Started s : started) {
                awaitReady(s, timeout);
                progress.accept("agent of " + s.node() + " is ready (pid " + s.pid() + ", " + s.socket() + ")");
            }
            return started;
        } catch (RuntimeException e) {
            stop(started.stream().map(Started::node).toList(), Duration.ofSeconds(5), progress);
            throw e;
        }
    }

    /**
     * Restarts the agents of the given nodes with {@code socketLb}: SIGTERM (SIGKILL after {@code grace}),
     * then {@link #start}. Pins, links and maps stay as they are in between, so traffic is not disturbed;
     * the new agents restore from them (and detach the socket-LB links when {@code socketLb} is off). The
     * new agents get the service map sizes and the kvstore (its lease TTL included) the old ones ran with
     * (their pinned maps have those sizes); when none runs, the default sizes and {@code labKvstore}, the lab's.
     */
    public static List<Started> restart(List<String> nodes, Duration grace, Duration timeout, SocketLbMode socketLb,
                                        AgentConfig.Kvstore labKvstore, Consumer<String> progress) {
        return restart(nodes, grace, timeout, socketLb, false, labKvstore, progress);
    }

    /** {@link #restart(List, Duration, Duration, SocketLbMode, AgentConfig.Kvstore, Consumer)} with the new agents' {@code --sockmap}. */
    public static List<Started> restart(List<String> nodes, Duration grace, Duration timeout, SocketLbMode socketLb,
                                        boolean sockmap, AgentConfig.Kvstore labKvstore, Consumer<String> progress) {
        Settings settings = runningArgs(nodes).map(LabAgents::settings)
                .orElse(new Settings(LbMapSizes.DEFAULTS, labKvstore)).withSockmap(sockmap);
        terminate(nodes, grace, progress);
        return start(nodes, timeout, socketLb, settings, progress);
    }

    /**
     * The kvstore the lab's agents get from the lab's record: the file store for {@code file} (or no record,
     * a lab brought up before weir recorded it), the members' client URLs for {@code etcd}.
     */
    public static AgentConfig.Kvstore kvstoreOf(KvstoreState lab) {
        if (lab == null || !lab.etcd()) {
            return AgentConfig.Kvstore.FILE;
        }
        return new AgentConfig.Kvstore(KvstoreConfig.ETCD, lab.endpoints());
    }

    /** The argument vector of the first running agent of the nodes. */
    private static Optional<List<String>> runningArgs(List<String> nodes) {
        for (String node : nodes) {
            AgentConfig config = new AgentConfig(node, LAB_STORE, null, null, null, 0, null);
            Optional<List<String>> args = PidFile.read(config.pidFile()).flatMap(ProcessHandle::of)
                    .filter(h -> isWeirAgent(h, node)).flatMap(h -> Processes.arguments(h.pid()));
            if (args.isPresent()) {
                return args;
            }
        }
        return Optional.empty();
    }

    /**
     * The {@code --lb-map-size}, {@code --map-size}, {@code --kvstore} and {@code --sockmap} settings of an agent's arguments (no
     * --kvstore: file; no --kvstore-lease-ttl: the default).
     */
    static Settings settings(List<String> a) {
        List<String> sizes = new ArrayList<>();
        List<String> nodeSizes = new ArrayList<>();
        String kind = KvstoreConfig.FILE;
        String endpoints = null;
        Duration ttl = null;
        String nodePortMode = null;
        for (int i = 0; i + 1 < a.size(); i++) {
            switch (a.get(i)) {
                case "--lb-map-size" -> sizes.add(a.get(i + 1));
                case "--map-size" -> nodeSizes.add(a.get(i + 1));
                case "--kvstore" -> kind = a.get(i + 1);
                case "--kvstore-endpoints" -> endpoints = a.get(i + 1);
                case "--kvstore-lease-ttl" -> ttl = Duration.ofSeconds(Long.parseLong(a.get(i + 1)));
                case "--nodeport-mode" -> nodePortMode = a.get(i + 1);
                default -> { }
            }
        }
        return new Settings(LbMapSizes.parse(sizes), new AgentConfig.Kvstore(kind, endpoints, ttl), NodeMapSizes.parse(nodeSizes),
                nodePortMode, a.contains("--sockmap"));
    }

    /** The lab's agents count flows as metrics too (docs/metrics.md, "Flow metrics"). */
    static final String LAB_FLOW_METRICS = "flow,drop,port-distribution";

    /** The agent's command line, from {@code setsid} on. */
    static List<String> argv(String node, SocketLbMode socketLb, LbMapSizes sizes, AgentConfig.Kvstore kvstore,
                             String java, String classPath, Path log) {
        return argv(node, socketLb, new Settings(sizes, kvstore), java, classPath, log);
    }

    /** The agent's command line, from {@code setsid} on. */
    static List<String> argv(String node, SocketLbMode socketLb, Settings settings, String java, String classPath, Path log) {
        LbMapSizes sizes = settings.sizes();
        AgentConfig.Kvstore kvstore = settings.kvstore();
        List<String> argv = new ArrayList<>(List.of("setsid", java));
        argv.addAll(JVM_FLAGS);
        argv.addAll(List.of("-cp", classPath, Main.class.getName(), "agent", "--node", node,
                "--state-dir", LAB_STORE.toString(), "--log-file", log.toString(), "--socket-lb", socketLb.name()));
        if (settings.sockmap()) {
            argv.add("--sockmap");
        }
        sizes.overrides().forEach(o -> argv.addAll(List.of("--lb-map-size", o)));
        settings.nodeSizes().overrides().forEach(o -> argv.addAll(List.of("--map-size", o)));
        argv.addAll(List.of("--kvstore", kvstore.kind()));
        if (settings.nodePortMode() != null) {
            argv.addAll(List.of("--nodeport-mode", settings.nodePortMode()));
        }
        if (kvstore.etcd()) {
            argv.addAll(List.of("--kvstore-endpoints", kvstore.endpoints()));
            if (!kvstore.leaseTtl().equals(AgentConfig.Kvstore.DEFAULT_LEASE_TTL)) {
                argv.addAll(List.of("--kvstore-lease-ttl", Long.toString(kvstore.leaseTtl().toSeconds())));
            }
        }
        return argv;
    }

    /**
     * What the lab tells an agent about its node and the cluster (the flags a real node's agent gets from its
     * configuration): where it serves its metrics (with the flow metrics on), its namespace and underlay addresses, the service ranges, the
     * LoadBalancer pools.
     */
    static List<String> siteArgs(String node, dev.weir.lab.LabState lab) {
        List<String> args = new ArrayList<>();
        for (int i = 0; i < lab.nodes().size(); i++) {
            if (lab.nodes().get(i).name().equals(node)) {
                args.addAll(List.of("--metrics-address", "127.0.0.1:" + (METRICS_PORT + i), "--flow-metrics", LAB_FLOW_METRICS));
            }
        }
        lab.nodes().stream().filter(n -> n.name().equals(node)).findFirst().ifPresent(n -> {
            args.addAll(List.of("--netns", n.netns()));
            if (n.ipv4() != null) {
                args.addAll(List.of("--node-ipv4", n.ipv4()));
            }
            if (n.ipv6() != null) {
                args.addAll(List.of("--node-ipv6", n.ipv6()));
            }
        });
        var s = lab.services();
        if (s != null) {
            args.addAll(List.of("--service-cidr", s.ipv4(), "--service-cidr", s.ipv6(),
                    "--node-port-range", s.nodePortMin() + "-" + s.nodePortMax()));
        }
        if (lab.ext() != null) {
            lab.ext().routes().stream().map(dev.weir.lab.model.ExtRoute::prefix).distinct()
                    .forEach(p -> args.addAll(List.of("--external-pool", p)));
        }
        if (lab.routing() != null) {
            args.addAll(List.of("--routing", lab.routing()));
            if (lab.paths() != null) {
                args.addAll(List.of("--host-cgroup", lab.paths().cgroupOf(dev.weir.lab.host.LabPaths.nodeKey(node)).toString()));
            }
        }
        return args;
    }

    private static Started launch(String node, SocketLbMode socketLb, Settings settings) {
        AgentConfig config = new AgentConfig(node, LAB_STORE, null, null, null, 0, null);
        Path log = LAB_RUN.resolve("logs").resolve("agent-" + node + ".log");
        List<String> argv = argv(node, socketLb, settings, javaBinary(), classPath(), log);
        dev.weir.lab.Lab.current().ifPresent(lab -> argv.addAll(siteArgs(node, lab.state())));
        try {
            Files.createDirectories(log.getParent());
            Files.createDirectories(config.runDir());
            Files.writeString(config.runDir().resolve(MARKER), "started by weir lab up\n");
            Files.deleteIfExists(config.socket());
            ProcessBuilder pb = new ProcessBuilder(argv);
            pb.environment().putAll(ENVIRONMENT);
            Process p = pb.redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .directory(new File("/")).start();
            return new Started(node, p.pid(), config.socket(), log);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the agent of " + node + ": " + e.getMessage(), e);
        }
    }

    private static void awaitReady(Started s, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        ApiClient client = new ApiClient(s.socket());
        while (true) {
            if (Files.exists(s.socket())) {
                try {
                    client.call("ping", null, Duration.ofSeconds(2));
                    return;
                } catch (ApiException e) {
                    // not accepting yet
                }
            }
            if (ProcessHandle.of(s.pid()).map(ProcessHandle::isAlive).orElse(false) == false) {
                throw new IllegalStateException("the agent of " + s.node() + " exited during start; " + tail(s.log()));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the agent of " + s.node() + " does not answer after "
                        + timeout.toSeconds() + " s; " + tail(s.log()));
            }
            sleep(25);
        }
    }

    /**
     * Stops the lab's agents (the given nodes, plus every run directory with the lab's marker), removes
     * their run directories and pins, and the lab's store. Safe when nothing is running.
     *
     * @return the nodes whose agent was stopped
     */
    public static List<String> stopAll(List<String> labNodes, Duration grace, Consumer<String> progress) {
        Set<String> nodes = new LinkedHashSet<>(labNodes);
        nodes.addAll(markedNodes());
        List<String> stopped = stop(List.copyOf(nodes), grace, progress);
        Trees.delete(LAB_STORE_ROOT);
        return stopped;
    }

    private static List<String> stop(List<String> nodes, Duration grace, Consumer<String> progress) {
        List<String> stopped = terminate(nodes, grace, progress);
        for (String node : nodes) {
            Trees.delete(AgentConfig.RUN_ROOT.resolve(node));
            Trees.delete(PINS.resolve(node));
        }
        if (!stopped.isEmpty()) {
            progress.accept("stopped the agents of " + String.join(", ", stopped));
        }
        return stopped;
    }

    /** Stops the agents of the nodes (SIGTERM, SIGKILL after the grace period); run directories and pins stay. */
    private static List<String> terminate(List<String> nodes, Duration grace, Consumer<String> progress) {
        List<String> stopped = new ArrayList<>();
        List<ProcessHandle> terminating = new ArrayList<>();
        for (String node : nodes) {
            AgentConfig config = new AgentConfig(node, LAB_STORE, null, null, null, 0, null);
            Optional<ProcessHandle> p = PidFile.read(config.pidFile()).flatMap(ProcessHandle::of)
                    .filter(h -> isWeirAgent(h, node));
            p.ifPresent(h -> {
                h.destroy();
                terminating.add(h);
                stopped.add(node);
            });
        }
        long deadline = System.nanoTime() + grace.toNanos();
        for (ProcessHandle h : terminating) {
            long left = Math.max(0, deadline - System.nanoTime());
            try {
                h.onExit().get(left, java.util.concurrent.TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                progress.accept("agent pid " + h.pid() + " ignores SIGTERM; killing it");
                h.destroyForcibly();
                h.onExit().join();
            }
        }
        return stopped;
    }

    /** The whole command line, read from /proc: ProcessHandle.Info's is cut at 4 KiB (a test class path is longer). */
    private static boolean isWeirAgent(ProcessHandle h, String node) {
        String cmd = Processes.commandLine(h.pid());
        return h.isAlive() && cmd.contains(" agent ") && cmd.contains("--node " + node);
    }

    private static List<String> markedNodes() {
        if (!Files.isDirectory(AgentConfig.RUN_ROOT)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(AgentConfig.RUN_ROOT)) {
            return dirs.filter(d -> Files.exists(d.resolve(MARKER))).map(d -> d.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }


    private static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /**
     * The weir jar, copied into the lab's run directory (so that rebuilding it cannot pull classes from
     * under running agents), or the class path when running from classes (tests).
     */
    private static String classPath() {
        try {
            var source = Main.class.getProtectionDomain().getCodeSource();
            if (source == null) {
                return System.getProperty("java.class.path");
            }
            Path location = Path.of(source.getLocation().toURI());
            if (Files.isDirectory(location)) {
                return System.getProperty("java.class.path");
            }
            Path copy = LAB_RUN.resolve("weir-agent.jar");
            if (!Files.exists(copy)) {
                Files.createDirectories(LAB_RUN);
                Files.copy(location, copy);
            }
            return copy.toString();
        } catch (URISyntaxException | IOException e) {
            throw new IllegalStateException("cannot find or copy weir's classes: " + e.getMessage(), e);
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return "end of " + log + ":\n  " + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
        } catch (IOException e) {
            return "no log at " + log;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }
}
