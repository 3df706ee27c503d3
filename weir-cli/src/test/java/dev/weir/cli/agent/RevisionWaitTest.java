package dev.weir.cli.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.weir.agent.api.ApiClient;
import dev.weir.agent.api.ApiServer;
import dev.weir.cli.output.Json;

/**
 * How {@code weir apply} waits on the node records (etcd): a sync error that says the kvstore did not answer is
 * waited out (the agent retries), any other one for the revision fails at once. Against a fake agent's API socket.
 */
class RevisionWaitTest {

    private Path dir;
    private ApiServer server;
    private final AtomicInteger asked = new AtomicInteger();

    @BeforeEach
    void dir() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "rw");
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
        Files.deleteIfExists(dir.resolve("api.sock"));
        Files.deleteIfExists(dir);
    }

    /** An agent whose cluster.nodes answers each of {@code answers} in turn (the last one from then on). */
    private AgentDirectory.Agent agent(List<JsonNode> answers) throws Exception {
        server = new ApiServer(new ApiServer.Config(dir.resolve("api.sock")), Map.of("cluster.nodes",
                p -> answers.get(Math.min(asked.getAndIncrement(), answers.size() - 1))), Map.of(), m -> { });
        server.start();
        return new AgentDirectory.Agent("node1", new ApiClient(dir.resolve("api.sock")));
    }

    private static JsonNode nodes(long applied, String error, long failed) {
        ObjectNode o = Json.mapper().createObjectNode();
        o.putObject("kvstore").put("kind", "etcd");
        ObjectNode n = o.putArray("nodes").addObject();
        n.put("name", "node1");
        n.put("appliedRevision", applied);
        n.put("syncError", error);
        n.put("failedRevision", failed);
        return o;
    }

    /** An agent on the file store: cluster.nodes says so, and ping answers each of {@code answers} in turn. */
    private AgentDirectory.Agent fileAgent(List<JsonNode> answers) throws Exception {
        ObjectNode file = Json.mapper().createObjectNode();
        file.putObject("kvstore").put("kind", "file");
        server = new ApiServer(new ApiServer.Config(dir.resolve("api.sock")), Map.of("cluster.nodes", p -> file,
                "ping", p -> answers.get(Math.min(asked.getAndIncrement(), answers.size() - 1)),
                "status", p -> {
                    throw new IllegalStateException("status asked");
                }), Map.of(), m -> { });
        server.start();
        return new AgentDirectory.Agent("node1", new ApiClient(dir.resolve("api.sock")));
    }

    private static JsonNode ping(long applied, String error, long failed) {
        ObjectNode n = Json.mapper().createObjectNode();
        n.put("node", "node1");
        n.put("appliedRevision", applied);
        n.put("syncError", error);
        n.put("failedRevision", failed);
        return n;
    }

    @Test
    void onTheFileStoreEachAgentsPingIsAskedNotItsStatus() throws Exception {
        AgentDirectory.Agent a = fileAgent(List.of(ping(355, null, 0), ping(355, null, 0), ping(356, null, 0)));
        assertThat(RevisionWait.await(List.of(a), 356, Duration.ofSeconds(10))).containsExactly("node1");
        assertThat(asked.get()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void onTheFileStoreASyncErrorInThePingFailsAtOnce() throws Exception {
        AgentDirectory.Agent a = fileAgent(List.of(ping(355, "lb_backend holds 65536 entries, but ...", 356)));
        assertThatThrownBy(() -> RevisionWait.await(List.of(a), 356, Duration.ofSeconds(30)))
                .hasMessage("node1 cannot apply revision 356: lb_backend holds 65536 entries, but ...");
    }

    @Test
    void aKvstoreThatDidNotAnswerTheSyncIsWaitedOut() throws Exception {
        String unavailable = "kvstore unavailable: read lb-service-node1: no answer from http://127.0.0.1:23790 within 5000 ms";
        AgentDirectory.Agent a = agent(List.of(nodes(355, unavailable, 356), nodes(355, unavailable, 356),
                nodes(356, null, 0)));
        assertThat(RevisionWait.await(List.of(a), 356, Duration.ofSeconds(10))).containsExactly("node1");
        assertThat(asked.get()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void aKvstoreThatNeverAnswersFailsAtTheTimeoutNamingIt() throws Exception {
        AgentDirectory.Agent a = agent(List.of(nodes(355, "kvstore unavailable: read identities: no answer", 356)));
        assertThatThrownBy(() -> RevisionWait.await(List.of(a), 356, Duration.ofMillis(300)))
                .hasMessageContaining("revision 356 is stored but not enforced everywhere")
                .hasMessageContaining("node1 (at revision 355, retrying: kvstore unavailable: read identities");
    }

    @Test
    void anyOtherSyncErrorForTheRevisionFailsAtOnce() throws Exception {
        AgentDirectory.Agent a = agent(List.of(nodes(355, "lb_backend holds 65536 entries, but ...", 356)));
        assertThatThrownBy(() -> RevisionWait.await(List.of(a), 356, Duration.ofSeconds(30)))
                .hasMessage("node1 cannot apply revision 356: lb_backend holds 65536 entries, but ...");
    }
}
