package dev.weir.agent.metrics;

import java.io.IOException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

import dev.weir.agent.flow.FlowHistory;
import dev.weir.agent.flow.FlowRecord;
import dev.weir.agent.flow.Verdict;
import dev.weir.agent.prefilter.NodePrefilter;
import dev.weir.agent.runtime.Component;
import dev.weir.agent.runtime.Dataplane;
import dev.weir.agent.runtime.StateView;
import dev.weir.agent.runtime.SyncLoop;
import dev.weir.agent.runtime.SyncState;
import dev.weir.agent.store.etcd.Etcd;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The agent's Prometheus metrics, served at {@code http://ADDRESS/metrics} by the Prometheus Java client's
 * HTTP server. Names and labels follow Cilium's where Cilium has the metric ({@code cilium_drop_count_total}
 * becomes {@code weir_drop_count_total}): flows by verdict (counted from the flow events the agent decorates,
 * so a denied probe raises the drop counter by exactly the flows {@code weir observe} shows), endpoints,
 * identities, services, the kvstore ({@link KvstoreMetrics}), flow events lost, sync and apply-to-enforced
 * durations, the datapath's maps and counters ({@link DatapathMetrics}), the opt-in flow metrics
 * ({@link FlowMetrics}), and the JVM's own metrics. Values that the agent already keeps are read at scrape time;
 * no BPF map is walked then. docs/metrics.md lists every family. Thread-safe.
 */
public final class AgentMetrics implements Component {

    /** Where to listen: {@code HOST:PORT}; port 0 takes a free one. */
    public record Address(String host, int port) {

        /** Cilium's agent serves its metrics on 9962; weir's default is the same port on loopback. */
        public static final Address DEFAULT = new Address("127.0.0.1", 9962);

        public Address {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("bad metrics port " + port);
            }
        }

