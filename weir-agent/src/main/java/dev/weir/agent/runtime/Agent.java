package dev.weir.agent.runtime;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.weir.agent.api.ApiHandler;
import dev.weir.agent.api.ApiServer;
import dev.weir.agent.api.ApiStream;
import dev.weir.agent.cni.CniServer;
import dev.weir.agent.cni.CniService;
import dev.weir.agent.cni.Ipam;
import dev.weir.agent.cni.PodLink;
import dev.weir.agent.endpoint.EndpointIds;
import dev.weir.agent.endpoint.EndpointSource;
import dev.weir.agent.flow.FlowApi;
import dev.weir.agent.flow.FlowDecorator;
import dev.weir.agent.flow.FlowHistory;
import dev.weir.agent.metrics.AgentMetrics;
import dev.weir.agent.prefilter.NodePrefilter;
import dev.weir.agent.store.Store;

/**
 * One node's agent: the components, wired and started in order — pid file, endpoint source, dataplane,
 * flow history, sync loop, API server — and stopped in reverse. A failed start stops what started.
 *
 * <p>Lifetime: {@link #start} once, then {@link #stop} (idempotent; the CLI calls it from a shutdown hook on
 * SIGTERM). {@link #awaitStop} blocks until then. The agent owns its components but not the store's
 * directory (shared) nor the log (the caller's).
 *
 * @param <R> the policy engine's result type
 */
public final class Agent<R> {

    /**
     * The parts the lead's kernel wiring replaces: the engine adapter, the kernel dataplane, the
     * conntrack reader, the per-entry counters, the node's prefilter as the dataplane has it (null: none); and
     * the flow sink they feed is {@link #flows()}.
     */
    public record Parts<R>(StateCompiler<R> compiler, Dataplane<R> dataplane, ConntrackReader conntrack,
                           EntryCounters counters, NodePrefilter prefilter) {
        public Parts(StateCompiler<R> compiler, Dataplane<R> dataplane, ConntrackReader conntrack) {
            this(compiler, dataplane, conntrack, EntryCounters.NONE);
        }

        public Parts(StateCompiler<R> compiler, Dataplane<R> dataplane, ConntrackReader conntrack,
                     EntryCounters counters) {
            this(compiler, dataplane, conntrack, counters, null);
        }
    }

    /** weir-cni's relay talks to {@code <run-dir>/cni.sock}. */
    public static final String CNI_SOCKET = "cni.sock";
    /** How long a CNI ADD waits for the sync loop to put the pod's policy in force. */
    static final java.time.Duration CNI_ENFORCE_TIMEOUT = java.time.Duration.ofSeconds(30);

    private final AgentConfig config;
    private final Store store;
    private final FlowHistory flows;
    private final SyncLoop<R> sync;
    private final Components components;
    private final AgentMetrics metrics;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Consumer<String> log;
    private volatile Throwable failure;

    /**
     * Wires the agent over a given store and endpoint source (tests); nothing starts yet.
     *
     * @throws dev.weir.agent.store.StoreException when the store directory cannot be opened
     */
    public Agent(AgentConfig config, Parts<R> parts, EndpointSource endpoints, Store store, Consumer<String> log) {
        this(config, parts, Kvstore.of(store, endpoints), log);
    }

    /** Wires the agent over its kvstore (which brings the store and the endpoint source); nothing starts yet. */
    public Agent(AgentConfig config, Parts<R> parts, Kvstore kvstore, Consumer<String> log) {
        this(config, parts, kvstore, null, log);
    }

