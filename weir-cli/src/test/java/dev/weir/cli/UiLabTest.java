package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.cli.ui.Browser;
import dev.weir.cli.ui.RunningUi;
import dev.weir.cli.ui.UiPage;
import dev.weir.testkit.Requirements;

/**
 * {@code weir ui} on a real lab, in a real browser (Debian's headless Chromium through chromedriver): {@code weir
 * ui} runs in-process on a free loopback port and asks the lab's agents; a default-deny in z and a denied probe
 * show within seconds as a dropped row and a red edge, an allowed probe as a forwarded row and a green edge; the
 * verdict filter narrows table and map; the status panel lists both nodes; clicking the red edge lists its flows.
 * Browser and lab are gone afterwards.
 */
class UiLabTest {

    private static final Duration SOON = Duration.ofSeconds(5);
    private static final String DENIED = "pod:x/a -> pod:z/a DROPPED";
    private static final String DEFAULT_DENY = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: default-deny, namespace: z}
            spec:
              podSelector: {}
              policyTypes: [Ingress]
            """;

    @TempDir
    static Path files;

    @BeforeAll
    static void up() {
        Requirements.rootWithBpffs();
        Browser.require();
        InProcess.Result r = Cli.run("lab", "up");
        assertThat(r.exit()).as(r.toString()).isZero();
    }

    @AfterAll
    static void down() {
        if (Requirements.isRoot()) {
            Cli.run("lab", "down");
        }
    }

    @Test
    void aDeniedProbeShowsAsARowAndARedEdgeThatListsItsFlows() throws Exception {
        Path deny = files.resolve("default-deny.yaml");
        Files.writeString(deny, DEFAULT_DENY);
        try (RunningUi ui = RunningUi.start(); Browser browser = Browser.start()) {
            UiPage page = new UiPage(browser.driver(), ui.url());
            page.await("both nodes up", SOON, page::statusNodes, n -> n.equals(List.of("node1 up", "node2 up")));

            InProcess.Result applied = Cli.run("apply", "-f", deny.toString());
            assertThat(applied.exit()).as(applied.toString()).isZero();
            assertThat(Cli.run("lab", "probe", "x/a", "z/a", "TCP/80").out()).startsWith("blocked");
            assertThat(Cli.run("lab", "probe", "x/a", "y/b", "TCP/80").out()).startsWith("allowed");

            page.await("the denied flow as a row", SOON, page::flows,
                    rows -> rows.contains(new UiPage.Row("DROPPED", "x/a", "z/a", "node1")));
            UiPage.Edge red = page.await("the denied flow as a red edge", SOON, page::edges,
                    edges -> edges.stream().anyMatch(e -> e.id().equals(DENIED))).stream()
                    .filter(e -> e.id().equals(DENIED)).findFirst().orElseThrow();
            assertThat(red.source()).isEqualTo("pod:x/a");
            assertThat(red.target()).isEqualTo("pod:z/a");
            assertThat(red.verdict()).isEqualTo("DROPPED");
            assertThat(red.stroke()).as("drawn red").isEqualTo(UiPage.RED);
            UiPage.Edge green = page.await("the allowed connection as a green edge", SOON, page::edges,
                    edges -> edges.stream().anyMatch(e -> e.id().equals("pod:x/a -> pod:y/b FORWARDED"))).stream()
                    .filter(e -> e.id().equals("pod:x/a -> pod:y/b FORWARDED")).findFirst().orElseThrow();
            assertThat(green.stroke()).isEqualTo(UiPage.GREEN);

            page.select("verdict", "FORWARDED");
            List<UiPage.Row> forwarded = page.await("forwarded flows only", SOON, page::flows,
                    rows -> !rows.isEmpty() && rows.stream().allMatch(r -> r.verdict().equals("FORWARDED")));
            assertThat(forwarded).as("the allowed probe stays")
                    .anyMatch(r -> r.source().equals("x/a") && r.destination().equals("y/b"));
            assertThat(page.edges()).extracting(UiPage.Edge::verdict).containsOnly("FORWARDED");
            page.select("verdict", "");
            page.type("to-pod", "z/");
            page.await("flows to z only", SOON, page::flows,
                    rows -> !rows.isEmpty() && rows.stream().allMatch(r -> r.destination().startsWith("z/")));
            page.clearFilters();

            page.clickEdge(DENIED);
            assertThat(page.edgePanelShown()).isTrue();
            assertThat(page.edgeTitle()).isEqualTo(DENIED);
            List<UiPage.Row> flows = page.await("the red edge's flows", SOON, page::edgeFlows, rows -> !rows.isEmpty());
            assertThat(flows).containsOnly(new UiPage.Row("DROPPED", "x/a", "z/a", "node1"));
            assertThat(page.statusNodes()).containsExactly("node1 up", "node2 up");
            assertThat(page.error()).isEmpty();
            browser.screenshot(Path.of("target", "ui-lab.png")); // for a person to look at
        } finally {
            Cli.run("delete", "-f", deny.toString());
        }
    }
}
