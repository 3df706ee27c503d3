package dev.weir.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.agent.api.ApiClient;
import dev.weir.agent.api.ApiException;
import dev.weir.agent.api.ApiProtocol;
import dev.weir.agent.endpoint.EndpointIds;
import dev.weir.agent.endpoint.LabEndpointSource;
import dev.weir.agent.flow.RawFlowEvent;
import dev.weir.agent.store.FileStore;

/** A whole agent (without root): fake lab state, file store, recording dataplane, API over a socket. */
class AgentTest {

    @TempDir
    Path dir;

    private static final String LAB = """
            {"nodes":[{"name":"node1","netns":"weir-node1","ipv4":"192.168.100.1"},
                      {"name":"node2","netns":"weir-node2","ipv4":"192.168.100.2"}],
             "namespaces":[{"name":"x","labels":{"ns":"x"}}],
             "pods":[{"namespace":"x","name":"a","node":"node1","ipv4":"10.244.1.10","labels":{"pod":"a"},"hostInterface":"lxc-x-a"},
                     {"namespace":"x","name":"b","node":"node2","ipv4":"10.244.1.20","labels":{"pod":"b"},"hostInterface":"lxc-x-b"}]}
            """;

    private static final String POLICY = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: deny, namespace: x}
            spec: {podSelector: {}}
            """;

    private AgentConfig config(String node) throws Exception {
        Files.writeString(dir.resolve("lab.json"), LAB);
        return new AgentConfig(node, dir.resolve("store"), dir.resolve("run").resolve(node), dir.resolve(node + ".log"),
                dir.resolve("lab.json"), 100, Duration.ofMillis(20));
    }

    private static <R> Agent<R> agent(AgentConfig c, Agent.Parts<R> parts) {
        FileStore store = new FileStore(FileStore.Config.of(c.storeDir()));
        return new Agent<>(c, parts, new LabEndpointSource(new LabEndpointSource.Config(c.labState()), new EndpointIds(store)),
                store, m -> { });
    }

    private static ObjectNode apply(String text, boolean delete) {
        ObjectNode p = ApiProtocol.mapper().createObjectNode().put("delete", delete);
        p.putArray("files").addObject().put("source", "p.yaml").put("text", text);
        return p;
    }

    @Test
    void twoAgentsShareTheStoreAndApplyEveryRevision() throws Exception {
        RecordingDataplane<StateView> dp1 = new RecordingDataplane<>();
        Agent<StateView> a1 = agent(config("node1"), new Agent.Parts<>(new PlaceholderStateCompiler(), dp1, ConntrackReader.NONE));
        Agent<StateView> a2 = agent(config("node2"), new Agent.Parts<>(new PlaceholderStateCompiler(),
                new RecordingDataplane<>(), ConntrackReader.NONE));
        a1.start();
        a2.start();
        try {
            ApiClient c1 = new ApiClient(a1.config().socket());
            ApiClient c2 = new ApiClient(a2.config().socket());
            JsonNode r = c1.call("apply", apply(POLICY, false), Duration.ofSeconds(5));
            assertThat(r.path("revision").asLong()).isEqualTo(1);
            assertThat(r.path("objects").get(0).path("outcome").asText()).isEqualTo("created");
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (c2.call("status", null, Duration.ofSeconds(2)).path("appliedRevision").asLong() < 1) {
                assertThat(System.nanoTime()).as("node2 applies revision 1").isLessThan(deadline);
                Thread.sleep(20);
            }
            assertThat(dp1.updates().getLast().revision()).isEqualTo(1);
            assertThat(dp1.updates().getLast().node()).isEqualTo("node1");

            JsonNode eps = c1.call("endpoint.list", null, Duration.ofSeconds(2));
            assertThat(eps).hasSize(1);
            assertThat(eps.get(0).path("name").asText()).isEqualTo("a");
            int idA = eps.get(0).path("id").asInt();
            JsonNode eps2 = c2.call("endpoint.list", null, Duration.ofSeconds(2));
            assertThat(eps2.get(0).path("id").asInt()).as("endpoint ids are cluster-wide").isNotEqualTo(idA);
            JsonNode ids1 = c1.call("identity.list", null, Duration.ofSeconds(2));
            assertThat(ids1).isEqualTo(c2.call("identity.list", null, Duration.ofSeconds(2)));

            JsonNode pol = c1.call("policy.get", ApiProtocol.mapper().createObjectNode().put("namespace", "x").put("name", "a"),
                    Duration.ofSeconds(2));
            assertThat(pol.path("identity").asInt()).isGreaterThanOrEqualTo(256);
            assertThatThrownBy(() -> c1.call("policy.get", ApiProtocol.mapper().createObjectNode().put("namespace", "x")
                    .put("name", "b"), Duration.ofSeconds(2))).hasMessage("pod x/b runs on node2, not node1");

            assertThatThrownBy(() -> c1.call("apply", apply("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n", false),
                    Duration.ofSeconds(2))).isInstanceOf(ApiException.class).hasMessageContaining("p.yaml: document 1: kind: unknown kind 'Pod'");
            assertThat(a1.store().revision()).isEqualTo(1);

            a1.flows().publish(new RawFlowEvent(java.time.Instant.now(), idA, 5, 0, 0, 0, 142, 2, 0, false, 4, 6, 2, 0,
                    1234, 80, "10.244.1.20", "10.244.1.10", 60));
            JsonNode flows = c1.call("flows.query", ApiProtocol.mapper().createObjectNode(), Duration.ofSeconds(2));
            assertThat(flows.path("flows")).hasSize(1);
            assertThat(flows.path("flows").get(0).path("destination").path("pod_name").asText()).isEqualTo("a");
            assertThat(flows.path("flows").get(0).path("source").path("pod_name").asText()).isEqualTo("b");

            JsonNode del = c2.call("apply", apply(POLICY, true), Duration.ofSeconds(5));
            assertThat(del.path("revision").asLong()).isEqualTo(2);
            assertThatThrownBy(() -> c2.call("apply", apply(POLICY, true), Duration.ofSeconds(5)))
                    .hasMessageContaining("p.yaml: NetworkPolicy x/deny not found");
        } finally {
            a2.stop();
            a1.stop();
        }
        assertThat(a1.config().socket()).doesNotExist();
        assertThat(a1.config().pidFile()).doesNotExist();
    }

    @Test
    void anAppliedRevisionIsTimedFromItsCommitToItsEnforcement() throws Exception {
        AgentConfig c = config("node1");
        FileStore store = new FileStore(FileStore.Config.of(c.storeDir()));
        Agent<StateView> a = new Agent<>(c, new Agent.Parts<>(new PlaceholderStateCompiler(), new RecordingDataplane<>(),
                ConntrackReader.NONE), Kvstore.of(store, new LabEndpointSource(new LabEndpointSource.Config(c.labState()),
                new EndpointIds(store))), new dev.weir.agent.metrics.AgentMetrics.Config(
                new dev.weir.agent.metrics.AgentMetrics.Address("127.0.0.1", 0)), m -> { });
        a.start();
        try {
            ApiClient api = new ApiClient(a.config().socket());
            String url = api.call("status", null, Duration.ofSeconds(2)).path("metricsUrl").asText();
            long deadline = System.nanoTime() + 5_000_000_000L;
            // the first sync (revision 0, or one committed before the agent started) is not timed: wait it out
            while (api.call("status", null, Duration.ofSeconds(2)).path("appliedAt").isNull()) {
                assertThat(System.nanoTime()).as("the first sync").isLessThan(deadline);
                Thread.sleep(20);
            }
            assertThat(scrape(url)).contains("weir_apply_to_enforced_seconds_count 0");
            long revision = api.call("apply", apply(POLICY, false), Duration.ofSeconds(5)).path("revision").asLong();
            while (api.call("status", null, Duration.ofSeconds(2)).path("appliedRevision").asLong() < revision) {
                assertThat(System.nanoTime()).as("revision %d applied", revision).isLessThan(deadline);
                Thread.sleep(20);
            }
            assertThat(scrape(url)).contains("weir_apply_to_enforced_seconds_count 1");
        } finally {
            a.stop();
        }
    }

    private static String scrape(String url) throws Exception {
        var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    @Test
    void aFailedStartStopsWhatStarted() throws Exception {
        AgentConfig c = config("node1");
        Files.createDirectories(c.runDir());
        Files.createDirectories(c.socket()); // a directory where the socket must go: the API server cannot bind
        Files.writeString(c.socket().resolve("keep"), "x");
        List<String> stopped = new java.util.ArrayList<>();
        Dataplane<StateView> dp = new Dataplane<>() {
            @Override
            public String name() {
                return "dataplane(test)";
            }

            @Override
            public void start() {
            }

            @Override
            public void stop() {
                stopped.add("dataplane");
            }

            @Override
            public void apply(Update<StateView> update) {
            }
        };
        Agent<StateView> a = agent(c, new Agent.Parts<>(new PlaceholderStateCompiler(), dp, ConntrackReader.NONE));
        assertThatThrownBy(a::start).isInstanceOf(Components.ComponentStartException.class)
                .hasMessageContaining("api-server");
        assertThat(stopped).containsExactly("dataplane");
        assertThat(c.pidFile()).as("the pid file component stopped too").doesNotExist();
    }

    @Test
    void errorInTheSyncThreadStopsTheAgentLoudly() throws Exception {
        AgentConfig c = config("node1");
        java.util.concurrent.atomic.AtomicInteger applies = new java.util.concurrent.atomic.AtomicInteger();
        RecordingDataplane<StateView> recording = new RecordingDataplane<>();
        Dataplane<StateView> dying = new Dataplane<>() {
            @Override
            public String name() {
                return "dying";
            }

            @Override
            public void start() {
            }

            @Override
            public void stop() {
            }

            @Override
            public void apply(Update<StateView> update) {
                if (applies.incrementAndGet() > 1) {
                    throw new OutOfMemoryError("injected: Java heap space");
                }
                recording.apply(update);
            }
        };
        List<String> log = new java.util.concurrent.CopyOnWriteArrayList<>();
        FileStore store = new FileStore(FileStore.Config.of(c.storeDir()));
        Files.createDirectories(c.runDir());
        Files.writeString(c.failedFile(), "left by an earlier agent\n");
        Agent<StateView> agent = new Agent<>(c, new Agent.Parts<>(new PlaceholderStateCompiler(), dying, ConntrackReader.NONE),
                new LabEndpointSource(new LabEndpointSource.Config(c.labState()), new EndpointIds(store)), store, log::add);
        agent.start();
        assertThat(c.failedFile()).as("a new agent forgets an earlier failure").doesNotExist();
        assertThat(agent.failure()).isEmpty();
        try {
            new ApiClient(c.socket()).call("apply", apply(POLICY, false), Duration.ofSeconds(5));
        } catch (ApiException e) {
            // The sync loop may take the change, die and stop the agent before the reply goes out: either is fine.
            assertThat(e).hasMessageContaining("the agent closed the connection");
        }

        Thread waiter = Thread.ofVirtual().start(() -> {
            try {
                agent.awaitStop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        waiter.join(Duration.ofSeconds(10));
        assertThat(waiter.isAlive()).as("the agent stops by itself").isFalse();
        assertThat(agent.failure()).containsInstanceOf(OutOfMemoryError.class);
        assertThat(Files.readString(c.failedFile())).contains("sync thread died", "OutOfMemoryError", "injected");
        assertThat(log).anyMatch(l -> l.startsWith("FATAL: the sync thread died") && l.contains("injected"));
        assertThat(c.socket()).as("nothing answers for a dead sync loop").doesNotExist();
        assertThat(c.pidFile()).doesNotExist();
    }
}
