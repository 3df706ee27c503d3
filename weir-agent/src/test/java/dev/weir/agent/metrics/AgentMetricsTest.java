package dev.weir.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.weir.agent.flow.FlowHistory;
import dev.weir.agent.flow.FlowRecord;
import dev.weir.agent.flow.Verdict;
import dev.weir.agent.prefilter.NodePrefilter;
import dev.weir.agent.prefilter.NodePrefilterSpec;
import dev.weir.agent.runtime.Dataplane;
import dev.weir.agent.runtime.SyncState;
import dev.weir.datapath.DropReason;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;

/** What the registry exposes, read back in Prometheus' text format, without a server or a kernel. */
class AgentMetricsTest {

    private static String text(AgentMetrics m) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, m.registry().scrape());
        return out.toString(StandardCharsets.UTF_8);
    }

    private static AgentMetrics metrics(NodePrefilter.Status prefilter) {
        return metrics(prefilter, Set.of(), Map.of());
    }

    private static AgentMetrics metrics(NodePrefilter.Status prefilter, Set<FlowMetrics.Kind> flows,
                                        Map<String, Map<Integer, long[]>> programs) {
        return new AgentMetrics(new AgentMetrics.Config(new AgentMetrics.Address("127.0.0.1", 0), flows),
                new AgentMetrics.Sources("node1", () -> SyncState.INITIAL, () -> new FlowHistory.Counters(7, 2, 0, 1, 7, 8192),
                        () -> Map.of("kind", "etcd", "live", false),
                        () -> Map.of("lb_backend", new Dataplane.MapFill(16, 64), "ct", new Dataplane.MapFill(3, 65536)),
                        () -> programs, () -> prefilter));
    }

    private static FlowRecord flow(Verdict v, String reason, String direction) {
        return new FlowRecord(1, Instant.now(), v, v == Verdict.DROPPED ? 133 : 0, reason, "", 4, "10.0.0.1", "10.0.0.2",
                null, null, "TCP", 1000, 80, List.of(), direction, false, "node1", 0, null, "");
    }

    @Test
    void flowsCountByVerdictReasonAndDirection() throws Exception {
        AgentMetrics m = metrics(null);
        m.count(flow(Verdict.DROPPED, "POLICY_DENIED", "INGRESS"));
        m.count(flow(Verdict.DROPPED, "POLICY_DENIED", "INGRESS"));
        m.count(flow(Verdict.FORWARDED, null, "EGRESS"));
        m.synced(0.004, 0.002);
        String t = text(m);
        assertThat(t).contains("weir_drop_count_total{direction=\"INGRESS\",reason=\"POLICY_DENIED\"} 2.0",
                "weir_forward_count_total{direction=\"EGRESS\"} 1.0",
                "weir_policy_verdict_total{action=\"denied\",direction=\"ingress\",match=\"none\"} 2.0",
                "weir_flow_events_total 7.0", "weir_flow_events_lost_total{source=\"kernel\"} 2.0",
                "weir_kvstore_up{kind=\"etcd\"} 0.0", "weir_bpf_map_pressure{map_name=\"lb_backend\"} 0.25",
                "weir_bpf_map_entries{map_name=\"ct\"} 3.0", "weir_bpf_map_capacity{map_name=\"ct\"} 65536.0",
                "weir_sync_duration_seconds_count{step=\"compile\"} 1");
    }

    @Test
    void thePrefiltersReasonAndRuleCountersAreExposedWhenItIsLoaded() throws Exception {
        int deny = DropReason.values()[0].code();
        for (DropReason r : DropReason.values()) {
            if (r.isDrop()) {
                deny = r.code();
                break;
            }
        }
        NodePrefilter.Status status = new NodePrefilter.Status("node1", null, Path.of("/x"), NodePrefilterSpec.NONE,
                Optional.empty(), Map.of(deny, new long[] {5, 300}), Map.of(deny, new long[] {7, 420}),
                Map.of(3, new long[] {4, 240}));
        String t = text(metrics(status));
        String name = DropReason.of(deny).name();
        assertThat(t).contains("weir_prefilter_packets_total{reason=\"" + name + "\",verdict=\"DROP\"} 5.0",
                "weir_prefilter_bytes_total{reason=\"" + name + "\",verdict=\"DROP\"} 300.0",
                "weir_prefilter_packets_total{reason=\"" + name + "\",verdict=\"WOULD-DROP\"} 7.0",
                "weir_prefilter_rule_packets_total{rule=\"3\"} 4.0");
        assertThat(text(metrics(null))).doesNotContain("weir_prefilter_packets_total{");
    }

    @Test
    void theProgramsCountersAreExposedByProgramReasonAndVerdict() throws Exception {
        String t = text(metrics(null, Set.of(), Map.of(
                "nodeport", Map.of(DropReason.DROP_LB_SRC_RANGE.code(), new long[] {4, 240}),
                "tc_endpoint", Map.of(DropReason.PASS_POLICY.code(), new long[] {9, 900}))));
        assertThat(t).contains(
                "weir_datapath_packets_total{program=\"nodeport\",reason=\"DROP_LB_SRC_RANGE\",verdict=\"DROP\"} 4.0",
                "weir_datapath_bytes_total{program=\"nodeport\",reason=\"DROP_LB_SRC_RANGE\",verdict=\"DROP\"} 240.0",
                "weir_datapath_packets_total{program=\"tc_endpoint\",reason=\"PASS_POLICY\",verdict=\"PASS\"} 9.0");
    }

    @Test
    void flowMetricsAreOptInAndCountWhatTheFlowsSay() throws Exception {
        AgentMetrics off = metrics(null);
        off.count(flow(Verdict.DROPPED, "POLICY_DENIED", "INGRESS"));
        assertThat(text(off)).doesNotContain("weir_drop_total", "weir_flows_processed_total", "weir_port_distribution_total");

        AgentMetrics on = metrics(null, FlowMetrics.Kind.parse("flow,drop,port-distribution"), Map.of());
        on.count(flow(Verdict.DROPPED, "POLICY_DENIED", "INGRESS"));
        on.count(flow(Verdict.DROPPED, "POLICY_DENIED", "INGRESS"));
        on.count(flow(Verdict.FORWARDED, null, "EGRESS"));
        String t = text(on);
        assertThat(t).contains("weir_drop_total{protocol=\"TCP\",reason=\"POLICY_DENIED\"} 2.0",
                "weir_flows_processed_total{protocol=\"TCP\",type=\"Drop\",verdict=\"DROPPED\"} 2.0",
                "weir_flows_processed_total{protocol=\"TCP\",type=\"L3_L4\",verdict=\"FORWARDED\"} 1.0",
                "weir_port_distribution_total{port=\"80\",protocol=\"TCP\"} 1.0");
        assertThat(t).doesNotContain("weir_port_distribution_total{port=\"1000\"");
    }

    @Test
    void portDistributionStopsNamingPortsAtItsBound() throws Exception {
        AgentMetrics m = metrics(null, Set.of(FlowMetrics.Kind.PORT_DISTRIBUTION), Map.of());
        for (int port = 1; port <= FlowMetrics.MAX_PORTS + 5; port++) {
            m.count(new FlowRecord(port, Instant.now(), Verdict.FORWARDED, 0, null, "", 4, "10.0.0.1", "10.0.0.2",
                    null, null, "UDP", 1000, port, List.of(), "EGRESS", false, "node1", 0, null, ""));
        }
        String t = text(m);
        assertThat(t.lines().filter(l -> l.startsWith("weir_port_distribution_total{")).count())
                .isEqualTo(FlowMetrics.MAX_PORTS + 1);
        assertThat(t).contains("weir_port_distribution_total{port=\"other\",protocol=\"UDP\"} 5.0");
    }

    @Test
    void flowMetricNamesAreCheckedAndNamed() {
        assertThat(FlowMetrics.Kind.parse("")).isEmpty();
        assertThat(FlowMetrics.Kind.parse("none")).isEmpty();
        assertThat(FlowMetrics.Kind.parse(" drop ,flow")).containsExactlyInAnyOrder(FlowMetrics.Kind.DROP, FlowMetrics.Kind.FLOW);
        assertThatThrownBy(() -> FlowMetrics.Kind.parse("flow,dns")).hasMessage(
                "unknown flow metric 'dns' (one of flow, drop, port-distribution)");
    }

    @Test
    void kvstoreOperationsAndEventsAndTheApplyToEnforcedTimeAreObserved() throws Exception {
        AgentMetrics m = metrics(null);
        m.kvstore().operation("txn", "objects", 3_000_000, "success");
        m.kvstore().operation("get", "objects", 5_000_000_000L, "timeout");
        m.kvstore().events("nodes", "put", 2);
        m.enforced(0.07);
        String t = text(m);
        assertThat(t).contains(
                "weir_kvstore_operations_duration_seconds_count{action=\"txn\",outcome=\"success\",scope=\"objects\"} 1",
                "weir_kvstore_operations_duration_seconds_bucket{action=\"txn\",outcome=\"success\",scope=\"objects\",le=\"0.005\"} 1",
                "weir_kvstore_quorum_errors_total{error=\"timeout\"} 1.0",
                "weir_kvstore_events_total{action=\"put\",scope=\"nodes\"} 2.0",
                "weir_apply_to_enforced_seconds_bucket{le=\"0.1\"} 1", "weir_apply_to_enforced_seconds_bucket{le=\"0.05\"} 0");
    }

    @Test
    void addressesParseOrSayWhatIsWrong() {
        assertThat(AgentMetrics.Address.parse("127.0.0.1:9962")).isEqualTo(new AgentMetrics.Address("127.0.0.1", 9962));
        assertThat(AgentMetrics.Address.parse("[::1]:9962").url(9962)).isEqualTo("http://[::1]:9962/metrics");
        assertThatThrownBy(() -> AgentMetrics.Address.parse("9962")).hasMessageContaining("is not HOST:PORT");
        assertThatThrownBy(() -> AgentMetrics.Address.parse("h:x")).hasMessageContaining("port is not a number");
        assertThatThrownBy(() -> AgentMetrics.Address.parse("h:70000")).hasMessageContaining("bad metrics port");
    }
}
