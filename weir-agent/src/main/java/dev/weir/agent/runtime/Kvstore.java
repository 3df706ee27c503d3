package dev.weir.agent.runtime;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

import dev.weir.agent.cluster.Node;
import dev.weir.agent.cluster.NodeRecord;
import dev.weir.agent.endpoint.EndpointIds;
import dev.weir.agent.endpoint.EndpointSource;
import dev.weir.agent.endpoint.KvstoreEndpointSource;
import dev.weir.agent.endpoint.LabEndpointSource;
import dev.weir.agent.store.FileStore;
import dev.weir.agent.store.Store;
import dev.weir.agent.store.etcd.Etcd;
import dev.weir.agent.store.etcd.EtcdNodeRegistry;
import dev.weir.agent.store.etcd.EtcdStore;

/**
 * What an agent shares with the other nodes, by {@link AgentConfig#kvstore}: with {@code file}, the store
 * directory of this machine (every agent reads the lab's endpoints itself); with {@code etcd}, one etcd
 * connection carrying the desired state ({@link EtcdStore}), this node's records and the other nodes'
 * ({@link EtcdNodeRegistry}), and the endpoint source that merges this node's own endpoints with theirs.
 *
 * <p>Lifetime: a {@link Component} started before the endpoint source and the sync loop and stopped after
 * them; it owns the connection, the store's watch and the registry. Thread-safe.
 */
public final class Kvstore implements Component {

    private final String name;
    private final Store store;
    private final EndpointSource endpoints;
    private final ClusterDirectory directory;
    private final Consumer<SyncState> onSync;
    private final java.util.List<Runnable> changeListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Runnable start;
    private final Runnable stop;
    private final java.util.concurrent.atomic.AtomicReference<String> metricsUrl;

    private Kvstore(String name, Store store, EndpointSource endpoints, ClusterDirectory directory,
                    Consumer<SyncState> onSync, Runnable start, Runnable stop,
                    java.util.concurrent.atomic.AtomicReference<String> metricsUrl) {
        this.metricsUrl = metricsUrl;
        this.name = name;
        this.store = store;
        this.endpoints = endpoints;
        this.directory = directory;
        this.onSync = onSync;
        this.start = start;
        this.stop = stop;
    }

    /** A given store and endpoint source, with nothing to start (tests, embedding). */
    public static Kvstore of(Store store, EndpointSource endpoints) {
        return new Kvstore("kvstore(given)", store, endpoints, ClusterDirectory.FILE, s -> { }, () -> { }, () -> { },
                new java.util.concurrent.atomic.AtomicReference<>());
    }

    /** The kvstore the configuration names. */
    public static Kvstore open(AgentConfig config, Consumer<String> log) {
        return config.kvstore().etcd() ? etcd(config, log) : file(config, log);
    }

    /** The file store of {@link AgentConfig#storeDir}, the lab's endpoints of every node. */
    public static Kvstore file(AgentConfig config) {
        return file(config, m -> { });
    }

    /**
     * The file store of {@link AgentConfig#storeDir}, the lab's endpoints of every node; the store directory is
     * watched, so that another agent's commit wakes the sync loop ({@link #onChange}).
     */
    public static Kvstore file(AgentConfig config, Consumer<String> log) {
        FileStore store = new FileStore(FileStore.Config.of(config.storeDir()));
        EndpointSource endpoints = new LabEndpointSource(new LabEndpointSource.Config(config.labState()), new EndpointIds(store));
        Kvstore[] kv = new Kvstore[1];
        StoreDirectoryWatch watch = new StoreDirectoryWatch(config.storeDir(), () -> kv[0].changed(), log);
        kv[0] = new Kvstore("kvstore(file " + config.storeDir() + ")", store, endpoints, ClusterDirectory.FILE, s -> { },
                watch::start, watch::stop, new java.util.concurrent.atomic.AtomicReference<>());
        return kv[0];
    }