    /**
     * Wires the agent over its kvstore, serving Prometheus metrics at {@code metrics} (none when null); nothing
     * starts yet.
     */
    public Agent(AgentConfig config, Parts<R> parts, Kvstore kvstore, AgentMetrics.Config metrics, Consumer<String> log) {
        this.config = config;
        this.store = kvstore.store();
        EndpointSource endpoints = kvstore.endpoints();
        FlowDecorator decorator = new FlowDecorator(config.node());
        this.flows = new FlowHistory(new FlowHistory.Config(config.flowCapacity(), 1024), decorator);
        this.log = log;
        CniService cni = kvstore.cniEndpoints() == null ? null : new CniService(new CniService.Parts(config.node(),
                kvstore.cniEndpoints(), new Ipam(config.site().podCidrs()), new PodLink(config.site().netns(), config.site().ipv4(), config.site().ipv6()),
                new EndpointIds(store), this::syncState, this::pokeSync, CNI_ENFORCE_TIMEOUT, parts.dataplane()), log);
        List<Consumer<SyncState>> listeners = new java.util.ArrayList<>(List.of(kvstore.onSync()));
        if (cni != null) {
            listeners.add(cni::synced);
        }
        if (cni != null && parts.prefilter() != null) {
            // after each sync: the prefilter's redirect stage needs GRO on the pods' side of their veths
            listeners.add(s -> cni.podGro(parts.prefilter().applied().settings().redirect()));
        }
        this.sync = new SyncLoop<>(new SyncLoop.Config(config.node(), config.pollInterval(), null), store, endpoints,
                parts.compiler(), parts.dataplane(), List.of(s -> decorator.update(s.cluster(), s.view())), listeners, log,
                this::fatal);
        kvstore.onChange(sync::poke);
        kvstore.onRecompute(sync::applyAgain);
        this.metrics = metrics == null ? null : new AgentMetrics(metrics, new AgentMetrics.Sources(config.node(), sync::state,
                flows::counters, () -> kvstore.directory().health(), parts.dataplane()::mapFill,
                parts.dataplane()::programCounters, () -> parts.prefilter() == null ? null : parts.prefilter().status()));
        if (this.metrics != null) {
            kvstore.metricsUrl(metrics.address().url(metrics.address().port()));
            kvstore.observe(this.metrics.kvstore());
            flows.tap(this.metrics::count);
            sync.onTimings(this.metrics::synced);
            sync.onEnforced(this.metrics::enforced);
        }
        Supplier<Map<String, String>> details = () -> {
            Map<String, String> d = new java.util.LinkedHashMap<>(parts.dataplane().details());
            if (this.metrics != null) {
                d.put("metricsUrl", this.metrics.url());
            }
            d.put("version", version());
            if (config.site().netns() != null) {
                d.put("netns", config.site().netns());
            }
            return d;
        };
        AgentApi api = new AgentApi(config.node(), store, parts.compiler(), sync::state, sync::poke, flows,
                parts.conntrack(), parts.dataplane().name(), parts.counters(), details, kvstore.directory());
        FlowApi flowApi = new FlowApi(flows);
        Map<String, ApiHandler> handlers = new HashMap<>(api.handlers());
        handlers.putAll(flowApi.handlers());
        handlers.putAll(new PathApi(config.node(), sync::state, () -> policyInForce(parts.compiler()),
                parts.conntrack()).handlers());
        handlers.putAll(new WhatIfApi(config.node(), store, parts.compiler(), sync::state, flows, config.site().allowLocalhost()).handlers());
        handlers.putAll(new PrefilterApi(config.node(), store, parts.compiler(), sync::state, sync::poke,
                parts.prefilter()).handlers());
        if (parts.dataplane() instanceof dev.weir.agent.datapath.KernelDataplane kernel) {
            handlers.putAll(new dev.weir.agent.capture.TraceApi(kernel::traceEvery, kernel::traceEvery).handlers());
            handlers.putAll(new dev.weir.agent.dns.DnsApi(kernel::dnsVisibility, kernel::dnsVisibility, kernel::dnsCounts).handlers());
        }
        Map<String, ApiStream> streams = new HashMap<>(flowApi.streams());
        java.nio.file.Path pins = dev.weir.agent.datapath.KernelPolicyDataplane.Config.defaults(config.node()).pinDir();
        streams.putAll(new dev.weir.agent.capture.CaptureApi(List.of(pins, pins.resolve("prefilter")), decorator,
                dev.weir.agent.capture.CaptureApi.interfaceNames(config.site().netns())).streams());
        ApiServer server = new ApiServer(new ApiServer.Config(config.socket()), handlers, streams, log);
        List<Component> started = new java.util.ArrayList<>(List.of(new PidFile(config.pidFile()), kvstore, endpoints,
                parts.dataplane(), flows, sync));
        if (this.metrics != null) {
            started.add(this.metrics);
        }
        started.add(server);
        if (cni != null) {
            started.add(new CniServer(config.runDir().resolve(CNI_SOCKET), cni, log));
        }
        this.components = new Components(started, log);
    }

    /** The policy engine's result the dataplane enforces, or null (before the first sync, or no engine). */
    private dev.weir.agent.policy.PolicyResult policyInForce(StateCompiler<R> compiler) {
        R r = sync.result();
        return r == null ? null : compiler.policy(r);
    }

