package dev.weir.agent.runtime;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

import dev.weir.agent.endpoint.ClusterState;
import dev.weir.agent.endpoint.EndpointSource;
import dev.weir.agent.store.Store;
import dev.weir.agent.store.StoreIdentityAllocator;

/**
 * Keeps the dataplane in step with desired state: whenever the store's revision or the cluster changes,
 * it compiles the whole state ({@link StateCompiler}), hands the result to the {@link Dataplane},
 * and records the applied revision ({@link #state}). A failure is recorded and retried after
 * {@code retryInterval}. Listeners hear of every new state, a failure included: the {@code readers} before it is
 * published (what answers about a revision must know it by the time anyone can see the revision as applied: the
 * flow decorator names a new service's first flows), the {@code listeners} after it. One platform thread, started by {@link #start} and joined by {@link #stop}; the
 * loop owns nothing else. {@link #state} is safe from any thread. An {@link Error} (OutOfMemoryError, a
 * linkage error) on that thread is not retried: the thread hands it to the {@code fatal} handler and ends,
 * and the owner stops the agent (a process that cannot sync must not go on answering as if it did).
 *
 * @param <R> the engine's result type
 */
public final class SyncLoop<R> implements Component {

    /**
     * @param node          this node's name
     * @param pollInterval  how often the store and the endpoint source are looked at
     * @param retryInterval how long to wait after a failure before trying the same state again
     */
    public record Config(String node, Duration pollInterval, Duration retryInterval) {
        public Config {
            Objects.requireNonNull(node, "node");
            pollInterval = pollInterval == null ? Duration.ofMillis(100) : pollInterval;
            retryInterval = retryInterval == null ? Duration.ofSeconds(1) : retryInterval;
        }
    }

    private final Config config;
    private final Store store;
    private final EndpointSource endpoints;
    private final StateCompiler<R> compiler;
    private final Dataplane<R> dataplane;
    private final StoreIdentityAllocator identities;
    private final List<Consumer<SyncState>> readers;
    private final List<Consumer<SyncState>> listeners;
    /** Told each applied revision's compile and dataplane seconds (metrics). */
    private volatile java.util.function.BiConsumer<Double, Double> timings = (c, d) -> { };
    private volatile java.util.function.DoubleConsumer enforced = x -> { };
    private final Consumer<String> log;
    private final Consumer<Throwable> fatal;
    private final Object wake = new Object();
    private final HeapGiveBack heap;
    /** Set by {@link #poke} and cleared when the loop looks: a poke during a sync is not lost. */
    private boolean poked;
    private volatile SyncState state = SyncState.INITIAL;
    /** The result {@link #state} was applied from; null before the first sync. */
    private volatile R result;
    private volatile boolean running;
    private Thread thread;

    public SyncLoop(Config config, Store store, EndpointSource endpoints, StateCompiler<R> compiler,
                    Dataplane<R> dataplane, List<Consumer<SyncState>> listeners, Consumer<String> log) {
        this(config, store, endpoints, compiler, dataplane, List.of(), listeners, log,
                t -> log.accept("sync thread died: " + t));
    }

    /**
     * @param readers   told each new state just before it is published ({@link #state})
     * @param listeners told each new state just after
     * @param fatal     called once, on the sync thread, with an {@link Error} that ended it
     */
    public SyncLoop(Config config, Store store, EndpointSource endpoints, StateCompiler<R> compiler,
                    Dataplane<R> dataplane, List<Consumer<SyncState>> readers, List<Consumer<SyncState>> listeners,
                    Consumer<String> log, Consumer<Throwable> fatal) {
        this.readers = List.copyOf(readers);
        this.fatal = fatal;
        this.config = config;
        this.store = store;
        this.endpoints = endpoints;
        this.compiler = compiler;
        this.dataplane = dataplane;
        this.identities = new StoreIdentityAllocator(store);
        this.listeners = List.copyOf(listeners);
        this.log = log;
        this.heap = new HeapGiveBack(log, System.nanoTime());
    }

    @Override
    public String name() {
        return "sync-loop";
    }

    /** Syncs once (so that the agent answers with a meaningful state), then loops on its own thread. */
    @Override
    public void start() {
        syncOnce();
        running = true;
        thread = Thread.ofPlatform().name("weir-sync").daemon(true).start(this::loop);
    }

