package dev.weir.bench.kvstore;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.weir.bench.kvstore.EtcdLoad.Delta;

/** The tables of a kvstore simulation run (and its JSON), from the results of each size. */
final class KvstoreReport {

    static final String WATCH_RESPONSES = "grpc_server_msg_sent_total";
    private static final double MIB = 1024.0 * 1024.0;

    private final Map<String, Object> header;
    private final List<KvstoreRun.Result> results;

    KvstoreReport(Map<String, Object> header, List<KvstoreRun.Result> results) {
        this.header = header;
        this.results = List.copyOf(results);
    }

    void print(PrintStream out) {
        header.forEach((k, v) -> out.println("# " + k + ": " + v));
        out.println();
        out.printf("%-7s %-8s %-9s %-10s %-34s %-12s %-15s %-9s %-10s %s%n", "nodes", "clients", "start", "converge",
                "new endpoint -> every view (ms)", "first view", "etcd CPU s", "watchers", "DB size", "client JVM heap / threads");
        out.printf("%-7s %-8s %-9s %-10s %-34s %-12s %-15s %-9s %-10s %s%n", "", "", "", "", "p50 / p99 / max", "p50 ms",
                "conv. / samples", "", "", "");
        for (KvstoreRun.Result r : results) {
            Summary a = r.add();
            out.printf("%-7s %-8d %-9s %-10s %-34s %-12s %-15s %-9s %-10s %s%n", String.format("%,d", r.nodes()), r.clients(),
                    secs(r.startNanos()), secs(r.converge().allNanos()),
                    cells(a), Summary.ms(r.addFirst().p50()),
                    String.format("%.1f / %.1f", r.converging().cpuSeconds(), r.sampling().cpuSeconds()),
                    String.format("%,.0f", r.sampling().after().sum("etcd_debugging_mvcc_watcher_total")),
                    String.format("%.1f MiB", r.sampling().after().max("etcd_mvcc_db_total_size_in_bytes") / MIB),
                    String.format("%,.0f MiB / %d", r.jvm().heapBytes() / MIB, r.jvm().threads()));
        }
        out.println();
        out.println("withdrawing the endpoint again -> every view; the floor (one put -> one watcher on another client, no");
        out.println("fan-out, just before each sample); nodes found by the safety-net sweep instead of their callback (should be 0)");
        for (KvstoreRun.Result r : results) {
            out.printf("  %,7d nodes: withdraw %s%n", r.nodes(), r.remove());
            out.printf("  %,7d nodes: floor    %s; by sweep: %d%n", r.nodes(), r.floor(), r.bySweep());
        }
        out.println();
        out.println("etcd load per phase (all members together; writes = raft proposals committed, counted on the leader)");
        out.printf("%-7s %-16s %-8s %-8s %-7s %-9s %-11s %-12s %-14s %-12s %s%n", "nodes", "phase", "wall s", "CPU s", "cores",
                "writes", "unary rpcs", "keep-alives", "watch resp.", "events", "MiB to clients");
        for (KvstoreRun.Result r : results) {
            load(out, r.nodes(), "start+converge", r.converging());
            load(out, r.nodes(), "samples", r.sampling());
        }
        out.println();
        out.println("etcd members after the samples");
        out.printf("%-7s %-8s %-7s %-9s %-20s %-8s %-14s %-9s %s%n", "nodes", "member", "leader", "RSS MiB", "DB MiB (in use)",
                "keys", "watch streams", "watchers", "slow watchers");
        for (KvstoreRun.Result r : results) {
            for (EtcdLoad.Member m : r.sampling().after().members()) {
                var x = m.metrics();
                out.printf("%-7s %-8s %-7s %-9.0f %-20s %-8.0f %-14.0f %-9.0f %.0f%n", String.format("%,d", r.nodes()), m.name(),
                        x.sum("etcd_server_is_leader") > 0 ? "yes" : "", m.rssBytes() / MIB,
                        String.format("%.1f (%.1f)", x.sum("etcd_mvcc_db_total_size_in_bytes") / MIB,
                                x.sum("etcd_mvcc_db_total_size_in_use_in_bytes") / MIB),
                        x.sum("etcd_debugging_mvcc_keys_total"), x.sum("etcd_debugging_mvcc_watch_stream_total"),
                        x.sum("etcd_debugging_mvcc_watcher_total"), x.sum("etcd_debugging_mvcc_slow_watcher_total"));
            }
        }
        out.println();
        out.println("client JVM (the simulated nodes; heap after a full GC once the samples are done)");
        for (KvstoreRun.Result r : results) {
            KvstoreRun.Jvm j = r.jvm();
            out.printf("  %,7d nodes: heap %,.0f MiB, RSS %,.0f MiB, %d threads (%d added by the nodes); CPU s (GC pauses s): "
                            + "start+converge %.1f (%.1f), samples %.1f (%.1f)%n", r.nodes(), j.heapBytes() / MIB, j.rssBytes() / MIB,
                    j.threads(), j.threadsAdded(), j.cpuConverge(), j.gcConverge(), j.cpuSamples(), j.gcSamples());
        }
        List<String> notes = new ArrayList<>();
        for (KvstoreRun.Result r : results) {
            r.notable().forEach(n -> notes.add(String.format("%,d nodes: %s", r.nodes(), n)));
        }
        if (!notes.isEmpty()) {
            out.println();
            out.println("registry messages other than lease grants (first 20 per size)");
            notes.forEach(n -> out.println("  " + n));
        }
    }

