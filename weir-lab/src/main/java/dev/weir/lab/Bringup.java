package dev.weir.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import dev.weir.lab.etcd.EtcdCluster;
import dev.weir.lab.host.AgentLauncher;
import dev.weir.lab.host.Cgroup2;
import dev.weir.lab.host.Parallel;
import dev.weir.lab.host.LabPaths;
import dev.weir.lab.host.Topology;
import dev.weir.lab.model.LabModel;
import dev.weir.lab.model.NetpolModel;
import dev.weir.lab.model.PodSpec;

/**
 * {@code lab up}: clean leftovers, build the network, start the agents (and the etcd members of an etcd
 * kvstore), wait for them, write lab.json.
 * A failure tears down what was built and rethrows. Stateless.
 */
final class Bringup {

    private Bringup() {
    }

    static LabState up(LabConfig config, LabPaths paths, Consumer<String> progress) {
        LabModel model = NetpolModel.build(config.nodes());
        if (config.kvstore().etcd() && !EtcdCluster.available()) {
            throw new LabException(EtcdCluster.ETCD + " is missing, needed for --kvstore etcd: install Debian's"
                    + " etcd-server (scripts/setup.sh does)");
        }
        if (Teardown.leftovers(paths)) {
            progress.accept("removing a previous lab");
            Teardown.down(paths, progress);
        }
        try {
            return build(model, config, paths, progress);
        } catch (RuntimeException e) {
            progress.accept("lab up failed; removing what was built");
            try {
                Teardown.down(paths, progress);
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private static LabState build(LabModel model, LabConfig config, LabPaths paths, Consumer<String> progress) {
        long start = System.nanoTime();
        createDirectories(paths);
        progress.accept("creating " + Topology.namespaces(model).size() + " network namespaces, "
                + model.nodes().size() + " node(s), underlay and routes");
        Topology.build(model, !config.cniPods(), config.routing() == null);
        Map<String, AgentState> launched = new TreeMap<>();
        if (!config.cniPods()) {
            progress.accept("starting " + (model.pods().size() + 1) + " pod agents");
            launched.putAll(launchPods(model.pods(), paths));
        }
        launched.put(Targets.EXT, AgentLauncher.launch(Targets.EXT, LabPaths.EXT, model.ext().netns(), List.of(), paths));
        if (config.cniPods()) {
            // each node's own processes (a kubelet's probes, a host process) run in the node's namespace and cgroup
            for (var n : model.nodes()) {
                launched.put(n.name(), AgentLauncher.launch(n.name(), LabPaths.nodeKey(n.name()), n.netns(), List.of(), paths));
            }
        }
        StateStore.write(Path.of(paths.state()), LabState.of(model, "", launched, paths, null, config.routing()));
        // the members start while the pod agents' JVMs do; Teardown finds them by command line if this fails
        KvstoreState kvstore = config.kvstore().etcd()
                ? LabEtcd.start(config.kvstore().members(), paths, progress)
                : KvstoreState.file(config.kvstore().dir());
        Map<String, AgentState> ready = awaitAll(launched, config.readyTimeout(), progress);
        LabState state = LabState.of(model, Instant.now().toString(), ready, paths, kvstore, config.routing());
        StateStore.write(Path.of(paths.state()), state);
        progress.accept(config.cniPods()
                ? "lab is up: " + model.nodes().size() + " node(s) and ext; " + model.pods().size() + " pods wait for CNI"
                : "lab is up: " + model.pods().size() + " pods on " + model.nodes().size() + " node(s), all "
                + ready.size() + " agents ready (" + (System.nanoTime() - start) / 1_000_000 + " ms)");
        return state;
    }

    /** Starts the pods' agents (their cgroups are created on the way). */
    static Map<String, AgentState> launchPods(List<PodSpec> pods, LabPaths paths) {
        Map<String, AgentState> launched = new TreeMap<>();
        for (PodSpec p : pods) {
            launched.put(p.ref().toString(), AgentLauncher.launch(p.ref().toString(), p.ref().key(), p.netns(),
                    List.of(p.ipv4(), p.ipv6()), paths));
        }
        return launched;
    }

    static Map<String, AgentState> awaitAll(Map<String, AgentState> launched, Duration timeout,
                                            Consumer<String> progress) {
        AtomicInteger count = new AtomicInteger();
        Map<String, AgentState> ready = new java.util.concurrent.ConcurrentSkipListMap<>();
        List<AgentState> agents = new ArrayList<>(launched.values());
        Parallel.each(agents, a -> {
            ready.put(a.id(), AgentLauncher.awaitReady(a, timeout));
            int n = count.incrementAndGet();
            if (n == agents.size() || n % 5 == 0) {
                progress.accept("agents ready: " + n + "/" + agents.size());
            }
        });
        return new TreeMap<>(ready);
    }

    private static void createDirectories(LabPaths paths) {
        try {
            Files.createDirectories(Path.of(paths.sockets()));
            Files.createDirectories(Path.of(paths.logs()));
        } catch (IOException e) {
            throw new LabException("cannot create " + paths.runDir() + ": " + e.getMessage(), e);
        }
        Cgroup2.create(Path.of(paths.cgroup()));
    }
}
