package dev.weir.agent.runtime;

import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

import dev.weir.agent.cluster.Node;
import dev.weir.agent.cluster.NodeRecord;
import dev.weir.agent.cluster.NodeRegistry;
import dev.weir.agent.cni.CniEndpoints;
import dev.weir.agent.endpoint.EndpointSource;
import dev.weir.agent.endpoint.KvstoreEndpointSource;
import dev.weir.agent.endpoint.LabNamespaces;
import dev.weir.agent.store.FileNodeRegistry;
import dev.weir.agent.store.FileStore;
import dev.weir.agent.store.Store;
import dev.weir.agent.store.StoreIdentityAllocator;
import dev.weir.agent.store.etcd.Etcd;
import dev.weir.agent.store.etcd.EtcdNodeRegistry;
import dev.weir.agent.store.etcd.EtcdStore;

/**
 * What an agent shares with the other nodes, by {@link AgentConfig#kvstore}: with {@code file}, the store
 * directory of this machine, the desired state in it and the nodes' records in its {@code nodes/}
 * ({@link FileNodeRegistry}); with {@code etcd}, one etcd connection carrying the desired state
 * ({@link EtcdStore}), this node's records and the other nodes' ({@link EtcdNodeRegistry}). Either way the
 * endpoint source merges this node's own endpoints (weir-cni's, {@link CniEndpoints}) with theirs.
 *
 * <p>Lifetime: a {@link Component} started before the endpoint source and the sync loop and stopped after
 * them; it owns the connection, the store's watch and the registry. Thread-safe.
 */
public final class Kvstore implements Component {

    private final String name;
    private final Store store;
    private final EndpointSource endpoints;
    private final CniEndpoints cni;
    private final ClusterDirectory directory;
    private final Consumer<SyncState> onSync;
    private final java.util.List<Runnable> changeListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.List<Runnable> recomputeListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Runnable start;
    private final Runnable stop;
    private final java.util.concurrent.atomic.AtomicReference<String> metricsUrl;
    /** The etcd connection (null for the file store), whose operations metrics observe. */
    private dev.weir.agent.store.etcd.Etcd etcd;

    private Kvstore(String name, Store store, EndpointSource endpoints, CniEndpoints cni, ClusterDirectory directory,
                    Consumer<SyncState> onSync, Runnable start, Runnable stop,
                    java.util.concurrent.atomic.AtomicReference<String> metricsUrl) {
        this.metricsUrl = metricsUrl;
        this.name = name;
        this.store = store;
        this.endpoints = endpoints;
        this.cni = cni;
        this.directory = directory;
        this.onSync = onSync;
        this.start = start;
        this.stop = stop;
    }

    /** Reports the etcd connection's operations and watch events to {@code o} (nothing with the file store). */
    public void observe(dev.weir.agent.store.etcd.Etcd.Observer o) {
        if (etcd != null) {
            etcd.observe(o);
        }
    }

    /** A given store and endpoint source, with nothing to start (tests, embedding). */
    public static Kvstore of(Store store, EndpointSource endpoints) {
        return new Kvstore("kvstore(given)", store, endpoints, null, ClusterDirectory.FILE, s -> { }, () -> { }, () -> { },
                new java.util.concurrent.atomic.AtomicReference<>());
    }

    /** The kvstore the configuration names. */
    public static Kvstore open(AgentConfig config, Consumer<String> log) {
        return config.kvstore().etcd() ? etcd(config, log) : file(config, log);
    }

    /** The file store of {@link AgentConfig#storeDir}, its node registry and this node's weir-cni endpoints. */
    public static Kvstore file(AgentConfig config) {
        return file(config, m -> { });
    }

    /**
     * The file store of {@link AgentConfig#storeDir}; this node's endpoints from weir-cni, published with its record
     * in the store's {@code nodes/} directory, where the other agents of the machine publish theirs. The store
     * directory and {@code nodes/} are watched, so that another agent's commit or endpoint wakes the sync loop
     * ({@link #onChange}).
     */
    public static Kvstore file(AgentConfig config, Consumer<String> log) {
        FileStore store = new FileStore(FileStore.Config.of(config.storeDir()));
        java.nio.file.Path nodesDir = config.storeDir().resolve("nodes");
        FileNodeRegistry registry = new FileNodeRegistry(nodesDir, config.node());
        CniEndpoints local = cniEndpoints(config);
        KvstoreEndpointSource endpoints = new KvstoreEndpointSource(self(config), local, registry);
        NodeRecords records = new NodeRecords(config.node(), registry, endpoints, new java.util.concurrent.atomic.AtomicReference<>());
        Kvstore[] kv = new Kvstore[1];
        StoreDirectoryWatch watch = new StoreDirectoryWatch(config.storeDir(), FileStore::isStateFile, () -> kv[0].changed(), log);
        StoreDirectoryWatch nodes = new StoreDirectoryWatch(nodesDir, n -> n.endsWith(".json") && !n.startsWith("."), registry::changed, log);
        registry.onChange(() -> kv[0].changed());
        kv[0] = new Kvstore("kvstore(file " + config.storeDir() + ")", store, endpoints, local, ClusterDirectory.FILE,
                records::publish, () -> {
                    createDirectory(nodesDir);
                    watch.start();
                    nodes.start();
                }, () -> {
                    nodes.stop();
                    watch.stop();
                }, records.metricsUrl());
        return kv[0];
    }

