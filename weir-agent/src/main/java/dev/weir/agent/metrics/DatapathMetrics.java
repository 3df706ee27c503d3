package dev.weir.agent.metrics;

import java.util.Map;
import java.util.function.Supplier;

import dev.weir.agent.prefilter.NodePrefilter;
import dev.weir.datapath.prefilter.PrefilterMaps;
import dev.weir.agent.runtime.Dataplane;
import dev.weir.datapath.DropReason;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The kernel side's metrics, read at scrape time: how full each BPF map is ({@code weir_bpf_map_pressure},
 * Cilium's name, with {@code weir_bpf_map_entries} and {@code weir_bpf_map_capacity} beside it), the per-reason
 * counters of the TC and socket programs ({@code weir_datapath_packets_total}) and of the XDP prefilter. Reads
 * that walk per-CPU counters are cached for a second, since several families take each. Thread-safe.
 */
final class DatapathMetrics {

    /** A value read once per scrape (several families take it), and when (nanoTime). */
    private static final class PerScrape<T> {
        private final Supplier<T> read;
        private volatile T value;
        private volatile long at;

        PerScrape(Supplier<T> read) {
            this.read = read;
        }

        T get() {
            long now = System.nanoTime();
            if (value == null || now - at > 1_000_000_000L) {
                value = read.get();
                at = now;
            }
            return value;
        }
    }

    private interface ReasonSink {
        void accept(String reason, String verdict, long[] counts);
    }

    private final PerScrape<NodePrefilter.Status> prefilter;
    private final PerScrape<Map<String, Map<Integer, long[]>>> programs;

    DatapathMetrics(PrometheusRegistry registry, Supplier<Map<String, Dataplane.MapFill>> maps,
                    Supplier<Map<String, Map<Integer, long[]>>> programs, Supplier<NodePrefilter.Status> prefilter) {
        this.prefilter = new PerScrape<>(prefilter);
        this.programs = new PerScrape<>(programs);
        GaugeWithCallback.builder().name("weir_bpf_map_pressure")
                .help("How full a BPF map is (entries / max entries), for every weir map with a capacity (conntrack and"
                        + " other maps the datapath fills are counted every few seconds)")
                .labelNames("map_name").callback(cb -> maps.get().forEach((m, f) -> cb.call(f.pressure(), m)))
                .register(registry);
        GaugeWithCallback.builder().name("weir_bpf_map_entries")
                .help("Entries a BPF map holds, for every weir map with a capacity")
                .labelNames("map_name").callback(cb -> maps.get().forEach((m, f) -> cb.call(f.entries(), m)))
                .register(registry);
        GaugeWithCallback.builder().name("weir_bpf_map_capacity")
                .help("Entries a BPF map can hold (max entries), for every weir map with a capacity")
                .labelNames("map_name").callback(cb -> maps.get().forEach((m, f) -> cb.call(f.capacity(), m)))
                .register(registry);
        CounterWithCallback.builder().name("weir_datapath_packets")
                .help("Packets (socket operations for sock_lb) the TC and socket programs counted, by program, reason and"
                        + " verdict (ep_stats, np_stats, lb_sock_stats; per-CPU counters summed)")
                .labelNames("program", "reason", "verdict")
                .callback(cb -> programReasons((p, r, v, c) -> cb.call(c[0], p, r, v))).register(registry);
        CounterWithCallback.builder().name("weir_datapath_bytes")
                .help("Bytes the TC and socket programs counted, by program, reason and verdict")
                .labelNames("program", "reason", "verdict")
                .callback(cb -> programReasons((p, r, v, c) -> cb.call(c[1], p, r, v))).register(registry);
        CounterWithCallback.builder().name("weir_prefilter_packets")
                .help("Packets the XDP prefilter counted, by verdict reason and verdict (per-CPU counters summed)")
                .labelNames("reason", "verdict").callback(cb -> prefilterReasons((r, verdict, v) -> cb.call(v[0], r, verdict)))
                .register(registry);
        CounterWithCallback.builder().name("weir_prefilter_bytes")
                .help("Bytes the XDP prefilter counted, by verdict reason and verdict")
                .labelNames("reason", "verdict").callback(cb -> prefilterReasons((r, verdict, v) -> cb.call(v[1], r, verdict)))
                .register(registry);
        CounterWithCallback.builder().name("weir_prefilter_rule_packets")
                .help("Packets each prefilter rule matched, by rule id")
                .labelNames("rule").callback(cb -> {
                    NodePrefilter.Status st = this.prefilter.get();
                    if (st != null) {
                        st.rules().forEach((id, v) -> cb.call(v[0], Integer.toString(id)));
                    }
                }).register(registry);
        CounterWithCallback.builder().name("weir_prefilter_redirect_packets")
                .help("Packets for local pods the prefilter's redirect stage saw, by outcome and path (XDP_REDIRECT or TC)")
                .labelNames("outcome", "path").callback(cb -> {
                    NodePrefilter.Status st = this.prefilter.get();
                    if (st != null) {
                        st.redirect().forEach((k, v) -> {
                            if (k < PrefilterMaps.RDR_OUTCOMES.size()) {
                                cb.call(v[0], PrefilterMaps.RDR_OUTCOMES.get(k), k <= PrefilterMaps.RDR_REPLY ? "XDP_REDIRECT" : "TC");
                            }
                        });
                    }
                }).register(registry);
    }

    private interface ProgramSink {
        void accept(String program, String reason, String verdict, long[] counts);
    }

    private void programReasons(ProgramSink sink) {
        programs.get().forEach((program, reasons) -> reasons.forEach((code, v) -> {
            DropReason r = DropReason.of(code);
            sink.accept(program, r.name(), r.verdict(), v);
        }));
    }

    /** The prefilter's non-zero reason counters, named as {@code weir prefilter stats} names them. */
    private void prefilterReasons(ReasonSink sink) {
        NodePrefilter.Status st = prefilter.get();
        if (st == null) {
            return;
        }
        st.reasons().forEach((code, v) -> {
            if (v[0] > 0) {
                DropReason r = DropReason.of(code);
                sink.accept(r.name(), r.verdict(), v);
            }
        });
        st.wouldDrop().forEach((code, v) -> {
            if (v[0] > 0) {
                sink.accept(DropReason.of(code).name(), DropReason.WOULD_DROP, v);
            }
        });
    }
}
