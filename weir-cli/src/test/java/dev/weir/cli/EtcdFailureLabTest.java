package dev.weir.cli;

import static dev.weir.cli.FailureLab.agentPid;
import static dev.weir.cli.FailureLab.await;
import static dev.weir.cli.FailureLab.awaitConverged;
import static dev.weir.cli.FailureLab.awaitStatus;
import static dev.weir.cli.FailureLab.identities;
import static dev.weir.cli.FailureLab.keepLogs;
import static dev.weir.cli.FailureLab.kill9;
import static dev.weir.cli.FailureLab.leader;
import static dev.weir.cli.FailureLab.members;
import static dev.weir.cli.FailureLab.ms;
import static dev.weir.cli.FailureLab.nodeNames;
import static dev.weir.cli.FailureLab.pause;
import static dev.weir.cli.FailureLab.podIdentities;
import static dev.weir.cli.FailureLab.resume;
import static dev.weir.cli.FailureLab.resumeAll;
import static dev.weir.cli.FailureLab.revisionKey;
import static dev.weir.cli.FailureLab.sleep;
import static dev.weir.cli.FailureLab.sleepUntil;
import static dev.weir.cli.FailureLab.status;
import static dev.weir.cli.FailureLab.statusOf;
import static dev.weir.cli.FailureLab.url;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.lab.KvstoreState;
import dev.weir.lab.Lab;
import dev.weir.lab.etcd.EtcdCluster;
import dev.weir.lab.model.Family;
import dev.weir.lab.model.PortSpec;
import dev.weir.lab.probe.ProbeResult;
import dev.weir.testkit.Requirements;

