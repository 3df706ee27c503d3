package dev.weir.cli.ui;

import static dev.weir.cli.ui.FixedSource.pod;
import static dev.weir.cli.ui.FixedSource.tcp;
import static dev.weir.cli.ui.FixedSource.world;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.weir.agent.api.ApiException;
import dev.weir.agent.flow.Verdict;
import dev.weir.cli.output.Json;

/**
 * {@link UiServer} on a loopback port over fixed flows (filtered by the agent's own filter): the page and its
 * files from the jar, each JSON endpoint, bad parameters (400), a source that cannot be read (502), and what is
 * not served (404, 405). No agent, no root.
 */
class UiServerTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final FixedSource source = new FixedSource()
            .add(tcp(1, Verdict.FORWARDED, pod("x", "a", 256), "10.244.1.10", pod("y", "b", 257), "10.244.2.20", 80, false, "node2"))
            .add(tcp(2, Verdict.FORWARDED, pod("y", "b", 257), "10.244.2.20", pod("x", "a", 256), "10.244.1.10", 80, true, "node1"))
            .add(tcp(3, Verdict.DROPPED, pod("x", "a", 256), "10.244.1.10", pod("z", "a", 258), "10.244.3.10", 80, false, "node1"))
            .add(tcp(4, Verdict.AUDIT, world(), "192.168.100.200", pod("z", "a", 258), "10.244.3.10", 81, false, "node1"));
    private UiServer server;

    @BeforeEach
    void start() throws Exception {
        server = UiServer.start(ListenAddress.parse("127.0.0.1:0"), source);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void servesThePageAndItsFilesFromTheJarAndNothingFromElsewhere() throws Exception {
        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("Content-Security-Policy")).get().asString().startsWith("default-src 'self'");
        assertThat(page.body()).contains("<script src=\"ui.js\"></script>", "href=\"ui.css\"", "id=\"filter-verdict\"",
                "id=\"map\"", "id=\"status\"", "id=\"flows\"");
        HttpResponse<String> js = get("/ui.js");
        assertThat(js.statusCode()).isEqualTo(200);
        assertThat(js.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
        assertThat(js.body()).contains("api/flows", "api/map", "api/edge", "api/status", "data-edge-id");
        HttpResponse<String> css = get("/ui.css");
        assertThat(css.headers().firstValue("Content-Type")).hasValue("text/css; charset=utf-8");
        for (String body : List.of(page.body(), js.body(), css.body())) {
            Matcher m = Pattern.compile("(https?:)?//[a-z0-9.-]+\\.[a-z]{2,}").matcher(body);
            while (m.find()) {
                assertThat(m.group()).as("the only address the page names is SVG's namespace").isEqualTo("http://www.w3.org");
            }
        }
    }

    @Test
    void flowsAreMergedNewestLastWithEachNodesCountersAndFailures() throws Exception {
        source.failures.put("node3", new ApiException(ApiException.UNAVAILABLE, "cannot talk to the agent at /run/weir/node3/api.sock"));
        JsonNode r = json("/api/flows", 200);
        assertThat(r.path("flows").findValuesAsText("verdict")).containsExactly("FORWARDED", "FORWARDED", "DROPPED", "AUDIT");
        assertThat(r.path("flows").get(2).path("destination").path("pod_name").asText()).isEqualTo("a");
        assertThat(r.path("counters").propertyStream().map(java.util.Map.Entry::getKey)).containsExactly("node2", "node1");
        assertThat(r.path("errors")).hasSize(1);
        assertThat(r.path("errors").get(0).path("node").asText()).isEqualTo("node3");
        assertThat(r.path("errors").get(0).path("message").asText()).contains("cannot talk to the agent");
    }

    @Test
    void filtersReachTheAgentsUnderFlowApisNamesAndNarrowTheFlows() throws Exception {
        JsonNode r = json("/api/flows?verdict=DROPPED&from_pod=x%2Fa&port=80&protocol=TCP&last=10&namespace=", 200);
        assertThat(r.path("flows")).hasSize(1);
        assertThat(r.path("flows").get(0).path("verdict").asText()).isEqualTo("DROPPED");
        JsonNode p = source.lastParams;
        assertThat(p.path("verdict").get(0).asText()).isEqualTo("DROPPED");
        assertThat(p.path("from_pod").get(0).asText()).isEqualTo("x/a");
        assertThat(p.path("port").get(0).asInt()).isEqualTo(80);
        assertThat(p.path("protocol").get(0).asText()).isEqualTo("tcp");
        assertThat(p.path("namespace")).as("empty values are no filter").isEmpty();
        assertThat(p.path("last").asInt()).isEqualTo(10);
        assertThat(source.lastLast).isEqualTo(10);

        assertThat(json("/api/flows?verdict=FORWARDED", 200).path("flows").findValuesAsText("verdict"))
                .containsOnly("FORWARDED").hasSize(2);
        assertThat(json("/api/flows?verdict=DROPPED&verdict=AUDIT", 200).path("flows")).as("one filter's values OR").hasSize(2);
        assertThat(json("/api/flows?namespace=z&port=81", 200).path("flows")).as("different filters AND").hasSize(1);
        assertThat(json("/api/flows?to_pod=y%2F", 200).path("flows")).hasSize(1);
        assertThat(json("/api/flows?last=1", 200).path("flows").findValuesAsText("verdict")).containsExactly("AUDIT");
        json("/api/flows", 200);
        assertThat(source.lastLast).as("bounded by default").isEqualTo(FlowParams.DEFAULT_LAST);
    }

    @Test
    void badParametersAnswer400NamingThem() throws Exception {
        assertThat(json("/api/flows?verdict=NOPE", 400).path("error").asText()).contains("unknown verdict 'NOPE'");
        assertThat(json("/api/flows?port=http", 400).path("error").asText()).contains("port: 'http' is not a number");
        assertThat(json("/api/map?port=70000", 400).path("error").asText()).contains("port: '70000'");
        assertThat(json("/api/flows?protocol=gre", 400).path("error").asText()).contains("protocol: 'gre'");
        assertThat(json("/api/flows?last=0", 400).path("error").asText()).contains("last: '0'");
        assertThat(json("/api/flows?last=100000", 400).path("error").asText()).contains("from 1 to 2000");
        assertThat(json("/api/flows?color=red", 400).path("error").asText()).contains("unknown parameter 'color'");
        assertThat(json("/api/flows?fqdn=bad%20name", 400).path("error").asText()).contains("fqdn pattern 'bad name'");
        assertThat(json("/api/edge", 400).path("error").asText()).contains("needs id=");
        assertThat(source.lastParams).as("nothing reached the agents").isNull();
    }

    @Test
    void theMapHasWorkloadsAndEdgesByVerdict() throws Exception {
        JsonNode map = json("/api/map", 200);
        assertThat(map.path("nodes").findValuesAsText("id"))
                .containsExactly("reserved:world", "pod:x/a", "pod:y/b", "pod:z/a");
        assertThat(map.path("columns").findValuesAsText("title"))
                .containsExactly("outside pods", "namespace x", "namespace y", "namespace z");
        assertThat(map.path("edges").findValuesAsText("id")).containsExactly(
                "pod:x/a -> pod:y/b FORWARDED", "pod:x/a -> pod:z/a DROPPED", "reserved:world -> pod:z/a AUDIT");
        JsonNode forwarded = map.path("edges").get(0);
        assertThat(forwarded.path("flows").asInt()).as("the reply counts for its connection").isEqualTo(2);
        assertThat(forwarded.path("ports").get(0).asText()).isEqualTo("TCP/80");
        JsonNode dropped = map.path("edges").get(1);
        assertThat(dropped.path("verdict").asText()).isEqualTo("DROPPED");
        assertThat(dropped.path("dropReasons").get(0).asText()).isEqualTo("POLICY_DENIED");
        assertThat(dropped.path("lastSeen").asText()).isEqualTo("2026-12-01T10:00:03Z");
        assertThat(map.path("width").asInt()).isPositive();
        assertThat(map.path("nodeWidth").asInt()).isEqualTo(ServiceMap.NODE_WIDTH);

        assertThat(json("/api/map?verdict=FORWARDED", 200).path("edges").findValuesAsText("verdict"))
                .as("the map follows the filters").containsExactly("FORWARDED");
    }

    @Test
    void anEdgeListsItsFlows() throws Exception {
        String id = URLEncoder.encode("pod:x/a -> pod:y/b FORWARDED", StandardCharsets.UTF_8);
        JsonNode r = json("/api/edge?id=" + id, 200);
        assertThat(r.path("edge").path("flows").asInt()).isEqualTo(2);
        assertThat(r.path("flows").findValuesAsText("node_name")).containsExactly("node2", "node1");
        assertThat(r.path("flows").get(1).path("is_reply").asBoolean()).isTrue();

        JsonNode narrowed = json("/api/edge?id=" + id + "&from_pod=x%2Fa", 200);
        assertThat(narrowed.path("flows")).as("the filters apply to the edge's flows too").hasSize(1);
        JsonNode gone = json("/api/edge?id=" + URLEncoder.encode("pod:x/a -> pod:x/b DROPPED", StandardCharsets.UTF_8), 200);
        assertThat(gone.path("edge").isNull()).isTrue();
        assertThat(gone.path("flows")).isEmpty();
    }

    @Test
    void statusIsWeirStatusJson() throws Exception {
        source.status.putArray("nodes").addObject().put("node", "node1").put("up", true).put("metricsUrl", "http://127.0.0.1:9962/metrics");
        JsonNode r = json("/api/status", 200);
        assertThat(r.path("nodes").get(0).path("node").asText()).isEqualTo("node1");
        assertThat(r.path("nodes").get(0).path("metricsUrl").asText()).isEqualTo("http://127.0.0.1:9962/metrics");
    }

    @Test
    void aSourceThatCannotBeReadAnswers502AndWhatIsNotServedSaysSo() throws Exception {
        source.broken = new IllegalStateException("no agent is running (no /run/weir/<node>/api.sock)");
        assertThat(json("/api/flows", 502).path("error").asText()).contains("no agent is running");
        assertThat(json("/api/status", 502).path("error").asText()).contains("no agent is running");
        assertThat(json("/api/nothing", 404).path("error").asText()).contains("no such API");
        assertThat(json("/index.php", 404).path("error").asText()).contains("no such page");
        HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + "api/flows"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET");
    }

    @Test
    void closingFreesThePort() throws Exception {
        int port = server.address().getPort();
        assertThat(server.url()).isEqualTo("http://127.0.0.1:" + port + "/");
        server.close();
        server.close();
        try (var s = new java.net.ServerSocket()) {
            s.bind(new java.net.InetSocketAddress("127.0.0.1", port));
        }
    }

    private HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + path.substring(1))).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode json(String path, int status) throws Exception {
        HttpResponse<String> r = get(path);
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        return Json.mapper().readTree(r.body());
    }
}