    /** {@code 7.9 / 26.9 / 26.9}: p50 / p99 / max in ms. */
    static String cells(Summary s) {
        return Summary.ms(s.p50()) + " / " + Summary.ms(s.p99()) + " / " + Summary.ms(s.max());
    }

    private static void load(PrintStream out, int nodes, String phase, Delta d) {
        out.printf("%-7s %-16s %-8.1f %-8.1f %-7.2f %-9.0f %-11.0f %-12.0f %-14.0f %-12.0f %.1f%n", String.format("%,d", nodes), phase,
                d.seconds(), d.cpuSeconds(), d.cpuSeconds() / d.seconds(), d.max("etcd_server_proposals_committed_total"),
                d.sum("grpc_server_handled_total", "grpc_type", "unary"),
                d.sum("grpc_server_msg_received_total", "grpc_method", "LeaseKeepAlive"),
                d.sum(WATCH_RESPONSES, "grpc_method", "Watch"), d.sum("etcd_debugging_mvcc_events_total"),
                d.sum("etcd_network_client_grpc_sent_bytes_total") / MIB);
    }

    void writeJson(Path file) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("header", header);
        root.put("unit", "milliseconds unless named otherwise");
        root.put("results", results.stream().map(KvstoreReport::json).toList());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), root);
    }

    private static Map<String, Object> json(KvstoreRun.Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("nodes", r.nodes());
        m.put("clients", r.clients());
        m.put("endpoints_per_node", r.endpointsPerNode());
        m.put("threads_per_node", r.threadsPerNode());
        m.put("start_ms", r.startNanos() / 1e6);
        m.put("converge_ms", r.converge().allNanos() / 1e6);
        m.put("converge_first_ms", r.converge().firstNanos() / 1e6);
        m.put("add_all", r.add());
        m.put("add_first", r.addFirst());
        m.put("remove_all", r.remove());
        m.put("floor", r.floor());
        m.put("by_sweep", r.bySweep());
        m.put("etcd_converge", json(r.converging()));
        m.put("etcd_samples", json(r.sampling()));
        m.put("etcd_members_after", r.sampling().after().members().stream().map(x -> Map.of("name", x.name(),
                "rss_bytes", x.rssBytes(), "db_bytes", x.metrics().sum("etcd_mvcc_db_total_size_in_bytes"),
                "watchers", x.metrics().sum("etcd_debugging_mvcc_watcher_total"),
                "watch_streams", x.metrics().sum("etcd_debugging_mvcc_watch_stream_total"),
                "leader", x.metrics().sum("etcd_server_is_leader") > 0)).toList());
        m.put("jvm", r.jvm());
        m.put("notable", r.notable());
        return m;
    }

    private static Map<String, Object> json(Delta d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seconds", d.seconds());
        m.put("cpu_seconds", d.cpuSeconds());
        m.put("writes", d.max("etcd_server_proposals_committed_total"));
        m.put("unary_rpcs", d.sum("grpc_server_handled_total", "grpc_type", "unary"));
        m.put("keep_alives", d.sum("grpc_server_msg_received_total", "grpc_method", "LeaseKeepAlive"));
        m.put("watch_responses", d.sum(WATCH_RESPONSES, "grpc_method", "Watch"));
        m.put("events", d.sum("etcd_debugging_mvcc_events_total"));
        m.put("bytes_to_clients", d.sum("etcd_network_client_grpc_sent_bytes_total"));
        return m;
    }

    private static String secs(long nanos) {
        return String.format("%.2f s", nanos / 1e9);
    }
}
