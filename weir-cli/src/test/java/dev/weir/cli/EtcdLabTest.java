package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import dev.weir.cli.output.Json;
import dev.weir.lab.etcd.EtcdCluster;
import dev.weir.lab.host.Processes;
import dev.weir.testkit.Requirements;

/**
 * {@code weir lab up --kvstore etcd}: real etcd members start before the agents, {@code lab status} lists
 * them live and healthy, every agent runs with {@code --kvstore etcd} and every member's URL (also after
 * {@code lab restart-agents}), and {@code lab down} leaves no member and no data — also when lab.json is
 * broken.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EtcdLabTest {

    private static final Path DATA_ROOT = Path.of("/dev/shm/weir-lab-etcd");
    private static final String NODEPORT = "../examples/services/02-y-web-nodeport.yaml";
    private static final String ENDPOINTS = "http://127.0.0.1:23790,http://127.0.0.1:23792,http://127.0.0.1:23794";

    @BeforeAll
    static void up() {
        Requirements.rootWithBpffs();
        Requirements.require(EtcdCluster.available(), "needs Debian's etcd-server (/usr/bin/etcd; scripts/setup.sh installs it)");
        long start = System.nanoTime();
        InProcess.Result r = Cli.run("lab", "up", "--kvstore", "etcd", "--etcd-members", "3");
        assertThat(r.exit()).as(r.toString()).isZero();
        System.out.println("lab up --kvstore etcd took " + (System.nanoTime() - start) / 1_000_000 + " ms");
    }

    @AfterAll
    static void down() {
        if (Requirements.isRoot()) {
            Cli.run("lab", "down");
        }
    }

    @Test
    @Order(1)
    void membersAreLiveAndHealthyAndTheAgentsUseThem() throws Exception {
        JsonNode kv = labStatus().path("kvstore");
        assertThat(kv.path("kind").asText()).isEqualTo("etcd");
        assertThat(kv.path("endpoints").asText()).isEqualTo(ENDPOINTS);
        JsonNode members = kv.path("members");
        assertThat(members).hasSize(3);
        for (int i = 0; i < 3; i++) {
            JsonNode m = members.get(i);
            String name = "etcd" + (i + 1);
            assertThat(m.path("name").asText()).isEqualTo(name);
            assertThat(m.path("clientUrl").asText()).isEqualTo("http://127.0.0.1:" + (23790 + 2 * i));
            assertThat(m.path("peerUrl").asText()).isEqualTo("http://127.0.0.1:" + (23791 + 2 * i));
            assertThat(m.path("dataDir").asText()).isEqualTo(DATA_ROOT.resolve(name).toString());
            assertThat(Path.of(m.path("log").asText())).exists();
            assertThat(ProcessHandle.of(m.path("pid").asLong()).map(ProcessHandle::isAlive)).as(name).contains(true);
            assertThat(m.path("alive").asBoolean()).isTrue();
            assertThat(m.path("healthy").asBoolean()).isTrue();
            assertThat(EtcdCluster.healthy(member(m))).as(name + " /health, asked here").isTrue();
        }
        InProcess.Result table = Cli.run("lab", "status");
        assertThat(table.out()).contains("kvstore: etcd, 3 member(s)");
        assertThat(table.out().lines().filter(l -> l.startsWith("etcd") && l.contains(" healthy "))).hasSize(3);

        assertThat(agentCommandLines()).hasSize(2)
                .allSatisfy(c -> assertThat(c).contains("--kvstore etcd --kvstore-endpoints " + ENDPOINTS));
    }

    /**
     * A host that runs only node1's agent (a run directory with node1's alone) still sees the whole cluster:
     * node2's endpoints with their identities (through node1's agent, from etcd), the same identities, and
     * node2 in status.
     */
    @Test
    @Order(2)
    void aHostWithOneAgentListsEveryNode() throws Exception {
        JsonNode both = endpoints();
        assertThat(both.findValuesAsText("node")).contains("node1", "node2");
        String identities = Cli.run("identity", "list", "-o", "json").out();
        Path host = Files.createTempDirectory("weir-host-node1-");
        Files.createSymbolicLink(host.resolve("node1"), Path.of("/run/weir/node1"));
        System.setProperty("weir.runRoot", host.toString());
        try {
            JsonNode fromNode1 = endpoints();
            assertThat(rows(fromNode1)).as("every node's endpoints, node2's through node1's agent").isEqualTo(rows(both));
            assertThat(fromNode1.findValues("identity")).allSatisfy(id -> assertThat(id.asInt()).isPositive());
            assertThat(identities(Cli.run("identity", "list", "-o", "json").out()))
                    .as("the same identities (each reported by node1's agent alone)").isEqualTo(identities(identities));
            InProcess.Result status = Cli.run("status");
            assertThat(status.exit()).as(status.toString()).isZero();
            assertThat(status.out()).contains("node2");
        } finally {
            System.clearProperty("weir.runRoot");
            Files.delete(host.resolve("node1"));
            Files.delete(host);
        }
    }

    /**
     * A host without any agent reads the cluster from etcd directly ({@code --kvstore-endpoints}): the same
     * endpoints and identities the agents report, each identity with the nodes whose endpoints reference it.
     */
    @Test
    @Order(2)
    void aHostWithoutAnAgentReadsTheClusterFromEtcd() throws Exception {
        InProcess.Result applied = Cli.run("apply", "-f", NODEPORT);
        assertThat(applied.exit()).as(applied.toString()).isZero();
        JsonNode viaAgents = endpoints();
        String agentIdentities = Cli.run("identity", "list", "-o", "json").out();
        JsonNode agentStatus = Json.mapper().readTree(Cli.run("status", "-o", "json").out()).path("nodes");
        InProcess.Result agentList = Cli.run("service", "list", "--node", "node2", "-o", "json");
        assertThat(agentList.exit()).as(agentList.toString()).isZero();
        JsonNode agentServices = Json.mapper().readTree(agentList.out());
        assertThat(Cli.run("service", "list", "--node", "node2").out()).as("through node2's agent: node1's revision too")
                .contains("as node node2 translates them", "the other nodes enforce revision: node1 ");
        Path none = Files.createTempDirectory("weir-host-without-agent-");
        System.setProperty("weir.runRoot", none.toString());
        try {
            assertThat(Cli.run("status").exit()).as("no agent here").isNotZero();

            InProcess.Result status = Cli.run("status", "--kvstore-endpoints", ENDPOINTS, "-o", "json");
            assertThat(status.exit()).as(status.toString()).isZero();
            JsonNode nodes = Json.mapper().readTree(status.out()).path("nodes");
            assertThat(nodes.findValuesAsText("node")).containsExactly("node1", "node2");
            assertThat(nodes.findValuesAsText("appliedRevision")).as("the revision each agent says it enforces")
                    .isEqualTo(agentStatus.findValuesAsText("appliedRevision"));
            assertThat(Cli.run("status", "--kvstore-endpoints", ENDPOINTS).out()).contains("kvstore: etcd " + ENDPOINTS);
            assertThat(Cli.run("node", "list", "--kvstore-endpoints", ENDPOINTS).out()).contains("node1", "node2", "read from etcd");

            InProcess.Result eps = Cli.run("endpoint", "list", "--kvstore-endpoints", ENDPOINTS, "-o", "json");
            assertThat(eps.exit()).as(eps.toString()).isZero();
            JsonNode fromEtcd = Json.mapper().readTree(eps.out());
            assertThat(rows(fromEtcd)).as("the endpoints and identities the agents report").containsExactlyInAnyOrderElementsOf(rows(viaAgents));
            assertThat(Cli.run("endpoint", "list", "--kvstore-endpoints", ENDPOINTS).out()).as("policy: only agents know").contains(" ? ");

            InProcess.Result ids = Cli.run("identity", "list", "--kvstore-endpoints", ENDPOINTS, "-o", "json");
            assertThat(ids.exit()).as(ids.toString()).isZero();
            JsonNode allocated = Json.mapper().readTree(ids.out());
            List<String> endpointIdentities = identities(agentIdentities).stream().filter(i -> i.contains(" ENDPOINT ")).toList();
            assertThat(identities(ids.out())).as("every endpoint identity the agents use is allocated").containsAll(endpointIdentities);
            for (JsonNode e : fromEtcd) {
                if (e.path("host").asBoolean()) {
                    continue;
                }
                JsonNode id = allocated.valueStream().filter(i -> i.path("id").asInt() == e.path("identity").asInt())
                        .findFirst().orElseThrow();
                assertThat(textList(id.path("nodes")))
                        .as(e.path("namespace").asText() + "/" + e.path("name").asText() + "'s identity is referenced by its node")
                        .contains(e.path("node").asText());
            }
            assertThat(Cli.run("service", "list").exit()).as("no agent here").isNotZero();
            servicesFromEtcdAreTheAgentsServices(agentServices);

            InProcess.Result bad = Cli.run("status", "--kvstore-endpoints", "not a url");
            assertThat(bad.exit()).as(bad.toString()).isEqualTo(2);
        } finally {
            System.clearProperty("weir.runRoot");
            Files.delete(none);
        }
    }

    /**
     * {@code service list --kvstore-endpoints}: every Service the agents translate, with the same frontends and
     * backend addresses, enforced by both nodes (the apply returned when both did); {@code --node} narrows the
     * nodes, an unknown one is an error.
     */
    private static void servicesFromEtcdAreTheAgentsServices(JsonNode agentRows) throws Exception {
        InProcess.Result r = Cli.run("service", "list", "--kvstore-endpoints", ENDPOINTS, "-o", "json");
        assertThat(r.exit()).as(r.toString()).isZero();
        JsonNode rows = Json.mapper().readTree(r.out());
        assertThat(rows.findValuesAsText("service")).containsExactly("y/web");
        JsonNode web = rows.get(0);
        assertThat(web.path("type").asText()).isEqualTo("NODE_PORT");
        for (JsonNode a : agentRows) {
            if (a.path("type").asText().equals("CLUSTER_IP")) {
                assertThat(textList(web.path("frontends"))).as("the agent's ClusterIP frontend " + a)
                        .contains(a.path("frontend").asText() + "/" + a.path("protocol").asText());
            }
            for (JsonNode b : a.path("backends")) {
                String address = b.asText().substring(0, b.asText().indexOf(' '));
                assertThat(textList(web.path("backends"))).as("the agent's backend " + b)
                        .anySatisfy(e -> assertThat(e).startsWith(address + "/TCP "));
            }
        }
        assertThat(textList(web.path("frontends"))).contains("<node>:30080/TCP");
        assertThat(textList(web.path("enforcedBy"))).containsExactly("node1", "node2");
        assertThat(textList(web.path("behind"))).isEmpty();
        String table = Cli.run("service", "list", "--kvstore-endpoints", ENDPOINTS, "--node", "node1").out();
        assertThat(table).contains("as stored in etcd", "y/web", "1/1");
        assertThat(Cli.run("service", "list", "--kvstore-endpoints", ENDPOINTS, "--node", "nodeX").exit()).isEqualTo(2);
    }

    private static List<String> textList(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static JsonNode endpoints() throws Exception {
        InProcess.Result r = Cli.run("endpoint", "list", "-o", "json");
        assertThat(r.exit()).as(r.toString()).isZero();
        return Json.mapper().readTree(r.out());
    }

    /** Id, kind and labels of each identity (without the agents that reported it). */
    private static List<String> identities(String json) throws Exception {
        List<String> out = new ArrayList<>();
        Json.mapper().readTree(json).forEach(i -> out.add(i.path("id").asInt() + " " + i.path("kind").asText() + " "
                + new java.util.TreeMap<>(Json.mapper().convertValue(i.path("labels"), java.util.Map.class))));
        return out;
    }

    /** Pod, node, identity and addresses of each endpoint row. */
    private static List<String> rows(JsonNode endpoints) {
        List<String> out = new ArrayList<>();
        endpoints.forEach(e -> out.add(e.path("namespace").asText() + "/" + e.path("name").asText() + " on "
                + e.path("node").asText() + " id " + e.path("identity").asInt() + " " + e.path("ipv4").asText()));
        return out;
    }

    @Test
    @Order(3)
    void restartedAgentsKeepTheKvstore() {
        List<Long> before = agentPids();
        InProcess.Result r = Cli.run("lab", "restart-agents");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(agentPids()).doesNotContainAnyElementsOf(before);
        assertThat(agentCommandLines()).hasSize(2)
                .allSatisfy(c -> assertThat(c).contains("--kvstore etcd --kvstore-endpoints " + ENDPOINTS));
    }

    @Test
    @Order(4)
    void labDownLeavesNoMemberNoDataNoLog() throws Exception {
        JsonNode members = labStatus().path("kvstore").path("members");
        List<Long> pids = new ArrayList<>();
        members.forEach(m -> pids.add(m.path("pid").asLong()));
        List<Long> agents = agentPids();
        InProcess.Result down = Cli.run("lab", "down");
        assertThat(down.exit()).as(down.toString()).isZero();
        assertThat(down.err()).contains("stopped the agents of node1, node2", "stopped 3 etcd member(s)");
        assertNoneLeft(pids, agents);
    }

    @Test
    @Order(5)
    void labDownFindsTheMembersWithoutLabJson() throws Exception {
        InProcess.Result up = Cli.run("lab", "up", "--nodes", "1", "--kvstore", "etcd", "--etcd-members", "1");
        assertThat(up.exit()).as(up.toString()).isZero();
        long pid = labStatus().path("kvstore").path("members").get(0).path("pid").asLong();
        List<Long> agents = agentPids();
        Files.writeString(Path.of("/run/weir/lab/lab.json"), "{ broken");
        InProcess.Result down = Cli.run("lab", "down");
        assertThat(down.exit()).as(down.toString()).isZero();
        assertThat(down.err()).contains("stopped the agents of node1", "stopped 1 etcd member(s)");
        assertNoneLeft(List.of(pid), agents);
    }

    private static void assertNoneLeft(List<Long> members, List<Long> agents) {
        for (long pid : members) {
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("member pid " + pid).isFalse();
        }
        for (long pid : agents) {
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("agent pid " + pid).isFalse();
        }
        // other tests may run etcd clusters of their own; the lab's are those with data under its root
        assertThat(ProcessHandle.allProcesses().filter(ProcessHandle::isAlive)
                .map(p -> Processes.commandLine(p.pid()))
                .filter(c -> c.contains("etcd") && c.contains("--data-dir " + DATA_ROOT + "/"))).isEmpty();
        assertThat(DATA_ROOT).doesNotExist();
        assertThat(Path.of("/run/weir/lab")).as("the members' logs go with the lab's run directory").doesNotExist();
        assertThat(Cli.run("lab", "status").exit()).isEqualTo(1);
    }

    private static JsonNode labStatus() throws Exception {
        InProcess.Result r = Cli.run("lab", "status", "-o", "json");
        assertThat(r.exit()).as(r.toString()).isZero();
        return Json.mapper().readTree(r.out());
    }

    private static EtcdCluster.Member member(JsonNode m) {
        return new EtcdCluster.Member(m.path("name").asText(), m.path("clientUrl").asText(), m.path("peerUrl").asText(),
                m.path("pid").asLong(), m.path("dataDir").asText(), m.path("log").asText());
    }

    private static List<Long> agentPids() {
        InProcess.Result status = Cli.run("status", "-o", "json");
        assertThat(status.exit()).as(status.toString()).isZero();
        List<Long> pids = new ArrayList<>();
        try {
            Json.mapper().readTree(status.out()).path("nodes").forEach(n -> pids.add(n.path("pid").asLong()));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return pids;
    }

    private static List<String> agentCommandLines() {
        // from /proc: ProcessHandle.Info cuts a command line at 4 KiB, and the tests' class path is longer
        return agentPids().stream().map(Processes::commandLine).toList();
    }
}
