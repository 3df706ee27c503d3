package dev.weir.lab;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import dev.weir.lab.cni.CniRuntime;
import dev.weir.lab.host.LabPaths;
import dev.weir.lab.host.PodCommand;
import dev.weir.lab.host.Processes;
import dev.weir.lab.model.Family;
import dev.weir.lab.model.LabModel;
import dev.weir.lab.model.NodeSpec;
import dev.weir.lab.model.PodRef;
import dev.weir.lab.model.PodSpec;
import dev.weir.lab.model.PortSpec;
import dev.weir.lab.probe.Matrix;
import dev.weir.lab.probe.MatrixResult;
import dev.weir.lab.probe.ProbeResult;
import dev.weir.lab.probe.Prober;

/**
 * The lab: a disposable cluster of network namespaces on this machine (see DESIGN.md, "The lab").
 *
 * <p>{@link #up} builds it and {@link #down} removes it; both are static because there is one lab per
 * machine, recorded in {@code /run/weir/lab/lab.json}. An instance is a view of a lab that is up, read
 * from that file: it answers questions about the topology (which namespace is node1, which interfaces it
 * has, which node a pod is on) and runs probes and commands inside pods. Instances are immutable and
 * thread-safe; they do not own the lab, which lives until {@link #down} whatever happens to them.
 *
 * <p>Bad input (no such pod, bad address) throws {@link IllegalArgumentException}; failures of the
 * machine or of an agent throw {@link LabException}. Everything needs root.
 */
public final class Lab {

    /** How many CNI ADDs the lab's runtime runs at once (a kubelet starting pods side by side). */
    public static final int CNI_PARALLEL = 10;

    /** The default probe timeout. */
    public static final Duration PROBE_TIMEOUT = Duration.ofSeconds(1);

    private final LabState state;
    private final LabModel model;

    private Lab(LabState state) {
        this.state = state;
        this.model = state.labModel();
    }

    /**
     * Builds the lab, removing any leftover first, and returns when every agent answers (and, with an
     * etcd kvstore, every etcd member is healthy).
     *
     * @param progress receives one line per step, for people to read
     * @throws LabException when a step fails (what was built is removed again)
     */
    public static Lab up(LabConfig config, Consumer<String> progress) {
        return new Lab(Bringup.up(config, LabPaths.standard(), progress));
    }

    /**
     * Attaches every pod of a lab brought up with {@link LabConfig#cniPods} through CNI, as a container runtime
     * does: the pod's cgroup first, then ADD with the node's plugin (ten pods at a time, the pod's labels and its
     * model addresses in {@code args.cni}, its cgroup in {@code runtimeConfig}); then starts the pods' agents and
     * records them in lab.json. The plugin must name each pod's host side as the model does.
     *
     * @param runtimes each node's CNI runtime (its network configuration list and plugin path), by node name
     * @return the lab as now recorded
     * @throws LabException naming the pod when an ADD fails or answers something else than the model
     */
    public Lab attachPods(java.util.function.Function<String, CniRuntime> runtimes, Duration readyTimeout,
                          Consumer<String> progress) {
        long start = System.nanoTime();
        java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(CNI_PARALLEL);
        progress.accept("attaching " + model.pods().size() + " pods through CNI (" + CNI_PARALLEL + " at a time)");
        dev.weir.lab.host.Parallel.each(model.pods(), p -> {
            inFlight.acquireUninterruptibly();
            try {
                dev.weir.lab.host.Cgroup2.create(state.paths().cgroupOf(p.ref().key()));
                CniRuntime.Added added = runtimes.apply(p.node()).add(cniPod(p));
                if (!p.hostInterface().equals(added.hostInterface())
                        || !new java.util.HashSet<>(added.addresses()).equals(java.util.Set.of(p.ipv4(), p.ipv6()))) {
                    throw new LabException("CNI ADD of " + p.ref() + " answered " + added.result() + ", not "
                            + p.hostInterface() + " with " + p.ipv4() + " and " + p.ipv6());
                }
            } finally {
                inFlight.release();
            }
        });
        progress.accept("pods attached (" + (System.nanoTime() - start) / 1_000_000 + " ms); starting their agents");
        java.util.Map<String, AgentState> ready = new java.util.TreeMap<>(state.agents());
        ready.putAll(Bringup.awaitAll(Bringup.launchPods(model.pods(), state.paths()), readyTimeout, progress));
        LabState now = state.with(ready, state.kvstore());
        StateStore.write(Path.of(state.paths().state()), now);
        progress.accept("lab is up: " + model.pods().size() + " pods on " + model.nodes().size() + " node(s), all "
                + ready.size() + " agents ready (" + (System.nanoTime() - start) / 1_000_000 + " ms)");
        return new Lab(now);
    }

    /**
     * A node's container runtime, as far as CNI goes: the network configuration list {@code conflist} in the node's
     * {@link LabPaths#cniConf}, plugins from its {@link LabPaths#cniBin}, then Debian's {@code /usr/lib/cni}.
     */
    public CniRuntime cniRuntime(String node, String conflist) {
        node(node);
        return new CniRuntime(state.paths().cniConf(node).resolve(conflist),
                List.of(state.paths().cniBin(node), Path.of("/usr/lib/cni")));
    }

