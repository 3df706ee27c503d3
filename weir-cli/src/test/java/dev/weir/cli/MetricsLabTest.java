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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.cli.output.Json;
import dev.weir.testkit.Requirements;

/**
 * Every lab agent serves Prometheus metrics: {@code status -o json} gives each node's {@code metricsUrl}, a
 * real Prometheus (Debian's) scrapes them all, {@code promtool check metrics} finds nothing to say, and a
 * denied probe raises the drop counters by exactly the dropped flows {@code weir observe} shows.
 */
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
        // a small backend map, so that one Service fills it
        InProcess.Result r = Cli.run("lab", "up", "--lb-map-size", "lb_backend=16");
        assertThat(r.exit()).as(r.toString()).isZero();
    }

    @AfterAll
    static void down() {
        if (Requirements.isRoot()) {
            Cli.run("lab", "down");
        }
    }

    @Test
    void everyAgentServesMetricsThatPromtoolAcceptsAndPrometheusScrapes() throws Exception {
        List<String> urls = metricsUrls();
        assertThat(urls).containsExactly("http://127.0.0.1:9962/metrics", "http://127.0.0.1:9963/metrics");
        for (String url : urls) {
            String body = get(url);
            assertThat(body).contains("weir_endpoint_state{endpoint_state=\"ready\"}", "weir_identity{type=\"endpoint\"}",
                    "weir_kvstore_up{kind=\"file\"} 1", "weir_sync_duration_seconds_bucket", "jvm_memory_used_bytes");
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
        } finally {
            prometheus.destroy();
            if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly().waitFor();
            }
        }
    }

    @Test
    void aDeniedProbeRaisesTheDropCounterByTheDroppedFlows() throws Exception {
        Path deny = files.resolve("z-a-closed.yaml");
        Files.writeString(deny, """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: closed, namespace: z}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                """);
        assertThat(Cli.run("apply", "-f", deny.toString()).exit()).isZero();
        try {
            double before = drops();
            int flowsBefore = droppedFlows();
            InProcess.Result probe = Cli.run("lab", "probe", "x/a", "z/a", "TCP/80");
            assertThat(probe.out()).as(probe.toString()).contains("blocked");
            // flow events reach the history a little after the probe gives up
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            int flows;
            double counted;
            do {
                Thread.sleep(300);
                flows = droppedFlows() - flowsBefore;
                counted = drops() - before;
            } while ((flows == 0 || counted != flows) && System.nanoTime() < deadline);
            assertThat(flows).as("the probe's drops show as flows").isPositive();
            assertThat(counted).as("weir_drop_count_total rose by the dropped flows").isEqualTo(flows);
        } finally {
            Cli.run("delete", "-f", deny.toString());
        }
    }

    @Test
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

    private static List<String> metricsUrls() throws Exception {
        InProcess.Result r = Cli.run("status", "-o", "json");
        assertThat(r.exit()).as(r.toString()).isZero();
        List<String> urls = new ArrayList<>();
        Json.mapper().readTree(r.out()).path("nodes").forEach(n -> urls.add(n.path("metricsUrl").asText()));
        return urls;
    }

    /** weir_drop_count_total summed over every agent. */
    private static double drops() throws Exception {
        double sum = 0;
        for (String url : metricsUrls()) {
            for (String line : get(url).split("\n")) {
                if (line.startsWith("weir_drop_count_total{")) {
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
