package dev.weir.agent.metrics;

import dev.weir.agent.store.etcd.Etcd;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * What the agent's etcd connection does, with Cilium's names: each operation's time by action, scope and
 * outcome ({@code weir_kvstore_operations_duration_seconds}), operations etcd did not answer
 * ({@code weir_kvstore_quorum_errors_total}) and the watch events received ({@code weir_kvstore_events_total}).
 * The families exist with the file store too, and stay empty. Thread-safe.
 */
final class KvstoreMetrics implements Etcd.Observer {

    private final Histogram operations;
    private final Counter quorumErrors;
    private final Counter events;

    KvstoreMetrics(PrometheusRegistry registry) {
        operations = Histogram.builder().name("weir_kvstore_operations_duration_seconds")
                .help("Time of one etcd operation, by action (get, list, put, txn, lease-grant...), scope (the keys:"
                        + " objects, nodes, endpoints, alloc, heartbeats, leases) and outcome (success, timeout, failure)")
                .labelNames("action", "scope", "outcome")
                .classicUpperBounds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
                .register(registry);
        quorumErrors = Counter.builder().name("weir_kvstore_quorum_errors")
                .help("etcd operations that got no answer (timeout) or failed, by error: the kvstore was unavailable")
                .labelNames("error").register(registry);
        events = Counter.builder().name("weir_kvstore_events")
                .help("Watch events received from etcd, by scope (objects, revision, nodes, endpoints, alloc) and action"
                        + " (put, delete)")
                .labelNames("scope", "action").register(registry);
    }

    @Override
    public void operation(String action, String scope, long nanos, String outcome) {
        operations.labelValues(action, scope, outcome).observe(nanos / 1e9);
        if (!outcome.equals("success")) {
            quorumErrors.labelValues(outcome).inc();
        }
    }

    @Override
    public void events(String scope, String action, int n) {
        events.labelValues(scope, action).inc(n);
    }
}
