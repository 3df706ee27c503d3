package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.cli.output.Json;
import dev.weir.lab.etcd.EtcdCluster;
import dev.weir.testkit.Requirements;

/**
 * Every lab agent serves Prometheus metrics (on etcd, so that the kvstore's families have values):
 * {@code status -o json} gives each node's {@code metricsUrl}, a denied probe raises the drop counters (and the
 * opt-in {@code weir_drop_total}) by exactly the dropped flows {@code weir observe} shows, the apply it follows
 * shows in the apply-to-enforced histogram, a full map and conntrack entries show in the pressure gauges, and,
 * last, with every family holding values, {@code promtool check metrics} finds nothing to say and a real
 * Prometheus (Debian's) scrapes every agent.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MetricsLabTest {

    private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path files;

    @BeforeAll
    static void up() {
        Requirements.root();
        Requirements.require(Files.isExecutable(PROMETHEUS) && Files.isExecutable(PROMTOOL),
                "needs Debian's prometheus (prometheus and promtool; scripts/setup.sh installs it)");
        Requirements.require(EtcdCluster.available(), "needs Debian's etcd-server (/usr/bin/etcd; scripts/setup.sh installs it)");
        // a small backend map, so that one Service fills it
        InProcess.Result r = Cli.run("lab", "up", "--kvstore", "etcd", "--etcd-members", "1", "--lb-map-size", "lb_backend=16");
        assertThat(r.exit()).as(r.toString()).isZero();
    }

    @AfterAll
    static void down() {
        if (Requirements.isRoot()) {
            Cli.run("lab", "down");
        }
    }

    /** Families the earlier tests gave values on every agent: each must be in the scrape promtool checks. */
    private static final List<String> FAMILIES = List.of("weir_endpoint_state{endpoint_state=\"ready\"}",
            "weir_identity{type=\"endpoint\"}", "weir_kvstore_up{kind=\"etcd\"} 1", "weir_sync_duration_seconds_bucket",
            "weir_apply_to_enforced_seconds_bucket", "weir_bpf_map_pressure{map_name=\"ct\"}",
            "weir_bpf_map_entries{map_name=\"np_ct\"}", "weir_bpf_map_capacity{map_name=\"pol\"}",
            "weir_datapath_packets_total{program=\"tc_endpoint\"", "weir_datapath_bytes_total{program=\"tc_endpoint\"",
            "weir_kvstore_operations_duration_seconds_bucket{action=\"", "weir_kvstore_events_total{",
            "weir_flows_processed_total{", "weir_port_distribution_total{", "weir_flow_events_total",
            "weir_forward_count_total", "jvm_memory_used_bytes");

    @Test
    @Order(3)
    void everyAgentServesMetricsThatPromtoolAcceptsAndPrometheusScrapes() throws Exception {
        List<String> urls = metricsUrls();
        assertThat(urls).containsExactly("http://127.0.0.1:9962/metrics", "http://127.0.0.1:9963/metrics");
        for (String url : urls) {
            String body = get(url);
            assertThat(body).as(url).contains(FAMILIES);
            Path file = files.resolve("metrics.txt");
            Files.writeString(file, body);
            Process p = new ProcessBuilder(PROMTOOL.toString(), "check", "metrics").redirectErrorStream(true)
                    .redirectInput(file.toFile()).start();
            String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(said).as("promtool check metrics on " + url).isEmpty();
            assertThat(p.exitValue()).isZero();
        }

        Path config = files.resolve("prometheus.yml");
        Files.writeString(config, "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                + "scrape_configs:\n- job_name: weir\n  static_configs:\n  - targets: ["
                + String.join(", ", urls.stream().map(u -> "'" + URI.create(u).getAuthority() + "'").toList()) + "]\n");
        int port;
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Process prometheus = new ProcessBuilder(PROMETHEUS.toString(), "--config.file=" + config,
                "--storage.tsdb.path=" + files.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(files.resolve("prometheus.log").toFile()).start();
        try {
            String api = "http://127.0.0.1:" + port + "/api/v1/";
            JsonNode result = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                try {
                    result = Json.mapper().readTree(get(api + "query?query=weir_endpoint_state%7Bendpoint_state%3D%22ready%22%7D"))
                            .path("data").path("result");
                    if (result.size() == 2) {
                        break;
                    }
                } catch (java.io.IOException e) {
                    // not listening yet
                }
                Thread.sleep(500);
            }
            assertThat(result).as("Prometheus scraped both agents (%s)", Files.readString(files.resolve("prometheus.log")))
                    .isNotNull().hasSize(2);
            JsonNode targets = Json.mapper().readTree(get(api + "targets")).path("data").path("activeTargets");
            assertThat(targets.findValuesAsText("health")).containsExactly("up", "up");
            JsonNode ct = Json.mapper().readTree(get(api + "query?query=weir_bpf_map_pressure%7Bmap_name%3D%22ct%22%7D"))
                    .path("data").path("result");
            assertThat(ct).as("Prometheus has the conntrack fill of both agents").hasSize(2);
        } finally {
            prometheus.destroy();
            if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly().waitFor();
            }
        }
    }

    @Test
    @Order(1)
    void aDeniedProbeRaisesTheDropCounterByTheDroppedFlows() throws Exception {
        Path deny = files.resolve("z-a-closed.yaml");
        Files.writeString(deny, """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: closed, namespace: z}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                """);
        double enforcedBefore = sum("weir_apply_to_enforced_seconds_count");
        assertThat(Cli.run("apply", "-f", deny.toString()).exit()).isZero();
        try {
            // weir apply returns once every node enforces the revision: each has timed it
            assertThat(sum("weir_apply_to_enforced_seconds_count") - enforcedBefore)
                    .as("every agent timed the apply's revision from commit to enforcement").isGreaterThanOrEqualTo(2);
            double before = drops();
            double optInBefore = sum("weir_drop_total{");
            int flowsBefore = droppedFlows();
            InProcess.Result probe = Cli.run("lab", "probe", "x/a", "z/a", "TCP/80");
            assertThat(probe.out()).as(probe.toString()).contains("blocked");
            // flow events reach the history a little after the probe gives up
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            int flows;
            double counted;
            double optIn;
            do {
                Thread.sleep(300);
                flows = droppedFlows() - flowsBefore;
                counted = drops() - before;
                optIn = sum("weir_drop_total{") - optInBefore;
            } while ((flows == 0 || counted != flows || optIn != flows) && System.nanoTime() < deadline);
            assertThat(flows).as("the probe's drops show as flows").isPositive();
            assertThat(counted).as("weir_drop_count_total rose by the dropped flows").isEqualTo(flows);
            assertThat(optIn).as("the opt-in weir_drop_total rose by the dropped flows").isEqualTo(flows);
            assertThat(sum("weir_drop_total{protocol=\"TCP\",reason=\"POLICY_DENIED\"}")).isPositive();
            assertThat(sum("weir_policy_verdict_total{action=\"denied\"")).isPositive();
        } finally {
            Cli.run("delete", "-f", deny.toString());
        }
    }

    @Test
    @Order(2)
    void aFullBackendMapShowsInThePressureGauge() throws Exception {
        StringBuilder endpoints = new StringBuilder();
        for (int i = 1; i <= 16; i++) {
            endpoints.append("- {addresses: [10.244.9.").append(i).append("], conditions: {ready: true}}\n");
        }
        Path full = files.resolve("full.yaml");
        Files.writeString(full, """
                apiVersion: v1
                kind: Service
                metadata: {name: full, namespace: x}
                spec: {clusterIP: 10.96.0.99, ports: [{port: 80}]}
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: full, namespace: x, labels: {kubernetes.io/service-name: full}}
                addressType: IPv4
                ports: [{port: 80}]
                endpoints:
                """ + endpoints);
        InProcess.Result applied = Cli.run("apply", "-f", full.toString());
        assertThat(applied.exit()).as(applied.toString()).isZero();
        try {
            for (String url : metricsUrls()) {
                String body = get(url);
                assertThat(body).as(url).contains("weir_bpf_map_pressure{map_name=\"lb_backend\"} 1.0",
                        "weir_services 1");
            }
        } finally {
            Cli.run("delete", "-f", full.toString());
        }
        for (String url : metricsUrls()) {
            assertThat(get(url)).as(url).contains("weir_bpf_map_pressure{map_name=\"lb_backend\"} 0.0");
        }
    }

    @Test
    @Order(2)
    void conntrackAndEveryOtherPinnedMapWithACapacityShowInThePressureGauge() throws Exception {
        assertThat(Cli.run("lab", "probe", "x/a", "y/b", "TCP/80").out()).contains("allowed");
        // the maps the datapath fills are counted every few seconds
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (sum("weir_bpf_map_entries{map_name=\"ct\"}") == 0 && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
        assertThat(sum("weir_bpf_map_entries{map_name=\"ct\"}")).as("the probe's conntrack entries").isPositive();
        String body = get(metricsUrls().getFirst());
        List<String> pinned = new ArrayList<>();
        for (dev.weir.cli.ops.BpfMapList.Row m : dev.weir.cli.ops.BpfMapList.rows(false)) {
            if (m.entries() != null && m.pin() != null && m.pin().startsWith("/sys/fs/bpf/weir/node1/")) {
                pinned.add(Path.of(m.pin()).getFileName().toString());
            }
        }
        assertThat(pinned).contains("ct", "np_ct", "pol", "ipcache", "lb_backend");
        for (String map : pinned) {
            assertThat(body).as("node1's pinned map %s", map).contains("weir_bpf_map_pressure{map_name=\"" + map + "\"}",
                    "weir_bpf_map_capacity{map_name=\"" + map + "\"}");
        }
    }

    private static List<String> metricsUrls() throws Exception {
        InProcess.Result r = Cli.run("status", "-o", "json");
        assertThat(r.exit()).as(r.toString()).isZero();
        List<String> urls = new ArrayList<>();
        Json.mapper().readTree(r.out()).path("nodes").forEach(n -> urls.add(n.path("metricsUrl").asText()));
        return urls;
    }

    /** weir_drop_count_total summed over every agent. */
    private static double drops() throws Exception {
        return sum("weir_drop_count_total{");
    }

    /** The samples whose line starts with {@code prefix}, summed over every agent. */
    private static double sum(String prefix) throws Exception {
        double sum = 0;
        for (String url : metricsUrls()) {
            for (String line : get(url).split("\n")) {
                if (line.startsWith(prefix)) {
                    sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
        }
        return sum;
    }

    /** How many DROPPED flows every node's history holds. */
    private static int droppedFlows() throws Exception {
        InProcess.Result r = Cli.run("observe", "--verdict", "DROPPED", "--last", "0", "-o", "json");
        assertThat(r.exit()).as(r.toString()).isZero();
        return (int) r.out().lines().filter(l -> !l.isBlank()).count();
    }

    private static String get(String url) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(url).isEqualTo(200);
        return r.body();
    }
}