    @Override
    public void stop() {
        running = false;
        Thread t = thread;
        if (t != null) {
            poke();
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Hands each applied revision's compile and dataplane times (seconds) to {@code t}. */
    public void onTimings(java.util.function.BiConsumer<Double, Double> t) {
        timings = t;
    }

    /**
     * Hands {@code t}, for each revision this node enforces for the first time, the seconds from its commit (the
     * store's {@code committedAt}, on the committing agent's clock) to the moment its dataplane write returned here;
     * 0 when the clocks put the commit later. Revisions whose commit time the store does not know, and the one
     * the agent's first sync applies (committed before it started, perhaps long before), are left out.
     */
    public void onEnforced(java.util.function.DoubleConsumer t) {
        enforced = t;
    }

    /** Set by {@link #applyAgain}: the next look applies even when nothing seems to have changed. */
    private volatile boolean force;

    /**
     * Makes the loop apply at its next look (at once) even when the store and the cluster look as applied: an
     * interface may be new under the same name (a pod deleted and added again between two looks).
     */
    public void applyAgain() {
        force = true;
        poke();
    }

    /** Makes the loop look now instead of at the next poll (after a commit through this agent). */
    public void poke() {
        synchronized (wake) {
            poked = true;
            wake.notifyAll();
        }
    }

    public SyncState state() {
        return state;
    }

    /** The engine's result the dataplane enforces (the one {@link #state}'s view shows), or null before the first sync. */
    public R result() {
        return result;
    }

    private void loop() {
        try {
            loopUntilStopped();
        } catch (Error e) {
            running = false;
            fatal.accept(e);
        }
    }

    private void loopUntilStopped() {
        while (running) {
            synchronized (wake) {
                poked = false;
            }
            syncOnce();
            collectIdentities(Instant.now());
            heap.idle(System.nanoTime());
            long waitMs = state.error() != null ? config.retryInterval().toMillis() : config.pollInterval().toMillis();
            synchronized (wake) {
                try {
                    if (!poked) {
                        wake.wait(Math.max(1, waitMs));
                    }
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** Looks once; applies when the revision or the cluster changed, or the last attempt failed. */
    private Instant lastCollect = Instant.EPOCH;

    /** Identity garbage collection, every few seconds, from the last successful computation's identities. */
    void collectIdentities(Instant now) {
        SyncState s = state;
        if (s.error() != null || s.syncs() == 0 || now.isBefore(lastCollect.plusSeconds(5))) {
            return;
        }
        lastCollect = now;
        java.util.Set<Integer> inUse = new java.util.HashSet<>();
        s.view().identities().forEach(i -> inUse.add(i.id()));
        try {
            java.util.List<Integer> gone = identities.collect(inUse, now);
            if (!gone.isEmpty()) {
                log.accept("identities collected (unused for " + StoreIdentityAllocator.GRACE.toSeconds() + " s): " + gone);
            }
        } catch (RuntimeException e) {
            log.accept("identity collection failed: " + e);
        }
    }

    void syncOnce() {
        SyncState s = state;
        try {
            if (!store.ready()) {
                throw new IllegalStateException("the kvstore has not been read yet: the dataplane keeps what it enforces");
            }
            Store.Snapshot snapshot = store.snapshot();
            ClusterState cluster = endpoints.read();
            boolean forced = force;
            force = false;
            boolean changed = forced || snapshot.revision() != s.appliedRevision() || !cluster.equals(s.cluster())
                    || s.syncs() == 0 || s.error() != null;
            if (!changed) {
                return;
            }
            if (forced) {
                compiler.computeAfresh();
            }
            long t0 = System.nanoTime();
            R r = compiler.compile(new StateCompiler.Input(config.node(), cluster, snapshot.objects(),
                    snapshot.revision(), identities));
            long t1 = System.nanoTime();
            dataplane.apply(new Dataplane.Update<>(snapshot.revision(), config.node(), cluster, r));
            long t2 = System.nanoTime();
            Instant enforcedAt = Instant.now(); // the dataplane has it; the view below is for the API
            SyncState next = new SyncState(snapshot.revision(), enforcedAt, null, 0, cluster, compiler.view(r),
                    s.syncs() + 1);
            readers.forEach(l -> l.accept(next));
            result = r;
            state = next;
            timings.accept((t1 - t0) / 1e9, (t2 - t1) / 1e9);
            // not the first sync: a revision committed before this agent started says nothing about its latency
            if (s.syncs() > 0 && snapshot.revision() != s.appliedRevision() && snapshot.committedAt() != null) {
                enforced.accept(Math.max(0, java.time.Duration.between(snapshot.committedAt(), enforcedAt).toNanos() / 1e9));
            }
            if (s.appliedRevision() != next.appliedRevision() || s.error() != null) {
                log.accept("applied revision " + next.appliedRevision() + " (" + cluster.endpointsOn(config.node()).size()
                        + " local endpoints, " + next.view().identities().size() + " identities) in "
                        + String.format("%.1f ms: compile %.1f ms, dataplane %.1f ms", (t2 - t0) / 1e6, (t1 - t0) / 1e6,
                        (t2 - t1) / 1e6));
            }
            listeners.forEach(l -> l.accept(next));
            heap.active(System.nanoTime());
        } catch (RuntimeException e) {
            long failed = safeRevision();
            if (!Objects.equals(s.error(), String.valueOf(e.getMessage()))) {
                log.accept("sync of revision " + failed + " failed: " + e);
            }
            SyncState next = new SyncState(s.appliedRevision(), s.appliedAt(), String.valueOf(e.getMessage()), failed,
                    s.cluster(), s.view(), s.syncs());
            if (!next.equals(s)) {
                readers.forEach(l -> l.accept(next));
            }
            state = next;
            if (!next.equals(s)) {
                listeners.forEach(l -> l.accept(next));
            }
        }
    }

    private long safeRevision() {
        try {
            return store.revision();
        } catch (RuntimeException e) {
            return -1;
        }
    }
}