    /** weir's version (the jar's), {@code dev} when run from classes. */
    public static String version() {
        String v = Agent.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    private void pokeSync() {
        sync.applyAgain();
    }

    /**
     * The standard agent: its kvstore ({@link Kvstore#open}: the file store and the lab's endpoints, or etcd), the policy and service engines and the kernel
     * datapath (tc_endpoint pinned under {@code /sys/fs/bpf/weir/<node>/}: policy, conntrack, service
     * translation), its flow events feeding the history.
     */
    public static Agent<ComputedState> standard(AgentConfig config, Consumer<String> log) {
        return standard(config, dev.weir.agent.datapath.SocketLbMode.auto, log);
    }

    /**
     * The standard agent with the socket-level service translation {@code socketLb}: on the cgroup of every
     * local pod as well as at TC (on), TC only (off), or on where the kernel has the hooks (auto).
     */
    public static Agent<ComputedState> standard(AgentConfig config, dev.weir.agent.datapath.SocketLbMode socketLb,
                                                Consumer<String> log) {
        return standard(config, socketLb, null, log);
    }

    /** The standard agent, serving Prometheus metrics at {@code metrics} (none when null). */
    public static Agent<ComputedState> standard(AgentConfig config, dev.weir.agent.datapath.SocketLbMode socketLb,
                                                AgentMetrics.Config metrics, Consumer<String> log) {
        return standard(config, socketLb, false, metrics, log);
    }

    /** The standard agent; with {@code sockmap}, TCP between two local pods goes socket to socket ({@code --sockmap}). */
    public static Agent<ComputedState> standard(AgentConfig config, dev.weir.agent.datapath.SocketLbMode socketLb,
                                                boolean sockmap, AgentMetrics.Config metrics, Consumer<String> log) {
        Kvstore kvstore = Kvstore.open(config, log);
        Store store = kvstore.store();
        java.util.concurrent.atomic.AtomicReference<dev.weir.agent.flow.FlowSink> sink =
                new java.util.concurrent.atomic.AtomicReference<>();
        var policyConfig = dev.weir.agent.datapath.KernelPolicyDataplane.Config.defaults(config.node())
                .withLbSizes(config.lbMapSizes()).withNodeSizes(config.nodeMapSizes()).withRouting(config.site().routing())
                .withHostCgroup(config.site().hostCgroup()).withNodePortMode(config.site().nodePortMode());
        var prefilter = NodePrefilter.kernel(config.node(), policyConfig.pinDir().resolve("prefilter"), config.runDir(), log);
        var dataplane = new dev.weir.agent.datapath.KernelDataplane(policyConfig, socketLb, sockmap, sink::get, prefilter, log);
        Parts<ComputedState> parts = new Parts<>(new ClusterCompiler(ClusterCompiler.storeIds(store, config.node()), config.lbMapSizes(),
                config.site().services(), config.site().allowLocalhost(), config.lockoutGuard()),
                dataplane, dataplane.conntrack(), dataplane::counters, prefilter);
        Agent<ComputedState> agent = new Agent<>(config, parts, kvstore, metrics, log);
        sink.set(agent.flows());
        return agent;
    }

    /**
     * Starts every component.
     *
     * @throws Components.ComponentStartException naming the failed component, after stopping the others
     */
    public void start() {
        try {
            java.nio.file.Files.deleteIfExists(config.failedFile());
        } catch (java.io.IOException e) {
            log.accept("cannot remove " + config.failedFile() + ": " + e);
        }
        components.start();
    }

    /**
     * The sync thread died of an {@link Error}: logged, written to {@link AgentConfig#failedFile} (which
     * {@code weir status} shows), and the agent stops (on another thread: this one is the sync thread that
     * {@link #stop} joins); {@link #failure} then says why, and the process should exit non-zero.
     */
    private void fatal(Throwable t) {
        failure = t;
        StringWriter trace = new StringWriter();
        t.printStackTrace(new PrintWriter(trace));
        log.accept("FATAL: the sync thread died, stopping the agent: " + t + "\n" + trace);
        try {
            java.nio.file.Files.createDirectories(config.runDir());
            java.nio.file.Files.writeString(config.failedFile(), java.time.Instant.now() + " sync thread died: " + t + "\n");
        } catch (java.io.IOException | RuntimeException e) {
            log.accept("cannot write " + config.failedFile() + ": " + e);
        }
        Thread.ofPlatform().name("weir-fatal-stop").start(this::stop);
    }

    /** The error that stopped the agent, if one did. */
    public java.util.Optional<Throwable> failure() {
        return java.util.Optional.ofNullable(failure);
    }

    /** Stops every component in reverse; idempotent. */
    public void stop() {
        synchronized (components) {
            components.stop();
        }
        stopped.countDown();
    }

    /** Blocks until {@link #stop} ran. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    public AgentConfig config() {
        return config;
    }

    /** The sink the kernel adapter feeds with flow events. */
    public FlowHistory flows() {
        return flows;
    }

    public SyncState syncState() {
        return sync.state();
    }

    public Store store() {
        return store;
    }
}