/**
 * How weir behaves when etcd or an agent fails (docs/kvstore.md, "Failure behaviour"), on the two-node lab with
 * a real 3-member etcd and a 10 s lease: the etcd leader killed during 100 applies (none lost, none applied
 * twice, every node at etcd's revision); quorum lost (the dataplane keeps enforcing and translating what it
 * had, apply fails in bounded time and changes nothing, status says the kvstore is down; all converge after);
 * an agent killed and restarted without quorum (keeps enforcing, converges after); etcd compacted and
 * restarted while an agent hangs (it lists again and ends identical to the others); an agent gone for good
 * (its lease expires and its node, endpoints and identities leave the other node's view and dataplane).
 *
 * <p>Objects of namespace {@code t} (which has no pods) select nothing; {@code z} has a default deny with
 * {@code z/a} open to {@code pod=b} on TCP/80 (z/b runs on node2, z/a on node1: node1 admits it by the identity
 * node2 published), and {@code x/web} is a ClusterIP over x's pods.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EtcdFailureLabTest {

    /**
     * Short, to keep the test short, but above the time a hung member can hold an agent's keep-alive stream:
     * with 10 s, a run lost node2's lease while etcd1 was stopped (the keep-alives went unanswered for 15 s
     * before gRPC dropped the connection), and node1 forgot node2 before the quorum was even lost.
     */
    private static final int LEASE_TTL = 20;
    private static final String SERVICE = "../examples/services/01-x-web-clusterip.yaml";
    private static final long START = System.nanoTime();
    /** Where steps are reported: the real stdout (Cli.run swaps System.out while a command runs, on any thread). */
    private static final java.io.PrintStream OUT = System.out;

    @TempDir
    static Path files;

    private static Lab lab;

    @BeforeAll
    static void up() throws IOException {
        Requirements.rootWithBpffs();
        Requirements.require(EtcdCluster.available(), "needs Debian's etcd-server (/usr/bin/etcd; scripts/setup.sh installs it)");
        InProcess.Result r = Cli.run("lab", "up", "--kvstore", "etcd", "--etcd-members", "3",
                "--kvstore-lease-ttl", Integer.toString(LEASE_TTL));
        assertThat(r.exit()).as(r.toString()).isZero();
        lab = Lab.current().orElseThrow();
        applyOk(Path.of(SERVICE));
        applyOk(write("z.yaml", """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: deny-all, namespace: z}
                spec:
                  podSelector: {}
                  policyTypes: [Ingress]
                ---
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: a-from-b, namespace: z}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  ingress:
                  - from: [{podSelector: {matchLabels: {pod: b}}}]
                    ports: [{port: 80, protocol: TCP}]
                """));
        assertEnforcing("at the start");
        step("lab up, service and z's policies applied");
    }

    @AfterAll
    static void down() {
        if (Requirements.isRoot()) {
            resumeAll();
            keepLogs(EtcdFailureLabTest.class);
            Cli.run("lab", "down");
        }
    }

    /**
     * kill -9 of the etcd leader while 100 applies run one after another (each one object): an apply that fails
     * with "kvstore unavailable" is retried as an operator would; in the end etcd holds exactly the 100 objects,
     * the store's revision key was written exactly 100 times (no commit applied twice, none lost), and every
     * node enforces etcd's revision.
     */
    @Test
    @Order(1)
    void killingTheLeaderDuring100AppliesLosesNoneAndDoublesNone() throws Exception {
        List<Path> objects = new ArrayList<>();
        Path dir = Files.createDirectories(files.resolve("hundred"));
        for (int i = 0; i < 100; i++) {
            String name = String.format("p%03d", i);
            objects.add(write(dir.resolve(name + ".yaml"), tPolicy(name)));
        }
        long writesBefore = revisionKey().map(EtcdHttp.Kv::version).orElse(0L);
        AtomicInteger done = new AtomicInteger();
        AtomicInteger unavailable = new AtomicInteger();
        List<String> problems = new CopyOnWriteArrayList<>();
        Thread applier = Thread.ofPlatform().name("applies").start(() -> {
            for (Path f : objects) {
                applyRetrying(f, unavailable, problems);
                done.incrementAndGet();
            }
        });
        await("20 applies", Duration.ofSeconds(60), () -> done.get() >= 20 || !applier.isAlive());
        KvstoreState.Member leader = leader();
        int killedAt = done.get();
        kill9(leader.pid());
        step("killed the leader " + leader.name() + " (pid " + leader.pid() + ") after " + killedAt + " applies");
        await("30 more applies", Duration.ofSeconds(120), () -> done.get() >= killedAt + 30 || !applier.isAlive());
        KvstoreState.Member back = lab.restartEtcdMember(leader.name(), Duration.ofSeconds(30));
        step(leader.name() + " back as pid " + back.pid() + " after " + done.get() + " applies");
        applier.join(Duration.ofSeconds(180));
        assertThat(applier.isAlive()).as("the applies finish").isFalse();
        step("100 applies done; " + unavailable.get() + " failed with 'kvstore unavailable' and were retried");

        assertThat(problems).as("applies that failed otherwise").isEmpty();
        assertThat(killedAt).as("the leader died while applies were still to come").isLessThan(100);
        List<String> stored = EtcdHttp.prefix(url(), "weir/objects/NetworkPolicy/t/").stream()
                .map(kv -> kv.key().substring(kv.key().lastIndexOf('/') + 1)).toList();
        assertThat(stored).as("every object, once").containsExactlyElementsOf(
                IntStream.range(0, 100).mapToObj(i -> String.format("p%03d", i)).toList());
        assertThat(revisionKey().orElseThrow().version() - writesBefore)
                .as("one commit per object: none applied twice, none lost").isEqualTo(100);
        long converged = converged(List.of("node1", "node2"), "after the leader's death");
        assertThat(converged).isEqualTo(revisionKey().orElseThrow().modRevision());

        InProcess.Result delete = Cli.run("delete", "-f", dir.toString());
        assertThat(delete.exit()).as(delete.toString()).isZero();
        assertThat(EtcdHttp.prefix(url(), "weir/objects/NetworkPolicy/t/")).isEmpty();
    }

    /**
     * SIGSTOP of the leader (quorum kept: applies work), then of a second member (quorum lost): the dataplane
     * keeps enforcing and translating what it had, apply fails within 20 s with "kvstore unavailable" and exit 1
     * and changes nothing, status shows the kvstore not watching; longer than the lease TTL, so the agents'
     * leases run out on their side too. SIGCONT: every node converges, remembers the other, and apply works.
     */
    @Test
    @Order(2)
    void losingQuorumKeepsTheDataplaneAndFailsApplyCleanly() throws Exception {
        KvstoreState.Member first = leader();
        pause(first.pid());
        step("paused " + first.name() + ", the leader");
        long t0 = System.nanoTime();
        AtomicInteger unavailable = new AtomicInteger();
        List<String> problems = new CopyOnWriteArrayList<>();
        applyRetrying(write("q1.yaml", tPolicy("q1")), unavailable, problems);
        assertThat(problems).as("an apply with one member of three hung").isEmpty();
        step("apply with " + first.name() + " hung took " + ms(t0) + " ms, " + unavailable.get() + " 'kvstore unavailable' retries");
        EtcdHttp.Kv before = revisionKey().orElseThrow();

        KvstoreState.Member second = members().stream().filter(m -> !m.name().equals(first.name())).findFirst().orElseThrow();
        pause(second.pid());
        long lost = System.nanoTime();
        step("paused " + second.name() + ": no quorum");
        awaitStatus("every agent sees the kvstore down", Duration.ofSeconds(40),
                rows -> rows.stream().allMatch(r -> !r.path("kvstore").path("live").asBoolean(true)));

        Path q2 = write("q2.yaml", tPolicy("q2"));
        long t1 = System.nanoTime();
        InProcess.Result failed = Cli.run("apply", "-f", q2.toString());
        long took = ms(t1);
        step("apply without quorum: exit " + failed.exit() + " after " + took + " ms: " + failed.err().strip());
        assertThat(failed.exit()).as(failed.toString()).isEqualTo(1);
        assertThat(failed.err()).contains("kvstore unavailable");
        assertThat(took).as("apply fails in bounded time").isLessThan(20_000);

        InProcess.Result table = Cli.run("status");
        assertThat(table.exit()).as("the agents answer: " + table).isZero();
        assertThat(table.out()).contains("kvstore: etcd ", "not watching");
        for (JsonNode row : status()) {
            assertThat(row.path("appliedRevision").asLong()).as(row.toString()).isEqualTo(before.modRevision());
        }
        assertThat(nodeNames("node1")).as("node1 still knows node2 (as last seen)").contains("node1", "node2");
        assertEnforcing("without quorum");
        sleepUntil(lost, Duration.ofSeconds(LEASE_TTL + 3));
        assertEnforcing("without quorum for longer than the lease TTL");

        resume(second.pid());
        resume(first.pid());
        step("resumed " + first.name() + " and " + second.name() + " after " + ms(lost) + " ms without quorum");
        long rev = converged(List.of("node1", "node2"), "after quorum returned");
        assertThat(rev).as("the failed apply changed nothing").isEqualTo(before.modRevision());
        assertThat(EtcdHttp.get(url(), "weir/objects/NetworkPolicy/t/q2")).isEmpty();
        assertEnforcing("after quorum returned");
        applyOk(q2);
    }

    /**
     * Without quorum, node2's agent is killed (kill -9) and {@code lab restart-agents} starts both agents again:
     * they answer without having read etcd, node2's dataplane keeps what its pins hold, and both converge to
     * etcd's revision once quorum is back.
     */
    @Test
    @Order(3)
    void anAgentKilledWithoutQuorumRestartsKeepsEnforcingAndConverges() throws Exception {
        long rev = revisionKey().orElseThrow().modRevision();
        List<KvstoreState.Member> two = members().subList(1, 3);
        two.forEach(m -> pause(m.pid()));
        step("paused " + two.get(0).name() + " and " + two.get(1).name() + ": no quorum");
        long old = agentPid("node2");
        kill9(old);
        assertEnforcing("node2's agent killed, no quorum");

        long t0 = System.nanoTime();
        InProcess.Result restart = Cli.run("lab", "restart-agents");
        step("lab restart-agents without quorum: exit " + restart.exit() + " after " + ms(t0) + " ms:\n" + restart.err().strip());
        assertThat(restart.exit()).as(restart.toString()).isZero();
        assertThat(agentPid("node2")).isNotEqualTo(old);
        for (JsonNode row : status()) {
            assertThat(row.path("up").asBoolean()).as(row.toString()).isTrue();
            assertThat(row.path("syncError").asText("")).as("a new agent has not read etcd: " + row)
                    .contains("has not been read yet");
        }
        assertEnforcing("agents restarted without quorum");

        two.forEach(m -> resume(m.pid()));
        step("resumed " + two.get(0).name() + " and " + two.get(1).name());
        assertThat(converged(List.of("node1", "node2"), "restarted agents after quorum returned")).isEqualTo(rev);
        assertEnforcing("restarted agents with quorum back");
        assertThat(identities("node2")).isEqualTo(identities("node1"));
        applyOk(write("q3.yaml", tPolicy("q3")));
    }

    /**
     * node2's agent hangs (SIGSTOP) while y's default deny is deleted and an object added through node1, etcd's
     * history is compacted past them and every member restarted in turn (so the hung agent's connections break):
     * node2 keeps its old dataplane meanwhile; resumed, its watch finds its history compacted, it lists again,
     * and it ends at node1's revision with the same identities and dataplane (the deletion it never saw as an
     * event is gone).
     */
    @Test
    @Order(4)
    void anAgentThatMissedACompactedHistoryListsAgainAndEndsIdentical() throws Exception {
        Path yDeny = write("y-deny.yaml", """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: deny-all, namespace: y}
                spec:
                  podSelector: {}
                  policyTypes: [Ingress]
                """);
        applyOk(yDeny);
        expect("x/a", "y/b", false, "y's default deny (y/b on node2)");
        expect("x/a", "y/a", false, "y's default deny (y/a on node1)");
        long agent = agentPid("node2");
        Path log = Path.of("/run/weir/lab/logs/agent-node2.log");
        long logBefore = Files.size(log);

        pause(agent);
        step("paused node2's agent (pid " + agent + ")");
        InProcess.Result delete = Cli.run("delete", "-f", yDeny.toString(), "--timeout", "3");
        assertOkOrWaitingFor("node2", delete);
        InProcess.Result add = Cli.run("apply", "-f", write("c1.yaml", tPolicy("c1")).toString(), "--timeout", "3");
        assertOkOrWaitingFor("node2", add);
        expect("x/a", "y/a", true, "node1 enforces the deletion");
        expect("x/a", "y/b", false, "node2's hung agent left its dataplane as it was");

        long compactAt = EtcdHttp.revision(url());
        EtcdHttp.compact(url(), compactAt);
        step("compacted at " + compactAt + "; restarting every member in turn");
        for (KvstoreState.Member m : members()) {
            kill9(m.pid());
            lab.restartEtcdMember(m.name(), Duration.ofSeconds(30));
        }
        resume(agent);
        step("resumed node2's agent");

        long rev = converged(List.of("node1", "node2"), "node2 after a compacted history");
        assertThat(rev).isEqualTo(revisionKey().orElseThrow().modRevision());
        String newLog = Files.readString(log).substring((int) logBefore);
        assertThat(newLog).as("node2 listed the desired state again").contains("lost its history", "listed desired state again");
        awaitProbe("x/a", "y/b", true, "node2 removed y's deleted deny");
        assertThat(identities("node2")).isEqualTo(identities("node1"));
        assertThat(statusOf("node2").path("policies").asInt()).isEqualTo(statusOf("node1").path("policies").asInt());
        assertThat(nodeNames("node2")).isEqualTo(nodeNames("node1")).contains("node1", "node2");
        assertEnforcing("after node2 listed again");
    }

    /**
     * node2's agent killed for good: its records outlive it for about the lease TTL, then expire, and node1
     * forgets node2, its endpoints and the identities only node2's pods had; node1's dataplane then no longer
     * admits z/b by identity. apply no longer waits for node2.
     */
    @Test
    @Order(5)
    void anAgentGoneForGoodLeavesTheOtherNodesViewWhenItsLeaseExpires() throws Exception {
        expect("z/b", "z/a", true, "z/a admits pod=b (z/b on node2) by identity");
        assertThat(podIdentities("node1")).as("node1's identities: every pod's")
                .containsExactlyInAnyOrder("x/a", "x/b", "x/c", "y/a", "y/b", "y/c", "z/a", "z/b", "z/c");
        kill9(agentPid("node2"));
        long killed = System.nanoTime();
        step("killed node2's agent for good");

        await("node1 forgets node2", Duration.ofSeconds(LEASE_TTL + 40), () -> !nodeNames("node1").contains("node2"));
        long forgotten = ms(killed);
        step("node1 forgot node2 " + forgotten + " ms after the kill (lease TTL " + LEASE_TTL + " s)");
        assertThat(forgotten).as("the records outlived the agent for about the lease TTL").isGreaterThan(LEASE_TTL * 1000L / 2);
        await("node1's identities are its own pods' only", Duration.ofSeconds(30),
                () -> podIdentities("node1").equals(List.of("x/a", "x/c", "y/a", "z/a")));
        awaitProbe("z/b", "z/a", false, "node1 no longer knows z/b's address as pod=b");
        expect("y/a", "z/a", false, "z/a is still closed to others");

        List<JsonNode> rows = status();
        assertThat(rows).anySatisfy(r -> {
            assertThat(r.path("node").asText()).isEqualTo("node2");
            assertThat(r.path("up").asBoolean()).isFalse();
        });
        InProcess.Result applied = Cli.run("apply", "-f", write("g1.yaml", tPolicy("g1")).toString());
        assertThat(applied.exit()).as(applied.toString()).isZero();
        assertThat(applied.out()).as("apply waits for live nodes only").contains("enforced on node1\n");
    }

    // --- the dataplane ---

    /** What z's policies and x/web make of four probes; the state must be exactly this whatever etcd does. */
    private static void assertEnforcing(String when) {
        expect("y/a", "z/b", false, when + ": z's default deny, across nodes");
        expect("z/b", "z/a", true, when + ": z/a admits pod=b by identity, across nodes");
        expect("y/a", "z/a", false, when + ": z/a admits nobody else");
        ProbeResult svc = probe("y/b", "10.96.0.10");
        assertThat(svc.allowed()).as(when + ": the ClusterIP x/web answers: " + svc.summary()).isTrue();
    }

    private static void expect(String from, String to, boolean allowed, String why) {
        ProbeResult r = probe(from, to);
        for (int i = 0; allowed && !r.allowed() && i < 2; i++) {
            r = probe(from, to); // a 1 s probe on a busy machine: an allowed connection gets two more tries
        }
        assertThat(r.allowed()).as(from + " -> " + to + " TCP/80, " + why + ": " + r.summary()).isEqualTo(allowed);
    }

    private static void awaitProbe(String from, String to, boolean allowed, String why) {
        await(from + " -> " + to + (allowed ? " allowed" : " blocked") + " (" + why + ")", Duration.ofSeconds(30),
                () -> probe(from, to).allowed() == allowed);
    }

    private static ProbeResult probe(String from, String to) {
        return lab.probe(from, to, PortSpec.parse("TCP/80"), Family.IPV4, Lab.PROBE_TIMEOUT);
    }

    // --- the agents ---

    /** {@link FailureLab#awaitConverged}, reported. */
    private static long converged(List<String> nodes, String when) {
        long rev = awaitConverged(nodes, when);
        step(when + ": every node at revision " + rev);
        return rev;
    }

    private static void applyOk(Path file) {
        InProcess.Result r = Cli.run("apply", "-f", file.toString());
        assertThat(r.exit()).as(r.toString()).isZero();
    }

    /**
     * apply as an operator would: again a second after "kvstore unavailable" (at most 10 times); other failures
     * are problems.
     */
    private static void applyRetrying(Path file, AtomicInteger unavailable, List<String> problems) {
        for (int i = 0; i < 10; i++) {
            InProcess.Result r = Cli.run("apply", "-f", file.toString());
            if (r.exit() == 0) {
                return;
            }
            if (!r.err().contains("kvstore unavailable")) {
                problems.add(file.getFileName() + ": " + r);
                return;
            }
            unavailable.incrementAndGet();
            OUT.println(elapsed() + " " + file.getFileName() + ": " + r.err().strip() + "; again");
            sleep(1000);
        }
        problems.add(file.getFileName() + ": still unavailable after 10 tries");
    }

    /** exit 0, or the commit went through and apply timed out waiting for the node whose agent hangs. */
    private static void assertOkOrWaitingFor(String node, InProcess.Result r) {
        if (r.exit() != 0) {
            assertThat(r.err()).as(r.toString()).contains("is stored but not enforced everywhere", node);
        }
    }

    private static String elapsed() {
        return String.format("[%6.1f s]", (System.nanoTime() - START) / 1e9);
    }

    private static void step(String what) {
        OUT.println(elapsed() + " " + what);
    }

    // --- files ---

    private static String tPolicy(String name) {
        return """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: %s, namespace: t}
                spec:
                  podSelector: {}
                  policyTypes: [Ingress]
                """.formatted(name);
    }

    private static Path write(String name, String text) throws IOException {
        return write(files.resolve(name), text);
    }

    private static Path write(Path file, String text) throws IOException {
        Files.writeString(file, text);
        return file;
    }
}
