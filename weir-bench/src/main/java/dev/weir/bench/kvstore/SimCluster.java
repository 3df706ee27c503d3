package dev.weir.bench.kvstore;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import dev.weir.agent.cluster.EndpointRecord;
import dev.weir.agent.cluster.NodeRecord;
import dev.weir.agent.store.etcd.Etcd;
import dev.weir.agent.store.etcd.EtcdNodeRegistry;

/**
 * N simulated weir nodes in this process: each a real {@link EtcdNodeRegistry} (its own lease, its node record
 * and endpoints under it, its watches of every node's records), without a datapath or a desired-state store.
 * The nodes share {@link Config#nodesPerClient}-sized groups of jetcd clients (a real cluster has one per
 * node), and, unless {@link Config#threadsPerNode}, one scheduler for their writes, heartbeats and retries.
 *
 * <p>Lifetime: {@link #create} (nothing sent yet), {@link #start}, then {@link #publishAll} once and any number
 * of {@link #addEndpoint} / {@link #removeEndpoint}; {@link #close} stops every registry and closes the clients
 * and the scheduler (the leases are left to expire, as an agent's stop leaves them). Not thread-safe: one
 * benchmark thread drives it.
 */
final class SimCluster implements AutoCloseable {

    /**
     * @param nodes            how many simulated nodes
     * @param endpointsPerNode endpoints each publishes
     * @param nodesPerClient   nodes per jetcd client
     * @param threadsPerNode   true: each registry has its own threads (as an agent's); false: one shared scheduler
     * @param schedulerThreads threads of the shared scheduler
     * @param leaseTtl         the registries' lease TTL (null: the agent's default)
     * @param heartbeat        how often each node record is written again (null: the agent's default)
     * @param clientTimeout    the clients' operation timeout
     */
    record Config(int nodes, int endpointsPerNode, int nodesPerClient, boolean threadsPerNode, int schedulerThreads,
                  Duration leaseTtl, Duration heartbeat, Duration clientTimeout) {
        int clients() {
            return (nodes + nodesPerClient - 1) / nodesPerClient;
        }
    }

    private final Config config;
    private final List<Etcd> clients;
    private final ScheduledThreadPoolExecutor scheduler;
    private final List<EtcdNodeRegistry> registries;
    private final List<List<EndpointRecord>> endpoints;
    private final ViewProbe probe;
    private final AtomicLong messages = new AtomicLong();
    private final Queue<String> notable = new ConcurrentLinkedQueue<>();

    private SimCluster(Config config, List<Etcd> clients, ScheduledThreadPoolExecutor scheduler) {
        this.config = config;
        this.clients = clients;
        this.scheduler = scheduler;
        this.registries = new ArrayList<>(config.nodes());
        this.endpoints = new ArrayList<>(config.nodes());
        this.probe = new ViewProbe(config.nodes());
    }

    /** Opens the clients and builds the registries; nothing is sent to etcd yet. */
    static SimCluster create(Config config, List<URI> etcdEndpoints) {
        List<Etcd> clients = new ArrayList<>();
        for (int c = 0; c < config.clients(); c++) {
            clients.add(Etcd.connect(new Etcd.Config(etcdEndpoints, "weir/", config.clientTimeout())));
        }
        ScheduledThreadPoolExecutor scheduler = null;
        if (!config.threadsPerNode()) {
            scheduler = new ScheduledThreadPoolExecutor(config.schedulerThreads(),
                    Thread.ofPlatform().daemon(true).name("sim-registry-", 0).factory());
            scheduler.setRemoveOnCancelPolicy(true);
        }
        SimCluster sim = new SimCluster(config, clients, scheduler);
        for (int i = 0; i < config.nodes(); i++) {
            sim.add(i);
        }
        return sim;
    }

    private void add(int i) {
        Etcd client = clients.get(i / config.nodesPerClient());
        EtcdNodeRegistry.Config rc = new EtcdNodeRegistry.Config(name(i), config.leaseTtl(), config.heartbeat());
        Consumer<String> log = this::log;
        EtcdNodeRegistry r = scheduler == null ? new EtcdNodeRegistry(rc, client, log) : new EtcdNodeRegistry(rc, client, scheduler, log);
        r.onChange(() -> probe.changed(i));
        registries.add(r);
        List<EndpointRecord> own = new ArrayList<>();
        for (int j = 0; j < config.endpointsPerNode(); j++) {
            own.add(endpoint(i, j));
        }
        endpoints.add(List.copyOf(own));
    }

