package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.cli.output.Json;
import dev.weir.datapath.DropReason;
import dev.weir.lab.Lab;
import dev.weir.lab.model.Family;
import dev.weir.lab.model.PortSpec;
import dev.weir.testkit.Requirements;

/**
 * The prefilter's redirect stage with the lab's agents ({@code WeirPrefilter spec.redirect}, native routing): with
 * it off, ext's TCP stream to x/a (node1) arrives through TC and the redirect counters stay zero; on, the agent
 * fills {@code pf_devmap} and the same stream arrives intact, its packets counted {@code ESTABLISHED} and
 * {@code PASS_XDP_REDIRECT}, with GRO on x/a's eth0; a policy that isolates x/a stops the redirect of an established
 * connection at once ({@code POLICY}: TC path) and, once conntrack forgets it, TC drops it (no bypass of policy);
 * off again, nothing more is redirected; lab down leaves no pin and no namespace. The client and server are
 * {@code tcpecho} (weir-datapath/src/test/c/tcpecho.c), the client in ext. The tests run in order on one lab.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class XdpRedirectLabTest {

    private static final Path TCPECHO = Path.of("target", "tcpecho");
    private static final Path PINS = Path.of("/sys/fs/bpf/weir");
    private static final String ON = "src/test/resources/xdpredirect/redirect-node1.yaml";
    private static final String OFF = "src/test/resources/xdpredirect/no-redirect-node1.yaml";
    private static final String DENY = "src/test/resources/xdpredirect/x-a-deny-ingress.yaml";
    private static final String SERVER = "x/a";
    private static final String NODE1 = "192.168.100.1";
    private static final int PORT = 9000;
    private static final long MIB = 1 << 20;

    private static Lab lab;
    private static Process server;
    private static String serverAddress;

    @BeforeAll
    static void up() throws Exception {
        Requirements.rootWithBpffs();
        Requirements.require(Files.isExecutable(TCPECHO), "needs " + TCPECHO.toAbsolutePath()
                + " (built by weir-cli's compile-test-tcpecho step)");
        Requirements.require(Files.isExecutable(Path.of("/usr/sbin/ethtool")) || Files.isExecutable(Path.of("/sbin/ethtool")),
                "needs ethtool (the ethtool package)");
        ok(LabOptions.up("--routing", "native"));
        lab = Lab.current().orElseThrow();
        serverAddress = lab.model().pod(dev.weir.lab.model.PodRef.parse(SERVER)).orElseThrow().address(Family.IPV4);
        String extIf = lab.model().ext().underlayInterface();
        // ext has no route to pods (the lab's rule); this test gives it one to x/a through node1, inside the lab
        assertThat(lab.exec("ext", List.of("ip", "route", "add", serverAddress + "/32", "via", NODE1))).isZero();
        // A veth sends TCP with its checksum left to offload (CHECKSUM_PARTIAL): the TC path completes it, but a
        // frame redirected from XDP carries no checksum state and the pod's TCP would drop it. A real NIC's
        // frames arrive with complete checksums; here the sender must compute them (docs/prefilter-datapath.md).
        assertThat(lab.exec("ext", List.of("ethtool", "-K", extIf, "tx", "off"))).isZero();
        server = lab.command(SERVER, List.of(TCPECHO.toAbsolutePath().toString(), "server", Integer.toString(PORT)))
                .redirectErrorStream(true).start();
        String first = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertThat(first).as(SERVER + " server").isEqualTo("listening " + PORT);
    }

    @AfterAll
    static void down() throws Exception {
        if (server != null) {
            server.destroyForcibly();
        }
        if (Requirements.isRoot()) {
            InProcess.Result r = Cli.run("lab", "down");
            assertThat(r.exit()).as(r.toString()).isZero();
            assertThat(PINS.resolve("node1")).as("node1's pins after lab down").doesNotExist();
            assertThat(PINS.resolve("node2")).as("node2's pins after lab down").doesNotExist();
            Process ns = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
            String left = new String(ns.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(ns.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(left.lines().map(l -> l.split(" ")[0]))
                    .as("no lab namespace after lab down (others' test namespaces may come and go)")
                    .noneMatch(n -> n.startsWith("weir-node") || n.startsWith("weir-pod-") || n.equals("weir-ext")
                            || n.equals("weir-underlay"));
        }
    }

    @Test
    @Order(1)
    void offTheStreamGoesThroughTcAndTheCountersStayZero() throws Exception {
        ok("apply", "-f", OFF);
        awaitRedirect(false);
        assertThat(check(4 * MIB)).isEqualTo("ok bytes=" + 4 * MIB);
        JsonNode s = stats();
        assertThat(redirectTotal(s)).as("nothing seen by the redirect stage: " + s).isZero();
        assertThat(reason(s, DropReason.PASS_XDP_REDIRECT)).isZero();
    }

    @Test
    @Order(2)
    void onTheStreamIsRedirectedAndArrivesIntact() throws Exception {
        ok("apply", "-f", ON);
        awaitRedirect(true);
        awaitGro();
        JsonNode before = stats();
        assertThat(check(8 * MIB)).isEqualTo("ok bytes=" + 8 * MIB);
        JsonNode after = stats();
        long redirected = outcome(after, "ESTABLISHED") - outcome(before, "ESTABLISHED");
        assertThat(redirected).as("8 MiB is thousands of segments: most redirected\n" + after).isGreaterThan(1000);
        assertThat(reason(after, DropReason.PASS_XDP_REDIRECT) - reason(before, DropReason.PASS_XDP_REDIRECT))
                .as("counted PASS_XDP_REDIRECT (13) too").isEqualTo(redirected);
        assertThat(outcome(after, "FLAGS") - outcome(before, "FLAGS")).as("its SYN and FIN took the TC path").isPositive();
    }

    @Test
    @Order(3)
    void aDenyingPolicyStopsTheRedirectAndThenTheConnection() throws Exception {
        try (TcpEchoSession s = TcpEchoSession.open(lab, "ext", serverAddress, PORT)) {
            long established = outcome(stats(), "ESTABLISHED");
            assertThat(s.send(65536)).isEqualTo("ok 65536");
            assertThat(outcome(stats(), "ESTABLISHED")).as("redirected").isGreaterThan(established);

            ok("apply", "-f", DENY);
            try {
                assertThat(lab.probe("x/b", SERVER, PortSpec.parse("TCP/80"), Family.IPV4, Lab.PROBE_TIMEOUT).allowed())
                        .as("x/a isolated: a new connection to it is denied").isFalse();
                JsonNode before = stats();
                assertThat(s.send(65536)).as("established: TC still lets it through").isEqualTo("ok 65536");
                JsonNode after = stats();
                assertThat(outcome(after, "ESTABLISHED")).as("not redirected any more").isEqualTo(outcome(before, "ESTABLISHED"));
                assertThat(outcome(after, "POLICY")).as("the TC path, because of the policy").isGreaterThan(outcome(before, "POLICY"));

                ok("bpf", "ct", "flush");
                assertThat(s.send(65536)).as("conntrack forgot it: TC drops the client's bytes, XDP does not bypass")
                        .isEqualTo("timeout");
                assertThat(outcome(stats(), "ESTABLISHED")).isEqualTo(outcome(after, "ESTABLISHED"));
            } finally {
                ok("delete", "-f", DENY);
            }
        }
    }

    @Test
    @Order(4)
    void offAgainNothingIsRedirected() throws Exception {
        ok("apply", "-f", OFF);
        awaitRedirect(false);
        long redirected = outcome(stats(), "ESTABLISHED");
        assertThat(check(4 * MIB)).isEqualTo("ok bytes=" + 4 * MIB);
        assertThat(outcome(stats(), "ESTABLISHED")).isEqualTo(redirected);
        JsonNode list = json("prefilter", "list", "--netns", "weir-node1", "-o", "json");
        assertThat(list.toString()).contains("\"redirect\":false");
    }

    /** Waits until x/a's eth0 has GRO on (the agent turns it on after the sync that turned the stage on). */
    private static void awaitGro() throws Exception {
        long deadline = System.nanoTime() + 20_000_000_000L;
        String out = "";
        while (System.nanoTime() < deadline) {
            out = output(SERVER, List.of("ethtool", "-k", "eth0"));
            if (out.contains("generic-receive-offload: on")) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("weir-cni did not turn GRO on for x/a's eth0:\n" + out);
    }

    /** Waits until node1's agent has the redirect stage as wanted (its next sync after an apply). */
    private static void awaitRedirect(boolean on) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        JsonNode list = null;
        while (System.nanoTime() < deadline) {
            list = json("prefilter", "list", "--netns", "weir-node1", "-o", "json");
            if (list.path("redirect").asBoolean(!on) == on && list.path("attachments").has("eth0")) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("node1's prefilter did not get redirect " + on + ": " + list);
    }

    private static JsonNode stats() {
        return json("prefilter", "stats", "--netns", "weir-node1", "-o", "json");
    }

    private static long redirectTotal(JsonNode stats) {
        long n = 0;
        for (JsonNode r : stats.path("redirect")) {
            n += r.path("packets").asLong();
        }
        return n;
    }

    private static long outcome(JsonNode stats, String outcome) {
        for (JsonNode r : stats.path("redirect")) {
            if (r.path("outcome").asText().equals(outcome)) {
                return r.path("packets").asLong();
            }
        }
        return 0;
    }

    private static long reason(JsonNode stats, DropReason reason) {
        for (JsonNode r : stats.path("reasons")) {
            if (r.path("code").asInt() == reason.code() && r.path("verdict").asText().equals(reason.verdict())) {
                return r.path("packets").asLong();
            }
        }
        return 0;
    }

    private static String output(String who, List<String> command) throws Exception {
        Process p = lab.command(who, command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    /** One {@code tcpecho check} from ext to x/a: {@code ok bytes=N} when every byte came back intact. */
    private static String check(long bytes) throws Exception {
        Process p = lab.command("ext", List.of(TCPECHO.toAbsolutePath().toString(), "check", serverAddress,
                Integer.toString(PORT), Long.toString(bytes), "65536")).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    private static InProcess.Result ok(String... args) {
        InProcess.Result r = Cli.run(args);
        assertThat(r.exit()).as(String.join(" ", args) + "\n" + r).isZero();
        return r;
    }

    private static JsonNode json(String... args) {
        try {
            return Json.mapper().readTree(ok(args).out());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
