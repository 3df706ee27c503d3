package dev.weir.agent.store.etcd;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

import dev.weir.agent.cluster.EndpointRecord;
import dev.weir.agent.cluster.NodeRecord;
import dev.weir.agent.runtime.Component;
import dev.weir.agent.store.StoreException;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;

/**
 * This node's records in etcd and every node's records as seen through a watch (docs/kvstore.md):
 * {@code weir/nodes/<node>} ({@link NodeRecord}) and {@code weir/endpoints/<node>/<ns>/<pod>}
 * ({@link EndpointRecord}), each put with the agent's lease, so that a node whose agent is gone for good
 * disappears from every other node's view when the lease expires. The lease is kept alive by jetcd; a lost
 * lease (expired during a long outage) is granted again and every record put again.
 *
 * <p>Writes are asynchronous and coalesced: {@link #publishNode} and {@link #publishEndpoints} set what should
 * be in etcd and return at once; one publisher thread writes the difference to what it wrote last (one
 * transaction per chunk), retrying while etcd does not answer. Every {@code heartbeat} the agent's clock is
 * written to {@code heartbeats/<node>}, a key nobody watches. A graceful stop does not revoke the lease: an agent that restarts takes
 * its records over before the lease expires, so a restart does not remove the node's endpoints anywhere.
 *
 * <p>Lifetime: {@link #start} (never fails for want of etcd: it keeps trying; {@link #start(boolean)} need not even
 * try at once), {@link #stop}. Owns its watches, not the {@link Etcd} connection. Threads: its own three (the
 * publisher and one per watch for retries), or, when constructed with a scheduler, none: its writes, heartbeats
 * and retries then run on that scheduler, which the caller owns and may share between many registries (a
 * benchmark simulating a thousand nodes in one process does); {@link #stop} cancels this registry's tasks on it
 * and leaves it running. Thread-safe.
 */
public final class EtcdNodeRegistry implements Component, dev.weir.agent.cluster.NodeRegistry {

    static final ObjectMapper JSON = JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
    /** etcd 3.4 takes at most 128 operations per transaction. */
    private static final int MAX_OPS = 100;

    /**
     * @param node      this node's name
     * @param leaseTtl  how long this node's records outlive its agent
     * @param heartbeat how often {@code heartbeats/<node>} is written with the agent's clock
     */
    public record Config(String node, Duration leaseTtl, Duration heartbeat) {
        public Config {
            Objects.requireNonNull(node, "node");
            leaseTtl = leaseTtl == null ? Duration.ofSeconds(30) : leaseTtl;
            heartbeat = heartbeat == null ? Duration.ofSeconds(10) : heartbeat;
            if (leaseTtl.toSeconds() < 2) {
                throw new IllegalArgumentException("the lease TTL must be at least 2 s, not " + leaseTtl);
            }
        }
    }

    private final Config config;
    private final Etcd etcd;
    private final Consumer<String> log;
    private final WatchedPrefix nodes;
    private final WatchedPrefix endpoints;
    private final AtomicLong version = new AtomicLong();
    private final Object lock = new Object();
    /** Held while writing: one flush at a time, also on a shared scheduler with several threads. */
    private final Object flushing = new Object();
    /** The caller's scheduler, or null when the registry has threads of its own. */
    private final ScheduledExecutorService shared;
    private ScheduledExecutorService publisher;
    private volatile ScheduledFuture<?> heartbeats;
    private ScheduledFuture<?> queuedFlush;
    private volatile boolean stopped;
    private CloseableClient keepAlive;
    private long lease;
    private NodeRecord wantedNode;
    private Map<String, EndpointRecord> wantedEndpoints;
    private final Map<String, String> written = new HashMap<>();
    /** Allocation keys this node's endpoints use: by table, key to number ({@link #publishReferences}). */
    private Map<String, Map<String, Integer>> wantedRefs = Map.of();
    private Runnable staleRefs = () -> { };
    /** The references written under the current lease: relative key of the reference to the number it holds. */
    private final Map<String, Integer> writtenRefs = new HashMap<>();
    private boolean flushQueued;
    private volatile String lastError;