    int size() {
        return registries.size();
    }

    /** Starts every registry at once (each lists both prefixes and watches them); returns how long that took. */
    long start() throws InterruptedException {
        long t0 = System.nanoTime();
        forEachInParallel(EtcdNodeRegistry::start);
        return System.nanoTime() - t0;
    }

    /** Every node publishes its record and endpoints at once; returns when every view holds all of them. */
    ViewProbe.Result publishAll(Duration timeout) throws InterruptedException {
        int n = config.nodes();
        int e = n * config.endpointsPerNode();
        return probe.await(i -> registries.get(i).nodeCount() == n && registries.get(i).endpointCount() == e, () -> {
            for (int i = 0; i < n; i++) {
                registries.get(i).publishNode(nodeRecord(i));
                registries.get(i).publishEndpoints(endpoints.get(i));
            }
        }, timeout);
    }

    /** Node {@code node} publishes one more endpoint; returns when it is in every view. */
    ViewProbe.Result addEndpoint(int node, int seq, Duration timeout) throws InterruptedException {
        EndpointRecord extra = probeEndpoint(node, seq);
        List<EndpointRecord> now = new ArrayList<>(endpoints.get(node));
        now.add(extra);
        return probe.await(i -> registries.get(i).endpoint(extra.key()).isPresent(),
                () -> registries.get(node).publishEndpoints(now), timeout);
    }

    /** Node {@code node} withdraws the endpoint {@link #addEndpoint} added; returns when it left every view. */
    ViewProbe.Result removeEndpoint(int node, int seq, Duration timeout) throws InterruptedException {
        String key = probeEndpoint(node, seq).key();
        return probe.await(i -> registries.get(i).endpoint(key).isEmpty(),
                () -> registries.get(node).publishEndpoints(endpoints.get(node)), timeout);
    }

    /** Registry messages so far (lease grants, and anything unusual: {@link #notable}). */
    long messages() {
        return messages.get();
    }

    /** Up to 20 messages other than lease grants (write failures, watch errors, lost leases). */
    List<String> notable() {
        return List.copyOf(notable);
    }

    int clientCount() {
        return clients.size();
    }

    @Override
    public void close() throws InterruptedException {
        forEachInParallel(EtcdNodeRegistry::stop);
        clients.forEach(Etcd::close);
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    private void forEachInParallel(Consumer<EtcdNodeRegistry> op) throws InterruptedException {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            registries.forEach(r -> pool.submit(() -> op.accept(r)));
            pool.shutdown();
            if (!pool.awaitTermination(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("registries did not start or stop within 10 minutes");
            }
        }
    }

    private void log(String message) {
        messages.incrementAndGet();
        boolean routine = message.startsWith("etcd: lease ") && message.contains(" holds ");
        if (!routine && notable.size() < 20) {
            notable.add(message);
        }
    }

    static String name(int i) {
        return String.format("node-%04d", i);
    }

    static NodeRecord nodeRecord(int i) {
        String now = java.time.Instant.now().toString();
        return new NodeRecord(name(i), null, "192.168." + (i / 250) + "." + (i % 250 + 1), null, "sim-host-" + i, 1000 + i,
                now, "bench", 1, 0, null, 10, now);
    }

    /** A pod as the lab publishes one: an app, a tier and a template hash; its namespace's labels. */
    static EndpointRecord endpoint(int node, int j) {
        String ns = "team-" + (node % 20);
        String pod = "app-" + j + "-" + Integer.toHexString(0x5f000 + node * 16 + j);
        return new EndpointRecord(node * 16 + j + 1, ns, pod, Map.of("app", "app-" + j, "tier", "tier-" + (j % 3),
                "pod-template-hash", Integer.toHexString(0x7a000 + j)), Map.of("kubernetes.io/metadata.name", ns, "team", "t-" + (node % 10)),
                name(node), "10." + (node / 250) + "." + (node % 250) + "." + (j + 2), null, "lxc" + Integer.toHexString(node * 16 + j), null);
    }

    static EndpointRecord probeEndpoint(int node, int seq) {
        String ns = "team-" + (node % 20);
        return new EndpointRecord(60_000 + seq, ns, "probe-" + seq, Map.of("app", "probe", "tier", "tier-0"),
                Map.of("kubernetes.io/metadata.name", ns, "team", "t-" + (node % 10)), name(node),
                "10.250." + (seq / 250) + "." + (seq % 250 + 1), null, "lxcprobe" + seq, null);
    }
}