    private static void createDirectory(java.nio.file.Path dir) {
        try {
            java.nio.file.Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new dev.weir.agent.store.StoreException("cannot create " + dir + ": " + e, e);
        }
    }

    /** This node as the configuration describes it. */
    private static Node self(AgentConfig config) {
        AgentConfig.Site site = config.site();
        return new Node(config.node(), site.netns(), site.ipv4(), site.ipv6());
    }

    /** The pods weir-cni attached to this node, with the lab's namespaces when there is a lab. */
    private static CniEndpoints cniEndpoints(AgentConfig config) {
        return new CniEndpoints(self(config), config.runDir().resolve(CniEndpoints.FILE), new LabNamespaces(config.labState()));
    }

    /**
     * etcd at {@link AgentConfig.Kvstore#endpoints}: desired state, ids and identities in etcd; this node's own
     * endpoints from weir-cni, everything else from the other nodes' records.
     */
    public static Kvstore etcd(AgentConfig config, Consumer<String> log) {
        Etcd etcd = Etcd.connect(Etcd.Config.parse(config.kvstore().endpoints()));
        EtcdStore store = new EtcdStore(etcd, log);
        EtcdNodeRegistry registry = new EtcdNodeRegistry(new EtcdNodeRegistry.Config(config.node(),
                config.kvstore().leaseTtl(), null), etcd, log);
        CniEndpoints local = cniEndpoints(config);
        KvstoreEndpointSource endpoints = new KvstoreEndpointSource(self(config), local, registry);
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
        Kvstore[] self = new Kvstore[1];
        Kvstore kv = new Kvstore("kvstore(etcd " + config.kvstore().endpoints() + ")", store, endpoints, local, directory,
                s -> records.publish(s, () -> self[0].recompute()), () -> {
                    store.startOrRetry();
                    // when etcd did not answer the store, listing the records now would wait two more timeouts
                    // before the agent answers: they follow in the background, like the store
                    registry.start(store.ready());
                }, () -> {
                    registry.stop();
                    store.close();
                    etcd.close();
                }, records.metricsUrl());
        self[0] = kv;
        store.onChange(kv::changed);
        registry.onChange(kv::changed);
        kv.etcd = etcd;
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

    /**
     * Runs {@code r} when what the agent computed must be computed again although the shared state looks the same
     * (with etcd: an identity this node's endpoints use was collected before the node's reference to it landed).
     */
    public void onRecompute(Runnable r) {
        recomputeListeners.add(r);
    }

    private void recompute() {
        recomputeListeners.forEach(Runnable::run);
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

    /** This node's weir-cni endpoints (which the agent's CNI server changes); null for a given endpoint source. */
    public CniEndpoints cniEndpoints() {
        return cni;
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
    private record NodeRecords(String node, NodeRegistry registry, EndpointSource endpoints,
                               java.util.concurrent.atomic.AtomicReference<String> metricsUrl) {
        private static final String HOST = hostName();
        private static final Instant STARTED = Instant.now();

        void publish(SyncState s, Runnable stale) {
            publish(s);
            if (s.error() == null) {
                registry.publishReferences(StoreIdentityAllocator.ENDPOINT_TABLE, references(s), stale);
            }
        }

        /** The endpoint identities this node's own endpoints use, by allocation key (the view has every node's). */
        private Map<String, Integer> references(SyncState s) {
            Map<Integer, Map<String, String>> labels = new HashMap<>();
            s.view().identities().forEach(i -> labels.put(i.id(), i.labels()));
            Map<String, Integer> out = new TreeMap<>();
            for (dev.weir.agent.cluster.Endpoint e : s.cluster().endpointsOn(node)) {
                StateView.EndpointPolicy p = s.view().endpoints().get(e.id());
                Map<String, String> l = p == null ? null : labels.get(p.identity());
                String key = l == null ? null : StoreIdentityAllocator.referenceKey(p.identity(), l);
                if (key != null) {
                    out.put(key, p.identity());
                }
            }
            return out;
        }

        void publish(SyncState s) {
            Node self = s.cluster().node(node).orElse(new Node(node, null, null, null));
            registry.publishNode(new NodeRecord(node, self.netns(), self.ipv4(), self.ipv6(), HOST,
                    ProcessHandle.current().pid(), STARTED.toString(), Agent.version(), s.appliedRevision(), s.failedRevision(),
                    s.error(), s.cluster().endpointsOn(node).size(), Instant.now().toString(), metricsUrl.get()));
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