    /** With threads of its own (a publisher, and one per watch for retries). */
    public EtcdNodeRegistry(Config config, Etcd etcd, Consumer<String> log) {
        this(config, etcd, null, log);
    }

    /**
     * With no thread of its own: writes, heartbeats and watch retries run on {@code scheduler}, which the caller
     * owns, may share between registries, and must keep running until {@link #stop} returned. Writes block one of
     * its threads for up to the client's timeout while etcd does not answer; give it several threads when it
     * serves many registries.
     */
    public EtcdNodeRegistry(Config config, Etcd etcd, ScheduledExecutorService scheduler, Consumer<String> log) {
        this.config = config;
        this.etcd = etcd;
        this.log = log;
        this.shared = scheduler;
        this.nodes = scheduler == null ? new WatchedPrefix(etcd, "nodes/", log) : new WatchedPrefix(etcd, "nodes/", scheduler, log);
        this.endpoints = scheduler == null ? new WatchedPrefix(etcd, "endpoints/", log)
                : new WatchedPrefix(etcd, "endpoints/", scheduler, log);
        nodes.addListener(u -> version.incrementAndGet());
        endpoints.addListener(u -> version.incrementAndGet());
    }

    @Override
    public String name() {
        return "node-registry(etcd " + config.node() + ")";
    }

    @Override
    public void start() {
        start(true);
    }

