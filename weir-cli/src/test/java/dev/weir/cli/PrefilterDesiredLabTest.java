package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.cli.output.Json;
import dev.weir.ebpf.PinnedObject;
import dev.weir.lab.Lab;
import dev.weir.lab.model.Family;
import dev.weir.lab.model.PortSpec;
import dev.weir.lab.probe.ProbeResult;
import dev.weir.testkit.Requirements;

/**
 * The XDP prefilter as desired state, end to end with the lab's agents: a WeirPrefilter applied from a file
 * makes node2 (and only node2) drop ext's connections to a NodePort on its underlay interface, with the rule's
 * counter rising; the imperative commands on node1 edit {@code WeirPrefilter imperative-node1}; a change
 * applied while node2's agent is dead reaches node2 when its agent starts again (the pinned program kept
 * dropping meanwhile, the counter kept counting); a node that lost its prefilter pins and state (as after a
 * reboot) gets it back from the store; deleting the object detaches everything weir attached.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PrefilterDesiredLabTest {

    static final String OBJECT = "src/test/resources/prefilter/deny-ext-node2.yaml";
    static final String OBJECT_WITH_ICMP = "src/test/resources/prefilter/deny-ext-node2-icmp.yaml";
    static final String GUARDED = "src/test/resources/prefilter/deny-node2-udp.yaml";
    static final String NODEPORT = "../examples/services/02-y-web-nodeport.yaml";
    static final String NODE1 = "192.168.100.1";
    static final String NODE2 = "192.168.100.2";
    static final Path PINS = Path.of("/sys/fs/bpf/weir");
    static final Path NODE2_PREFILTER = PINS.resolve("node2/prefilter");
    static Lab lab;

    @BeforeAll
    static void up() {
        upWith();
    }

    /** {@code weir lab up} with these options (a subclass runs the tests on another kvstore), and a NodePort. */
    static void upWith(String... options) {
        Requirements.rootWithBpffs();
        ok(LabOptions.up(options));
        lab = Lab.current().orElseThrow();
        ok("apply", "-f", NODEPORT);
    }

    @AfterAll
    static void down() {
        if (Requirements.isRoot()) {
            Cli.run("lab", "down");
            assertThat(PINS.resolve("node1")).as("node1's pins after lab down").doesNotExist();
            assertThat(PINS.resolve("node2")).as("node2's pins after lab down").doesNotExist();
        }
    }

    static InProcess.Result ok(String... args) {
        InProcess.Result r = Cli.run(args);
        assertThat(r.exit()).as(String.join(" ", args) + "\n" + r).isZero();
        return r;
    }

    static InProcess.Result fails(int exit, String... args) {
        InProcess.Result r = Cli.run(args);
        assertThat(r.exit()).as(String.join(" ", args) + "\n" + r).isEqualTo(exit);
        return r;
    }

    static JsonNode json(String... args) {
        try {
            return Json.mapper().readTree(ok(args).out());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static ProbeResult probe(String node) {
        return lab.probe("ext", node, PortSpec.parse("TCP/30080"), Family.IPV4, Lab.PROBE_TIMEOUT);
    }

    static void reaches(String node, boolean allowed) {
        ProbeResult r = probe(node);
        assertThat(r.allowed()).as("ext -> " + node + ":30080: " + r.summary() + " " + r.reason()).isEqualTo(allowed);
    }

    static boolean pings(String address) {
        return lab.exec("ext", List.of("ping", "-c", "1", "-W", "1", address)) == 0;
    }

    /** The packets counted for node2's rule matching ext's TCP/30080. */
    static long tcpHits() {
        for (JsonNode r : json("prefilter", "list", "--netns", "weir-node2", "-o", "json").path("rules")) {
            if ("tcp".equals(r.path("proto").asText()) && "30080".equals(r.path("dport").asText())) {
                return r.path("packets").asLong();
            }
        }
        throw new AssertionError("no TCP/30080 rule on node2");
    }

    /**
     * Waits until node2's agent enforces {@code rules} rules: a restarted agent answers before its first sync
     * when its kvstore was not read yet (etcd).
     */
    static void awaitNode2Rules(int rules) throws InterruptedException {
        long deadline = System.nanoTime() + 15_000_000_000L;
        int now = -1;
        while (System.nanoTime() < deadline) {
            InProcess.Result r = Cli.run("prefilter", "list", "--netns", "weir-node2", "-o", "json");
            try {
                now = r.exit() == 0 ? Json.mapper().readTree(r.out()).path("rules").size() : -1;
            } catch (Exception e) {
                now = -1;
            }
            if (now == rules && Files.exists(NODE2_PREFILTER.resolve("links/eth0"))) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("node2 enforces " + now + " rules, not " + rules);
    }

    static long xdpLinkId() {
        return PinnedObject.inspect(NODE2_PREFILTER.resolve("links/eth0")).orElseThrow().id();
    }

    static void kill9(String node) throws Exception {
        long pid = Long.parseLong(Files.readString(Path.of("/run/weir", node, "agent.pid")).strip());
        ProcessHandle h = ProcessHandle.of(pid).orElseThrow();
        h.destroyForcibly();
        h.onExit().get();
    }

    @Test
    @Order(1)
    void withoutObjectsExtReachesBothNodePorts() {
        reaches(NODE1, true);
        reaches(NODE2, true);
        assertThat(NODE2_PREFILTER).doesNotExist();
        assertThat(json("prefilter", "list", "--netns", "weir-node2", "-o", "json").path("objects")).isEmpty();
    }

    @Test
    @Order(2)
    void anAppliedObjectDropsExtOnNode2OnlyAndCounts() {
        InProcess.Result r = ok("apply", "-f", OBJECT);
        assertThat(r.out()).contains("WeirPrefilter deny-ext created", "enforced on node1, node2");
        assertThat(NODE2_PREFILTER.resolve("links/eth0")).exists();
        assertThat(PINS.resolve("node1/prefilter")).doesNotExist();
        assertThat(json("net", "--netns", "weir-node2", "-o", "json")).anySatisfy(row -> {
            assertThat(row.path("iface").asText()).isEqualTo("eth0");
            assertThat(row.path("hook").asText()).isEqualTo("xdp");
            assertThat(row.path("progName").asText()).isEqualTo("weir_prefilter");
        });

        reaches(NODE2, false);
        reaches(NODE1, true);
        long hits = tcpHits();
        assertThat(hits).as("ext's SYNs counted on node2's rule").isPositive();
        reaches(NODE2, false);
        assertThat(tcpHits()).as("the counter rises").isGreaterThan(hits);

        JsonNode list = json("prefilter", "list", "--netns", "weir-node2", "-o", "json");
        assertThat(list.path("node").asText()).isEqualTo("node2");
        assertThat(list.path("objects").toString()).isEqualTo("[\"deny-ext\"]");
        assertThat(list.path("attachments").path("eth0").asText()).isIn("native", "generic");
        assertThat(list.path("rules").get(0).path("objects").toString()).isEqualTo("[\"deny-ext\"]");
        assertThat(json("prefilter", "stats", "--netns", "weir-node2", "-o", "json").path("reasons").toString())
                .contains("DROP_DENY_RULE");
        assertThat(ok("prefilter", "list", "--netns", "weir-node2").out()).contains("FROM", "deny-ext", "dport 30080");
        assertThat(json("status", "-o", "json").toString()).contains("eth0 (auto), denylist, 1 rule from deny-ext");
    }

    @Test
    @Order(3)
    void imperativeCommandsEditTheNodesOwnObject() {
        InProcess.Result added = ok("prefilter", "add", "--netns", "weir-node1", "--src", "192.168.100.200", "--proto", "tcp",
                "--dport", "30080");
        assertThat(added.out()).startsWith("added rule 1: deny src 192.168.100.200/32 tcp dport 30080")
                .contains("WeirPrefilter imperative-node1 created; revision");
        reaches(NODE1, true);   // rules alone, attached nowhere yet

        InProcess.Result attached = ok("prefilter", "attach", "--netns", "weir-node1", "eth0");
        assertThat(attached.out()).containsPattern("prefilter attached to eth0 \\(weir-node1\\) in (native|generic) mode")
                .contains("WeirPrefilter imperative-node1 configured");
        reaches(NODE1, false);
        JsonNode list = json("prefilter", "list", "--netns", "weir-node1", "-o", "json");
        assertThat(list.path("objects").toString()).isEqualTo("[\"imperative-node1\"]");
        assertThat(list.path("rules").get(0).path("packets").asLong()).isPositive();

        InProcess.Result conflict = fails(2, "prefilter", "set", "--netns", "weir-node2", "--mode", "allowlist");
        assertThat(conflict.err()).contains("WeirPrefilter imperative-node2: spec.mode: mode allowlist conflicts with denylist"
                + " of WeirPrefilter deny-ext", "nothing was changed");
        InProcess.Result noSuchIf = fails(2, "prefilter", "attach", "--netns", "weir-node1", "no-such-if0");
        assertThat(noSuchIf.err()).contains("no interface no-such-if0 in network namespace weir-node1");
        InProcess.Result notMine = fails(2, "prefilter", "del", "--netns", "weir-node2", "1");
        assertThat(notMine.err()).contains("comes from WeirPrefilter deny-ext");

        InProcess.Result removed = ok("prefilter", "detach", "--netns", "weir-node1", "--all");
        assertThat(removed.out()).contains("prefilter removed from weir-node1", "WeirPrefilter imperative-node1 deleted");
        reaches(NODE1, true);
        assertThat(PINS.resolve("node1/prefilter")).doesNotExist();
    }

    @Test
    @Order(4)
    void aChangeReachesANodeWhoseAgentWasDown() throws Exception {
        long link = xdpLinkId();
        long hits = tcpHits();
        kill9("node2");
        reaches(NODE2, false);   // no agent: the pinned program keeps dropping
        assertThat(pings(NODE2)).isTrue();

        InProcess.Result stored = fails(1, "apply", "-f", OBJECT_WITH_ICMP, "--timeout", "3");
        assertThat(stored.err()).contains("stored but not enforced everywhere", "node2");
        assertThat(pings(NODE2)).as("not enforced while node2 has no agent").isTrue();

        ok("lab", "restart-agents");
        awaitNode2Rules(2);
        assertThat(pings(NODE2)).as("node2's new agent enforces the stored object").isFalse();
        reaches(NODE2, false);
        assertThat(xdpLinkId()).as("the same XDP link: nothing was re-attached").isEqualTo(link);
        assertThat(tcpHits()).as("the rule kept its id and its counter").isGreaterThan(hits);
        assertThat(pings(NODE1)).isTrue();
    }

    @Test
    @Order(5)
    void aNodeThatLostItsPinsAndStateGetsItsPrefilterBackFromTheStore() throws Exception {
        kill9("node2");
        removeTree(NODE2_PREFILTER);   // unpinning the link detaches the program, as a reboot would
        removeTree(Path.of("/run/weir/node2/prefilter"));
        reaches(NODE2, true);

        ok("lab", "restart-agents");
        awaitNode2Rules(2);
        reaches(NODE2, false);
        assertThat(pings(NODE2)).isFalse();
        assertThat(NODE2_PREFILTER.resolve("links/eth0")).exists();
    }

    @Test
    @Order(6)
    void deletingTheObjectDetachesAndClearsIt() {
        InProcess.Result r = ok("delete", "-f", OBJECT_WITH_ICMP);
        assertThat(r.out()).contains("WeirPrefilter deny-ext deleted");
        reaches(NODE2, true);
        assertThat(pings(NODE2)).isTrue();
        assertThat(NODE2_PREFILTER).as("node2's prefilter pins").doesNotExist();
        assertThat(Path.of("/run/weir/node2/prefilter/state.json")).doesNotExist();
        assertThat(ok("net", "--netns", "weir-node2").out()).doesNotContain("weir_prefilter");
        JsonNode list = json("prefilter", "list", "--netns", "weir-node2", "-o", "json");
        assertThat(list.path("objects")).isEmpty();
        assertThat(list.path("rules")).isEmpty();
    }

    @Test
    @Order(7)
    void theLockoutGuardRefusesDroppingAnotherNodeUnlessForced() {
        InProcess.Result add = fails(2, "prefilter", "add", "--netns", "weir-node1", "--src", NODE2, "--proto", "udp");
        assertThat(add.err()).contains("WeirPrefilter imperative-node1: spec.rules: rule 'deny src 192.168.100.2/32 udp'"
                + " would drop protected traffic from 192.168.100.2/32 (default: node node2's address) on node node1",
                "--force", "nothing was changed");
        InProcess.Result apply = fails(2, "apply", "-f", GUARDED);
        assertThat(apply.err()).contains("WeirPrefilter deny-node2-udp", "from 192.168.100.2/32", "--force");
        assertThat(json("prefilter", "list", "--netns", "weir-node1", "-o", "json").path("objects")).isEmpty();
        assertThat(lab.probe("x/b", "x/a", PortSpec.parse("TCP/80"), Family.IPV4, Lab.PROBE_TIMEOUT).allowed()).isTrue();

        // what the guard protects: forced, node1 drops node2's tunnel, and pods across nodes no longer connect
        ok("apply", "-f", GUARDED, "--force");
        assertThat(lab.probe("x/b", "x/a", PortSpec.parse("TCP/80"), Family.IPV4, Lab.PROBE_TIMEOUT).allowed())
                .as("x/b (node2) -> x/a (node1) with node2's UDP dropped at node1").isFalse();
        ok("delete", "-f", GUARDED);
        assertThat(lab.probe("x/b", "x/a", PortSpec.parse("TCP/80"), Family.IPV4, Lab.PROBE_TIMEOUT).allowed()).isTrue();
    }

    private static void removeTree(Path root) throws Exception {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
