package dev.weir.cli.ui;

import static dev.weir.cli.ui.FixedSource.pod;
import static dev.weir.cli.ui.FixedSource.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.weir.agent.api.ApiException;
import dev.weir.agent.flow.Verdict;
import dev.weir.cli.output.Json;

/**
 * The page's own behaviour in headless Chromium, over fixed flows (no lab, no root): rows and edges drawn from the
 * JSON, colours by verdict, filters narrowing table and map, an edge's flows, a new flow appearing while the page
 * is open, the status panel, and an agent's failure shown. {@code UiLabTest} does the same with a real lab's flows.
 */
class UiPageTest {

    private static final Duration SOON = Duration.ofSeconds(5);

    private static final FixedSource SOURCE = new FixedSource()
            .add(tcp(1, Verdict.FORWARDED, pod("x", "a", 256), "10.244.1.10", pod("y", "b", 257), "10.244.2.20", 80, false, "node2"))
            .add(tcp(2, Verdict.DROPPED, pod("x", "a", 256), "10.244.1.10", pod("z", "a", 258), "10.244.3.10", 80, false, "node1"))
            .add(tcp(3, Verdict.AUDIT, pod("y", "c", 260), "10.244.2.30", pod("z", "a", 258), "10.244.3.10", 81, false, "node1"));
    private static UiServer server;
    private static Browser browser;

    @BeforeAll
    static void start() throws Exception {
        Browser.require();
        var nodes = SOURCE.status.putArray("nodes");
        nodes.addObject().put("node", "node1").put("up", true).put("pid", 10).set("flows", Json.mapper().createObjectNode().put("seen", 2));
        nodes.addObject().put("node", "node2").put("up", false).put("error", "agent stopped: OutOfMemoryError");
        server = UiServer.start(ListenAddress.parse("127.0.0.1:0"), SOURCE);
        browser = Browser.start();
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    @Test
    void flowsEdgesFiltersDrillDownAndStatus() throws Exception {
        UiPage page = new UiPage(browser.driver(), server.url());
        List<UiPage.Row> rows = page.await("three flows", SOON, page::flows, r -> r.size() == 3);
        assertThat(rows).as("newest first").containsExactly(
                new UiPage.Row("AUDIT", "y/c", "z/a", "node1"),
                new UiPage.Row("DROPPED", "x/a", "z/a", "node1"),
                new UiPage.Row("FORWARDED", "x/a", "y/b", "node2"));
        List<UiPage.Edge> edges = page.await("three edges", SOON, page::edges, e -> e.size() == 3);
        assertThat(edges).containsExactly(
                new UiPage.Edge("pod:x/a -> pod:y/b FORWARDED", "pod:x/a", "pod:y/b", "FORWARDED", 1, UiPage.GREEN),
                new UiPage.Edge("pod:x/a -> pod:z/a DROPPED", "pod:x/a", "pod:z/a", "DROPPED", 1, UiPage.RED),
                new UiPage.Edge("pod:y/c -> pod:z/a AUDIT", "pod:y/c", "pod:z/a", "AUDIT", 1, "rgb(245, 159, 0)"));
        assertThat(page.statusNodes()).containsExactly("node1 up", "node2 down");

        page.select("verdict", "FORWARDED");
        page.await("only forwarded flows", SOON, page::flows, r -> r.size() == 1 && r.getFirst().verdict().equals("FORWARDED"));
        page.await("only the forwarded edge", SOON, page::edges, e -> e.size() == 1 && e.getFirst().verdict().equals("FORWARDED"));
        page.select("verdict", "");
        page.type("to-pod", "z/a");
        page.type("port", "81");
        page.await("the flow to z/a port 81", SOON, page::flows, r -> r.equals(List.of(new UiPage.Row("AUDIT", "y/c", "z/a", "node1"))));
        assertThat(browser.driver().getCurrentUrl()).as("the filters are in the page's address").contains("to_pod=z%2Fa", "port=81");
        page.type("port", "http");
        page.await("the server's word on a bad port", SOON, page::error, e -> e.contains("port: 'http' is not a number"));
        page.clearFilters();
        page.await("every flow again", SOON, page::flows, r -> r.size() == 3);
        assertThat(page.error()).isEmpty();

        page.clickEdge("pod:x/a -> pod:z/a DROPPED");
        assertThat(page.edgePanelShown()).isTrue();
        assertThat(page.edgeTitle()).isEqualTo("pod:x/a -> pod:z/a DROPPED");
        page.await("the edge's flow", SOON, page::edgeFlows, r -> r.equals(List.of(new UiPage.Row("DROPPED", "x/a", "z/a", "node1"))));

        SOURCE.add(tcp(4, Verdict.DROPPED, pod("x", "a", 256), "10.244.1.10", pod("z", "a", 258), "10.244.3.10", 80, false, "node1"));
        page.await("a new flow, live", SOON, page::flows, r -> r.size() == 4);
        page.await("the edge's new flow", SOON, page::edgeFlows, r -> r.size() == 2);
        page.await("the edge's count", SOON, page::edges, e -> e.stream().anyMatch(x -> x.verdict().equals("DROPPED") && x.flows() == 2));

        browser.screenshot(java.nio.file.Path.of("target", "ui-page.png"));
        SOURCE.failures.put("node2", new ApiException(ApiException.UNAVAILABLE, "cannot talk to the agent at /run/weir/node2/api.sock"));
        page.await("node2's failure", SOON, page::error, e -> e.contains("node2: cannot talk to the agent"));
        SOURCE.failures.clear();
        page.await("no failure", SOON, page::error, String::isEmpty);
    }
}
