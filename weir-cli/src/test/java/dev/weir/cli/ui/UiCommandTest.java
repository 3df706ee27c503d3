package dev.weir.cli.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.cli.Cli;
import dev.weir.cli.InProcess;
import dev.weir.cli.output.Json;

/**
 * {@code weir ui} without a lab: {@code --listen}'s forms, bad input (exit 2, nothing started), no agent (exit 1),
 * and a run that serves until interrupted and then frees its port. The run root is a temporary directory whose
 * only "agent" is a plain file where node1's socket would be: it is found, and does not answer.
 */
class UiCommandTest {

    @TempDir
    Path dir;

    @BeforeEach
    void fakeRunRoot() {
        System.setProperty("weir.runRoot", dir.resolve("run").toString());
    }

    @AfterEach
    void restore() {
        System.clearProperty("weir.runRoot");
    }

    @Test
    void listenTakesAnAddressAndAPort() {
        assertThat(ListenAddress.parse("127.0.0.1:12000").socketAddress().toString()).isEqualTo("/127.0.0.1:12000");
        assertThat(ListenAddress.parse("[::1]:0").host().getHostAddress()).isEqualTo("0:0:0:0:0:0:0:1");
        assertThat(ListenAddress.parse("localhost:8080").host().isLoopbackAddress()).isTrue();
        assertThat(ListenAddress.parse(ListenAddress.DEFAULT).port()).isEqualTo(12000);
        assertThatThrownBy(() -> ListenAddress.parse("12000")).hasMessageContaining("is not HOST:PORT");
        assertThatThrownBy(() -> ListenAddress.parse("127.0.0.1:")).hasMessageContaining("is not HOST:PORT");
        assertThatThrownBy(() -> ListenAddress.parse("127.0.0.1:http")).hasMessageContaining("port 'http' is not 0 to 65535");
        assertThatThrownBy(() -> ListenAddress.parse("127.0.0.1:65536")).hasMessageContaining("port '65536'");
        assertThatThrownBy(() -> ListenAddress.parse("example.org:80")).hasMessageContaining("'example.org' is not an IP address");
        assertThatThrownBy(() -> ListenAddress.parse("::1:80")).hasMessageContaining("in brackets");
    }

    @Test
    void helpSaysWhatThePageShows() {
        InProcess.Result r = Cli.run("ui", "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("--listen", "HOST:PORT", "127.0.0.1:12000", "--node", "service map", "verdict",
                "dropped red", "Ctrl-C");
        assertThat(Cli.run("--help").out()).contains("ui ");
    }

    @Test
    void badInputExitsTwoAndStartsNothing() throws Exception {
        agentSocketFile("node1");
        for (String bad : new String[] {"nowhere", "127.0.0.1:x", "localhost:99999", "example.org:12000"}) {
            InProcess.Result r = Cli.run("ui", "--listen", bad);
            assertThat(r.exit()).as(bad + ": " + r).isEqualTo(2);
            assertThat(r.err()).startsWith("weir: --listen");
            assertThat(r.out()).isEmpty();
        }
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            InProcess.Result r = Cli.run("ui", "--listen", "127.0.0.1:" + taken.getLocalPort());
            assertThat(r.exit()).as(r.toString()).isEqualTo(2);
            assertThat(r.err()).contains("--listen 127.0.0.1:" + taken.getLocalPort() + ": Address already in use");
            assertThat(r.out()).isEmpty();
        }
        InProcess.Result foreign = Cli.run("ui", "--listen", "192.0.2.1:" + RunningUi.freePort());
        assertThat(foreign.exit()).as("an address this host does not have: " + foreign).isEqualTo(2);
        InProcess.Result node = Cli.run("ui", "--listen", "127.0.0.1:0", "--node", "node9");
        assertThat(node.exit()).isEqualTo(2);
        assertThat(node.err()).contains("no agent for node node9 (agents: node1)");
    }

    @Test
    void noAgentAtAllExitsOne() {
        InProcess.Result r = Cli.run("ui", "--listen", "127.0.0.1:0");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("no agent is running");
    }

    @Test
    void servesUntilInterruptedAndShowsAnAgentThatDoesNotAnswer() throws Exception {
        agentSocketFile("node1");
        HttpClient http = HttpClient.newHttpClient();
        try (RunningUi ui = RunningUi.start()) {
            HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(ui.url())).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(page.body()).contains("<title>weir flows</title>");
            JsonNode status = Json.mapper().readTree(http.send(HttpRequest.newBuilder(URI.create(ui.url() + "api/status")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            assertThat(status.path("nodes").get(0).path("node").asText()).isEqualTo("node1");
            assertThat(status.path("nodes").get(0).path("up").asBoolean()).isFalse();
            assertThat(status.path("nodes").get(0).path("error").asText()).contains("cannot talk to the agent");
            JsonNode flows = Json.mapper().readTree(http.send(HttpRequest.newBuilder(URI.create(ui.url() + "api/flows")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            assertThat(flows.path("flows")).isEmpty();
            assertThat(flows.path("errors").get(0).path("node").asText()).isEqualTo("node1");
        }
    }

    /** A plain file where an agent's socket would be: the directory lists the node, calls to it fail. */
    private void agentSocketFile(String node) throws Exception {
        Path d = dir.resolve("run").resolve(node);
        Files.createDirectories(d);
        Files.writeString(d.resolve("api.sock"), "");
    }
}