    /**
     * Starts; with {@code listNow} false the node records and endpoints are listed in the background only (the
     * caller knows etcd does not answer now: an agent starting during an outage need not wait a timeout for each).
     */
    public void start(boolean listNow) {
        ScheduledExecutorService p = shared != null ? shared : Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().daemon(true).name("weir-etcd-publish").unstarted(r));
        synchronized (lock) {
            publisher = p;
        }
        if (listNow) {
            nodes.start();
            endpoints.start();
        } else {
            nodes.startInBackground();
            endpoints.startInBackground();
        }
        long every = config.heartbeat().toMillis();
        heartbeats = p.scheduleWithFixedDelay(this::heartbeat, every, every, TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop() {
        stopped = true;
        ScheduledExecutorService p;
        synchronized (lock) {
            p = publisher;
            if (queuedFlush != null) {
                queuedFlush.cancel(false);
            }
        }
        if (heartbeats != null) {
            heartbeats.cancel(false);
        }
        if (p != null && shared == null) {
            p.shutdownNow();
            try {
                p.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else if (p != null) {
            synchronized (flushing) {
                // a write in progress on the shared scheduler has ended; later ones see stopped and return
            }
        }
        synchronized (lock) {
            lease = 0;
            if (keepAlive != null) {
                keepAlive.close();
                keepAlive = null;
            }
        }
        nodes.close();
        endpoints.close();
    }

    /** Sets this node's record; written soon. */
    @Override
    public void publishNode(NodeRecord record) {
        synchronized (lock) {
            if (record.equals(wantedNode)) {
                return;
            }
            wantedNode = record;
        }
        queueFlush(0);
    }

    /** Sets this node's endpoints (every one of them); written soon, the difference only. */
    @Override
    public void publishEndpoints(List<EndpointRecord> local) {
        Map<String, EndpointRecord> byKey = new HashMap<>();
        for (EndpointRecord e : local) {
            if (!e.node().equals(config.node())) {
                throw new IllegalArgumentException(e.key() + " is not on " + config.node());
            }
            byKey.put(e.key(), e);
        }
        synchronized (lock) {
            if (byKey.equals(wantedEndpoints)) {
                return;
            }
            wantedEndpoints = byKey;
        }
        queueFlush(0);
    }

    /**
     * Sets the keys of {@code table} this node's endpoints use. Each is written as {@code refs/<table>/<key>/<node>}
     * under this node's lease, in one transaction with a rewrite of the key's allocation that only goes through
     * while the key still has that number: a collector that read no reference then fails to delete it
     * ({@code EtcdAllocations#releaseUnreferenced}). When the key was collected or renumbered meanwhile, the
     * reference is not written and {@code stale} runs (the agent computes, and allocates, again).
     */
    @Override
    public void publishReferences(String table, Map<String, Integer> keys, Runnable stale) {
        synchronized (lock) {
            Map<String, Integer> was = wantedRefs.getOrDefault(table, Map.of());
            staleRefs = stale;
            if (was.equals(keys)) {
                return;
            }
            Map<String, Map<String, Integer>> next = new HashMap<>(wantedRefs);
            next.put(table, Map.copyOf(keys));
            wantedRefs = Map.copyOf(next);
        }
        queueFlush(0);
    }

    /** Every node's record as last seen (this node's included once written), by name. */
    @Override
    public Map<String, NodeRecord> nodes() {
        Map<String, NodeRecord> out = new java.util.TreeMap<>();
        nodes.entries().forEach((k, e) -> parse(k, e, NodeRecord.class).ifPresent(r -> out.put(r.name(), r)));
        return out;
    }

    /** Every endpoint other nodes publish, by {@code node/namespace/pod}. */
    @Override
    public Map<String, EndpointRecord> remoteEndpoints() {
        Map<String, EndpointRecord> out = new java.util.TreeMap<>();
        endpoints.entries().forEach((k, e) -> {
            if (!k.startsWith(config.node() + "/")) {
                parse(k, e, EndpointRecord.class).ifPresent(r -> out.put(k, r));
            }
        });
        return out;
    }

    /**
     * One endpoint ({@code node/namespace/pod}, this node's own included) as last seen through the watch, or empty;
     * parses that record only.
     */
    public java.util.Optional<EndpointRecord> endpoint(String key) {
        return endpoints.entry(key).flatMap(e -> parse(key, e, EndpointRecord.class));
    }

    /** How many node records the view holds (this node's included once written); nothing is parsed. */
    public int nodeCount() {
        return nodes.size();
    }

    /** How many endpoints the view holds (this node's own included once written); nothing is parsed. */
    public int endpointCount() {
        return endpoints.size();
    }

    /** Moves whenever another node's record or endpoint changes: a cheap way to see that nothing did. */
    @Override
    public long version() {
        return version.get();
    }

    /** True when both watches run (the view is current). */
    @Override
    public boolean live() {
        return nodes.live() && endpoints.live();
    }

    /** The last write failure, or null when the last write went through. */
    @Override
    public String lastError() {
        return lastError;
    }

    /** Registers a callback for every change of the view (another node or endpoint). */
    @Override
    public void onChange(Runnable r) {
        nodes.addListener(u -> r.run());
        endpoints.addListener(u -> r.run());
    }

    private <T> java.util.Optional<T> parse(String key, WatchedPrefix.Entry e, Class<T> type) {
        try {
            return java.util.Optional.of(JSON.readValue(e.value(), type));
        } catch (IOException ex) {
            log.accept("etcd: ignoring unreadable record " + key + ": " + ex.getMessage());
            return java.util.Optional.empty();
        }
    }

    /**
     * Writes {@code heartbeats/<node>} (the agent's clock, under its lease). Not in the record: every node
     * watches {@code nodes/}, so a record rewritten every few seconds would cost N^2 watch events per period
     * (measured: the one thing of the registry that does not scale to 1,000 nodes); nobody watches
     * heartbeats, they are read when asked for (clock skew, liveness beyond the lease).
     */
    private void heartbeat() {
        long id;
        synchronized (lock) {
            if (wantedNode == null || stopped || lease == 0) {
                return;
            }
            id = lease;
        }
        try {
            etcd.call("put", "heartbeats", "write the heartbeat", () -> etcd.client().getKVClient().put(etcd.key("heartbeats/" + config.node()),
                    Etcd.bytes(Instant.now().toString()), PutOption.builder().withLeaseId(id).build()));
        } catch (StoreException e) {
            // the next one, or the flush's retry, says more
        }
    }

    private void queueFlush(long delayMs) {
        synchronized (lock) {
            if (flushQueued || publisher == null || stopped) {
                return;
            }
            flushQueued = true;
            try {
                queuedFlush = publisher.schedule(() -> {
                    synchronized (lock) {
                        flushQueued = false;
                    }
                    flush();
                }, delayMs, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // stopping
            }
        }
    }

    /** Writes what differs from what was written; on failure, tries again in a second. On the publisher only. */
    private void flush() {
        synchronized (flushing) {
            if (!stopped) {
                write();
            }
        }
    }

    private void write() {
        try {
            ensureLease();
            Map<String, String> want = wanted();
            List<Op> ops = new ArrayList<>();
            List<Runnable> onSuccess = new ArrayList<>();
            PutOption withLease = PutOption.builder().withLeaseId(lease).build();
            want.forEach((k, v) -> {
                if (!v.equals(written.get(k))) {
                    ops.add(Op.put(etcd.key(k), Etcd.bytes(v), withLease));
                    onSuccess.add(() -> written.put(k, v));
                }
            });
            for (String k : List.copyOf(written.keySet())) {
                if (!want.containsKey(k)) {
                    ops.add(Op.delete(etcd.key(k), DeleteOption.DEFAULT));
                    onSuccess.add(() -> written.remove(k));
                }
            }
            for (String k : staleOwnEndpoints(want)) {
                ops.add(Op.delete(etcd.key(k), DeleteOption.DEFAULT));
            }
            writeReferences(withLease);
            for (int i = 0; i < ops.size(); i += MAX_OPS) {
                List<Op> chunk = ops.subList(i, Math.min(ops.size(), i + MAX_OPS));
                etcd.call("txn", "nodes", "write node records", () -> etcd.client().getKVClient().txn().Then(chunk.toArray(Op[]::new)).commit());
                onSuccess.subList(Math.min(i, onSuccess.size()), Math.min(onSuccess.size(), i + MAX_OPS)).forEach(Runnable::run);
            }
            if (lastError != null) {
                log.accept("etcd: node records written again");
            }
            lastError = null;
        } catch (StoreException e) {
            if (!Objects.equals(lastError, e.getMessage())) {
                log.accept("etcd: cannot write node records: " + e.getMessage() + "; retrying");
            }
            lastError = e.getMessage();
            synchronized (lock) {
                if (e.getMessage() != null && e.getMessage().contains("lease not found")) {
                    lease = 0;
                }
            }
            queueFlush(1000);
        }
    }

    /**
     * Writes the references that are new (one transaction each: the reference, and the allocation rewritten while
     * it still holds the number) before the endpoints that use them, and deletes those no longer wanted.
     */
    private void writeReferences(PutOption withLease) {
        Map<String, Map<String, Integer>> want;
        Runnable stale;
        synchronized (lock) {
            want = wantedRefs;
            stale = staleRefs;
        }
        Map<String, Integer> wanted = new HashMap<>();
        boolean lost = false;
        for (Map.Entry<String, Map<String, Integer>> t : want.entrySet()) {
            for (Map.Entry<String, Integer> e : t.getValue().entrySet()) {
                String ref = EtcdKeys.ref(t.getKey(), e.getKey(), config.node());
                wanted.put(ref, e.getValue());
                if (e.getValue().equals(writtenRefs.get(ref))) {
                    continue;
                }
                io.etcd.jetcd.ByteSequence alloc = etcd.key(EtcdKeys.allocKey(t.getKey(), e.getKey()));
                io.etcd.jetcd.ByteSequence number = Etcd.bytes(Integer.toString(e.getValue()));
                boolean held = etcd.call("txn", "alloc", "reference " + t.getKey() + " " + e.getValue(), () -> etcd.client()
                        .getKVClient().txn()
                        .If(new io.etcd.jetcd.op.Cmp(alloc, io.etcd.jetcd.op.Cmp.Op.EQUAL, io.etcd.jetcd.op.CmpTarget.value(number)))
                        .Then(Op.put(etcd.key(ref), number, withLease), Op.put(alloc, number, PutOption.DEFAULT))
                        .commit()).isSucceeded();
                if (held) {
                    writtenRefs.put(ref, e.getValue());
                } else {
                    log.accept("etcd: " + t.getKey() + " " + e.getValue() + " was collected or renumbered before "
                            + config.node() + " referenced it; computing again");
                    lost = true;
                }
            }
        }
        for (String ref : List.copyOf(writtenRefs.keySet())) {
            if (!wanted.containsKey(ref)) {
                etcd.call("delete", "alloc", "drop a reference", () -> etcd.client().getKVClient().delete(etcd.key(ref)));
                writtenRefs.remove(ref);
            }
        }
        if (lost) {
            stale.run();
            queueFlush(1000); // until the computation brings the key's new number
        }
    }

    /** Keys under {@code endpoints/<this node>/} in etcd that this agent does not want (left by an earlier agent). */
    private List<String> staleOwnEndpoints(Map<String, String> want) {
        List<String> out = new ArrayList<>();
        String own = config.node() + "/";
        for (String k : endpoints.entries().keySet()) {
            String full = "endpoints/" + k;
            if (k.startsWith(own) && !want.containsKey(full) && !written.containsKey(full)) {
                out.add(full);
            }
        }
        return out;
    }

    private Map<String, String> wanted() {
        Map<String, String> out = new HashMap<>();
        synchronized (lock) {
            try {
                if (wantedNode != null) {
                    out.put("nodes/" + config.node(), JSON.writeValueAsString(wantedNode));
                }
                if (wantedEndpoints != null) {
                    for (EndpointRecord e : wantedEndpoints.values()) {
                        out.put("endpoints/" + e.key(), JSON.writeValueAsString(e));
                    }
                }
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("cannot encode a node record: " + e.getMessage(), e);
            }
        }
        return out;
    }

    /** Grants a lease when there is none (first write, or lost), and puts everything again under it. */
    private void ensureLease() {
        synchronized (lock) {
            if (lease != 0) {
                return;
            }
        }
        long id = etcd.call("lease-grant", "leases", "grant a lease", () -> etcd.client().getLeaseClient().grant(config.leaseTtl().toSeconds())).getID();
        synchronized (lock) {
            if (keepAlive != null) {
                keepAlive.close();
            }
            lease = id;
            written.clear();
            writtenRefs.clear();
            keepAlive = etcd.client().getLeaseClient().keepAlive(id, new StreamObserver<>() {
                @Override
                public void onNext(LeaseKeepAliveResponse r) {
                    if (r.getTTL() <= 0) {
                        leaseLost(id, "expired");
                    }
                }

                @Override
                public void onError(Throwable t) {
                    // jetcd reports every broken keep-alive stream here and reconnects by itself
                    if (String.valueOf(t.getMessage()).contains("lease not found")) {
                        leaseLost(id, t.getMessage());
                    }
                }

                @Override
                public void onCompleted() {
                    // jetcd gave up: no keep-alive answered in time (for a new lease: within gRPC's keep-alive timeout)
                    leaseLost(id, "no keep-alive answered in time");
                }
            });
        }
        log.accept("etcd: lease " + Long.toHexString(id) + " (TTL " + config.leaseTtl().toSeconds() + " s) holds "
                + config.node() + "'s records");
    }

    private void leaseLost(long id, String why) {
        synchronized (lock) {
            if (lease != id) {
                return;
            }
            lease = 0;
        }
        log.accept("etcd: lease " + Long.toHexString(id) + " lost (" + why + "); granting a new one");
        queueFlush(1000);
    }
}