    /**
     * etcd at {@link AgentConfig.Kvstore#endpoints}: desired state, ids and identities in etcd; this node's own
     * endpoints from the lab's file (its pods only), everything else from the other nodes' records.
     */
    public static Kvstore etcd(AgentConfig config, Consumer<String> log) {
        Etcd etcd = Etcd.connect(Etcd.Config.parse(config.kvstore().endpoints()));
        EtcdStore store = new EtcdStore(etcd, log);
        EtcdNodeRegistry registry = new EtcdNodeRegistry(new EtcdNodeRegistry.Config(config.node(),
                config.kvstore().leaseTtl(), null), etcd, log);
        EndpointSource local = new LabEndpointSource(new LabEndpointSource.Config(config.labState(), config.node()),
                new EndpointIds(store));
        AgentConfig.Site site = config.site();
        KvstoreEndpointSource endpoints = new KvstoreEndpointSource(new Node(config.node(), site.netns(), site.ipv4(),
                site.ipv6()), local, registry);
        NodeRecords records = new NodeRecords(config.node(), registry, endpoints, new java.util.concurrent.atomic.AtomicReference<>());
        ClusterDirectory directory = new ClusterDirectory() {
            @Override
            public String kind() {
                return "etcd";
            }

            @Override
            public Map<String, Object> health() {
                Map<String, Object> h = new LinkedHashMap<>();
                h.put("kind", "etcd");
                h.put("endpoints", config.kvstore().endpoints());
                h.put("live", registry.live() && store.live());
                String error = registry.lastError();
                if (error != null) {
                    h.put("error", error);
                }
                return h;
            }

            @Override
            public Map<String, NodeRecord> nodes() {
                return registry.nodes();
            }
        };
        Kvstore kv = new Kvstore("kvstore(etcd " + config.kvstore().endpoints() + ")", store, endpoints, directory,
                records::publish, () -> {
                    store.startOrRetry();
                    // when etcd did not answer the store, listing the records now would wait two more timeouts
                    // before the agent answers: they follow in the background, like the store
                    registry.start(store.ready());
                }, () -> {
                    registry.stop();
                    store.close();
                    etcd.close();
                }, records.metricsUrl());
        store.onChange(kv::changed);
        registry.onChange(kv::changed);
        return kv;
    }

    /**
     * Runs {@code r} whenever the shared state changes (with etcd: a new desired-state revision, another node's
     * record or endpoint), so the sync loop reacts to the watch instead of waiting for its next look.
     */
    public void onChange(Runnable r) {
        changeListeners.add(r);
    }

    private void changed() {
        changeListeners.forEach(Runnable::run);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void start() {
        start.run();
    }

    @Override
    public void stop() {
        stop.run();
    }

    public Store store() {
        return store;
    }

    /** The endpoint source the agent uses with this kvstore. */
    public EndpointSource endpoints() {
        return endpoints;
    }

    public ClusterDirectory directory() {
        return directory;
    }

    /** Where this node's agent serves its metrics, for its node record (with etcd; the file store has none). */
    public void metricsUrl(String url) {
        metricsUrl.set(url);
    }

    /** Called with every new sync state: with etcd, publishes this node's record (the revision it enforces). */
    public Consumer<SyncState> onSync() {
        return onSync;
    }

    /** This node's record, from the sync loop's state and the node's own facts. */
    private record NodeRecords(String node, EtcdNodeRegistry registry, EndpointSource endpoints,
                               java.util.concurrent.atomic.AtomicReference<String> metricsUrl) {
        private static final String HOST = hostName();
        private static final Instant STARTED = Instant.now();

        void publish(SyncState s) {
            Node self = s.cluster().node(node).orElse(new Node(node, null, null, null));
            registry.publishNode(new NodeRecord(node, self.netns(), self.ipv4(), self.ipv6(), HOST,
                    ProcessHandle.current().pid(), STARTED.toString(), version(), s.appliedRevision(), s.failedRevision(),
                    s.error(), s.cluster().endpointsOn(node).size(), Instant.now().toString(), metricsUrl.get()));
        }

        private static String version() {
            String v = Kvstore.class.getPackage().getImplementationVersion();
            return v == null ? "dev" : v;
        }

        private static String hostName() {
            try {
                return java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.net.UnknownHostException e) {
                return "unknown";
            }
        }
    }
}
