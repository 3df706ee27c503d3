package dev.weir.bench.kvstore;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PromTextTest {

    private static final String SCRAPE = """
            # HELP etcd_debugging_mvcc_watcher_total Total number of watchers.
            # TYPE etcd_debugging_mvcc_watcher_total gauge
            etcd_debugging_mvcc_watcher_total 2000
            grpc_server_msg_sent_total{grpc_method="Watch",grpc_service="etcdserverpb.Watch",grpc_type="bidi_stream"} 1.234e+06
            grpc_server_msg_sent_total{grpc_method="LeaseKeepAlive",grpc_service="etcdserverpb.Lease",grpc_type="bidi_stream"} 77
            grpc_server_handled_total{grpc_code="OK",grpc_method="Range",grpc_service="etcdserverpb.KV",grpc_type="unary"} 10
            grpc_server_handled_total{grpc_code="OK",grpc_method="Txn",grpc_service="etcdserverpb.KV",grpc_type="unary"} 5
            etcd_disk_wal_fsync_duration_seconds_bucket{le="+Inf"} 42
            weird{path="a \\"quoted\\", comma"} 3
            not a sample line
            broken{unterminated="x 1

            """;

    @Test
    void sumsByNameAndLabel() {
        PromText p = PromText.parse(SCRAPE);
        assertThat(p.sum("etcd_debugging_mvcc_watcher_total")).isEqualTo(2000);
        assertThat(p.sum("grpc_server_msg_sent_total")).isEqualTo(1_234_077);
        assertThat(p.sum("grpc_server_msg_sent_total", "grpc_method", "Watch")).isEqualTo(1_234_000);
        assertThat(p.sum("grpc_server_handled_total", "grpc_type", "unary")).isEqualTo(15);
        assertThat(p.sum("grpc_server_handled_total", l -> "Txn".equals(l.get("grpc_method")))).isEqualTo(5);
        assertThat(p.sum("no_such_metric")).isZero();
    }

    @Test
    void readsEscapedLabelsAndInfinityAndSkipsWhatIsNoSample() {
        PromText p = PromText.parse(SCRAPE);
        assertThat(p.sum("weird", "path", "a \"quoted\", comma")).isEqualTo(3);
        assertThat(p.samples().stream().filter(s -> s.name().endsWith("_bucket")).findFirst().orElseThrow().labels())
                .containsEntry("le", "+Inf");
        assertThat(p.samples()).extracting(PromText.Sample::name).doesNotContain("not", "broken");
        assertThat(p.samples()).hasSize(7);
    }
}