        /**
         * {@code HOST:PORT} ({@code [V6]:PORT} for IPv6).
         *
         * @throws IllegalArgumentException naming what is wrong
         */
        public static Address parse(String s) {
            int colon = s.lastIndexOf(':');
            if (colon <= 0 || colon == s.length() - 1) {
                throw new IllegalArgumentException("metrics address '" + s + "' is not HOST:PORT (e.g. 127.0.0.1:9962)");
            }
            String host = s.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            try {
                return new Address(host, Integer.parseInt(s.substring(colon + 1)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("metrics address '" + s + "': port is not a number");
            }
        }

        /** The URL Prometheus scrapes. */
        public String url(int boundPort) {
            String h = host.contains(":") ? "[" + host + "]" : host;
            return "http://" + h + ":" + boundPort + "/metrics";
        }
    }

    /**
     * How the agent serves metrics.
     *
     * @param address where
     * @param flows   the opt-in flow metrics ({@code --flow-metrics})
     */
    public record Config(Address address, Set<FlowMetrics.Kind> flows) {
        public Config {
            flows = flows == null ? Set.of() : Set.copyOf(flows);
        }

        public Config(Address address) {
            this(address, Set.of());
        }
    }

    /**
     * What the metrics read at scrape time.
     *
     * @param maps     each BPF map's fill (cheap: nothing walked at scrape time)
     * @param programs the TC and socket programs' per-reason counters: by program, by reason code, {packets, bytes}
     */
    public record Sources(String node, Supplier<SyncState> sync, Supplier<FlowHistory.Counters> flows,
                          Supplier<Map<String, Object>> kvstore, Supplier<Map<String, Dataplane.MapFill>> maps,
                          Supplier<Map<String, Map<Integer, long[]>>> programs, Supplier<NodePrefilter.Status> prefilter) {
    }

    private final Address address;
    private final Sources sources;
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter drops;
    private final Counter forwards;
    private final Counter verdicts;
    private final Histogram sync;
    private final Histogram enforced;
    private final FlowMetrics flowMetrics;
    private final KvstoreMetrics kvstoreMetrics;
    private volatile HTTPServer server;

    public AgentMetrics(Config config, Sources sources) {
        this.address = config.address();
        this.sources = sources;
        JvmMetrics.builder().register(registry);
        new DatapathMetrics(registry, sources.maps(), sources.programs(), sources.prefilter());
        flowMetrics = new FlowMetrics(registry, config.flows());
        kvstoreMetrics = new KvstoreMetrics(registry);
        drops = Counter.builder().name("weir_drop_count")
                .help("Flows dropped, by drop reason and traffic direction (from the flow events)")
                .labelNames("reason", "direction").register(registry);
        forwards = Counter.builder().name("weir_forward_count")
                .help("Flows forwarded, by traffic direction (from the flow events)")
                .labelNames("direction").register(registry);
        verdicts = Counter.builder().name("weir_policy_verdict")
                .help("Policy verdicts of flows, by direction, match type and action")
                .labelNames("direction", "match", "action").register(registry);
        sync = Histogram.builder().name("weir_sync_duration_seconds")
                .help("Time to compute and to write one desired-state revision, by step (compile, dataplane)")
                .labelNames("step").classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
                .register(registry);
        enforced = Histogram.builder().name("weir_apply_to_enforced_seconds")
                .help("From a desired-state revision's commit (on the committing agent's clock) to the moment this"
                        + " node's dataplane enforces it")
                .classicUpperBounds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
                .register(registry);
        GaugeWithCallback.builder().name("weir_endpoint_state")
                .help("This node's endpoints by state (ready: its revision is enforced; not-ready: the last sync failed)")
                .labelNames("endpoint_state").callback(cb -> {
                    SyncState s = sources.sync().get();
                    int local = s.cluster().endpointsOn(sources.node()).size();
                    cb.call(s.error() == null ? local : 0, "ready");
                    cb.call(s.error() == null ? 0 : local, "not-ready");
                }).register(registry);
        GaugeWithCallback.builder().name("weir_identity")
                .help("Identities this node knows, by type (reserved, endpoint, cidr)")
                .labelNames("type").callback(cb -> {
                    Map<String, Integer> byKind = new TreeMap<>(Map.of("reserved", 0, "endpoint", 0, "cidr", 0));
                    for (StateView.Identity i : sources.sync().get().view().identities()) {
                        byKind.merge(i.kind().toLowerCase(Locale.ROOT), 1, Integer::sum);
                    }
                    byKind.forEach((k, n) -> cb.call(n, k));
                }).register(registry);
        GaugeWithCallback.builder().name("weir_services")
                .help("Service frontends this node translates")
                .callback(cb -> cb.call(sources.sync().get().view().frontends().size())).register(registry);
        GaugeWithCallback.builder().name("weir_policy_applied_revision")
                .help("The desired-state revision this node's dataplane enforces")
                .callback(cb -> cb.call(sources.sync().get().appliedRevision())).register(registry);
        GaugeWithCallback.builder().name("weir_sync_error")
                .help("1 while the last sync of the desired state failed (the dataplane keeps the last good revision)")
                .callback(cb -> cb.call(sources.sync().get().error() == null ? 0 : 1)).register(registry);
        CounterWithCallback.builder().name("weir_flow_events")
                .help("Flow events the agent received from the datapath")
                .callback(cb -> cb.call(sources.flows().get().seen())).register(registry);
        CounterWithCallback.builder().name("weir_flow_events_lost")
                .help("Flow events lost, by where: the kernel's ring buffer (full) or a slow observe follower")
                .labelNames("source").callback(cb -> {
                    FlowHistory.Counters c = sources.flows().get();
                    cb.call(c.kernelLost(), "kernel");
                    cb.call(c.followerLost(), "follower");
                }).register(registry);
        GaugeWithCallback.builder().name("weir_kvstore_up")
                .help("1 while the kvstore is read and watched (always 1 for the file store), by kind")
                .labelNames("kind").callback(cb -> {
                    Map<String, Object> h = sources.kvstore().get();
                    cb.call(Boolean.FALSE.equals(h.get("live")) ? 0 : 1, String.valueOf(h.getOrDefault("kind", "file")));
                }).register(registry);
    }

    /** Counts one decorated flow (called for every flow the history takes). */
    public void count(FlowRecord f) {
        String direction = f.trafficDirection() == null ? "UNKNOWN" : f.trafficDirection();
        if (f.verdict() == Verdict.DROPPED) {
            drops.labelValues(f.dropReasonName() == null ? "UNKNOWN" : f.dropReasonName(), direction).inc();
        } else if (f.verdict() == Verdict.FORWARDED || f.verdict() == Verdict.TRANSLATED) {
            forwards.labelValues(direction).inc();
        }
        if (f.policy() != null || f.verdict() == Verdict.DROPPED || f.verdict() == Verdict.AUDIT) {
            verdicts.labelValues(direction.toLowerCase(Locale.ROOT), match(f.policyMatchType()), action(f.verdict())).inc();
        }
        flowMetrics.count(f);
    }

    /** One applied revision's compile and dataplane times. */
    public void synced(double compileSeconds, double dataplaneSeconds) {
        sync.labelValues("compile").observe(compileSeconds);
        sync.labelValues("dataplane").observe(dataplaneSeconds);
    }

    /** One revision enforced here, {@code seconds} after its commit ({@link SyncLoop#onEnforced}). */
    public void enforced(double seconds) {
        enforced.observe(seconds);
    }

    /** The observer of the agent's etcd connection. */
    public Etcd.Observer kvstore() {
        return kvstoreMetrics;
    }

    /** Cilium's words for a policy verdict. */
    private static String action(Verdict v) {
        return switch (v) {
            case DROPPED -> "denied";
            case AUDIT -> "audit";
            default -> "allowed";
        };
    }

    private static String match(int type) {
        return switch (type) {
            case 1 -> "l3-only";
            case 2 -> "l3-l4";
            case 3 -> "l4-only";
            case 4 -> "all";
            default -> "none";
        };
    }

    /** The URL Prometheus scrapes, once started (the configured one before). */
    public String url() {
        HTTPServer s = server;
        return address.url(s == null ? address.port() : s.getPort());
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    @Override
    public String name() {
        return "metrics";
    }

    @Override
    public void start() throws IOException {
        // the JDK's HTTP server writes headers and body apart: without TCP_NODELAY every scrape waited for the
        // client's delayed ACK (44 ms instead of 3 on loopback). Read once, when its first server is made.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        try {
            server = HTTPServer.builder().hostname(address.host()).port(address.port()).registry(registry).buildAndStart();
        } catch (IOException e) {
            throw new IOException("cannot serve metrics on " + address.host() + ":" + address.port() + ": " + e.getMessage()
                    + " (weir agent --metrics-address HOST:PORT, or off)", e);
        }
    }

    @Override
    public void stop() {
        HTTPServer s = server;
        server = null;
        if (s != null) {
            s.close();
        }
    }
}