    /** The pod as the lab's runtime describes it to a CNI plugin (container id {@code lab-<ns>-<pod>}). */
    public CniRuntime.Pod cniPod(PodSpec p) {
        return new CniRuntime.Pod("lab-" + p.ref().key(), dev.weir.lab.host.Netns.file(p.netns()), "eth0", p.namespace(),
                p.name(), p.labels(), List.of(p.ipv4(), p.ipv6()), state.paths().cgroupOf(p.ref().key()));
    }

    /**
     * Removes every agent, etcd member, namespace, cgroup and file of the lab; safe to call when nothing
     * or only part of a lab exists.
     */
    public static DownReport down(Consumer<String> progress) {
        return Teardown.down(LabPaths.standard(), progress);
    }

    /** The lab that is up, if any. */
    public static Optional<Lab> current() {
        return StateStore.read(Path.of(LabPaths.standard().state())).map(Lab::new);
    }

    /**
     * The lab that is up.
     *
     * @throws LabException when there is none
     */
    public static Lab require() {
        return current().orElseThrow(() -> new LabException("the lab is not up (no " + LabPaths.standard().state()
                + "); run `weir lab up`"));
    }

    /**
     * The state with each agent's liveness, and each etcd member's liveness and health, checked now: the
     * {@code lab status -o json} document.
     */
    public LabState status() {
        var agents = new java.util.TreeMap<String, AgentState>();
        state.agents().forEach((id, a) -> agents.put(id, a.withAlive(Processes.alive(a.pid()))));
        return state.with(agents, LabEtcd.checked(state.kvstore()));
    }

    /** The lab's state as recorded by {@link #up} (lab.json). */
    public LabState state() {
        return state;
    }

    /**
     * The kvstore the lab's weir agents use, as recorded by {@link #up} (members' liveness as of then);
     * null for a lab brought up before weir recorded it.
     */
    public KvstoreState kvstore() {
        return state.kvstore();
    }

    /**
     * Starts the lab's etcd member {@code name} ({@code etcd1} ...) again after it was killed (tests kill members
     * to take them away: {@code kill -9 <pid>} of {@code lab status}), on its data directory, as the same member;
     * returns once it is healthy, and records its new pid in lab.json. The instance keeps the state it was read
     * with: {@link #current} reads the new one.
     *
     * @return the member as now recorded
     * @throws IllegalArgumentException when the lab has no etcd member of that name
     * @throws IllegalStateException when the member is running
     * @throws LabException when it is not healthy within {@code timeout} (the other members must have a quorum)
     */
    public KvstoreState.Member restartEtcdMember(String name, Duration timeout) {
        Path file = Path.of(state.paths().state());
        LabState now = StateStore.read(file).orElse(state);
        KvstoreState kv = LabEtcd.restart(now.kvstore(), name, now.paths(), timeout);
        StateStore.write(file, now.with(now.agents(), kv));
        return kv.members().stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow();
    }

    public LabModel model() {
        return model;
    }

    /** The node by name; {@link IllegalArgumentException} listing the nodes when there is none. */
    public NodeSpec node(String name) {
        return model.node(name).orElseThrow(() -> new IllegalArgumentException("no node " + name + " in the lab (nodes: "
                + String.join(", ", model.nodes().stream().map(NodeSpec::name).toList()) + ")"));
    }

    /** The network namespace of a node, e.g. {@code weir-node1}. */
    public String netnsOf(String node) {
        return node(node).netns();
    }

    /** The interfaces of a node weir may attach to: {@code eth0} and the pods' {@code lxc…}. */
    public List<String> interfacesOf(String node) {
        return node(node).interfaces();
    }

    /** The pod; {@link IllegalArgumentException} listing the pods when there is none. */
    public PodSpec pod(PodRef ref) {
        return Targets.pod(model, ref);
    }

    /** The node a pod runs on. */
    public NodeSpec nodeOf(PodRef ref) {
        return node(pod(ref).node());
    }

    /**
     * Probes {@code to} ({@code ns/pod}, {@code ext} or an address) from {@code from} ({@code ns/pod} or
     * {@code ext}). {@code family} picks the pod's address (IPv4 when null) and must match a literal.
     */
    public ProbeResult probe(String from, String to, PortSpec port, Family family, Duration timeout) {
        Targets.Source source = Targets.source(model, from);
        String address = Targets.address(model, to, family);
        return Prober.probe(source.id(), Targets.socket(state.paths(), source), to, address, port, timeout);
    }

    /** Every ordered pod pair on each port, in parallel. */
    public MatrixResult matrix(Family family, List<PortSpec> ports, Duration timeout) {
        return Matrix.run(model.pods(), p -> state.paths().socket(p.ref().key()), family, ports, timeout);
    }

    /**
     * Runs a command inside a pod ({@code ns/pod}) or ext, in its network namespace and cgroup, with this
     * process's stdin, stdout and stderr, and returns its exit code.
     */
    public int exec(String who, List<String> command) {
        try {
            return command(who, command).inheritIO().start().waitFor();
        } catch (IOException e) {
            throw new LabException("cannot run " + command + " in " + who + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while running " + command + " in " + who, e);
        }
    }

    /**
     * A process builder for a command inside a pod or ext (not started; redirect as you like). The process
     * moves into the pod's cgroup and network namespace before the command runs; exit 125 means the move
     * failed.
     */
    public ProcessBuilder command(String who, List<String> command) {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("no command to run in " + who);
        }
        Targets.Source s = Targets.source(model, who);
        return new ProcessBuilder(PodCommand.wrap(state.paths().cgroupOf(s.key()), s.netns(), command));
    }
}
