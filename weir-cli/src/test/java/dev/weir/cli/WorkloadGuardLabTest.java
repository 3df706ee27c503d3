package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import dev.weir.cli.output.Json;
import dev.weir.datapath.DropReason;
import dev.weir.datapath.endpoint.Counter;
import dev.weir.datapath.guard.GuardMaps;
import dev.weir.ebpf.AttachType;
import dev.weir.ebpf.BpfPerCpuMap;
import dev.weir.ebpf.BpfSystem;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.Features;
import dev.weir.ebpf.LinkInfo;
import dev.weir.ebpf.PinnedObject;
import dev.weir.ebpf.Probe;
import dev.weir.lab.Lab;
import dev.weir.lab.model.PodSpec;
import dev.weir.testkit.Requirements;

/**
 * The workload guard with real pods: a {@code WeirWorkloadGuard} on y/a (node1) applied through the agents. A
 * denied {@code connect()} fails with EPERM and no packet leaves the pod (tcpdump in its namespace), an allowed one
 * connects, a denied UDP {@code sendto()} and a {@code bind()} of a port not listed (also port 0, when the kernel's
 * pick is not listed) fail with EPERM, a connect to a
 * ClusterIP is judged on its backend (the socket LB translates first, also after its links were attached again),
 * {@code weir observe} shows the DROPPED flow
 * with its reason, call and rule, {@code toEndpoints} selects destinations by labels, several guards on one pod
 * each refuse what they deny, audit mode lets the calls through as AUDIT flows, deleting the guard restores
 * access and detaches the links, and {@code lab down} leaves nothing. The client is {@code sockclient}
 * (weir-datapath/src/test/c/sockclient.c) in the pod's netns and cgroup. The tests run in order on one lab.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WorkloadGuardLabTest {

    private static final String SERVICE = "../examples/services/01-x-web-clusterip.yaml";
    private static final Path SOCKCLIENT = Path.of("target", "sockclient");
    private static final Path PINS = Path.of("/sys/fs/bpf/weir");
    private static final int EPERM = 1;
    private static final String CLIENT = "y/a";

    private static Lab lab;
    private static Path dir;
    private static String xa;
    private static String xb;
    private static String xc;
    private static Set<Integer> guardLinks = Set.of();

    @BeforeAll
    static void up() throws IOException {
        Requirements.rootWithBpffs();
        Probe hooks = Features.cgroupSockAddr(AttachType.CGROUP_INET6_BIND);
        Requirements.require(hooks.isSupported(), () -> "needs the cgroup sock_addr hooks: " + hooks.reason());
        Requirements.require(Files.isExecutable(SOCKCLIENT), "needs " + SOCKCLIENT.toAbsolutePath()
                + " (built by weir-cli's compile-test-client step)");
        Requirements.require(Files.isExecutable(Path.of("/usr/bin/tcpdump")), "needs tcpdump (scripts/setup.sh)");
        dir = Files.createTempDirectory("weir-guard-lab");
        lab = ServiceLabTest.labWith(SERVICE);
        xa = ip("x", "a");
        xb = ip("x", "b");
        xc = ip("x", "c");
    }

    @AfterAll
    static void down() throws IOException {
        if (Requirements.isRoot()) {
            Cli.run("lab", "down");
        }
        if (dir != null) {
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : s.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }

    @Test
    @Order(1)
    void aDeniedConnectGetsEpermAndNoPacketLeavesThePod() throws Exception {
        apply("enforce");
        guardLinks = guardLinkIds();
        assertThat(guardLinks).as("eight links, on y/a's cgroup only").hasSize(GuardMaps.HOOKS.size());
        long cgroup = (Long) Files.getAttribute(Path.of(lab.status().agents().get(CLIENT).cgroup()), "unix:ino");
        assertThat(BpfSystem.links().stream().filter(l -> guardLinks.contains(l.id())))
                .allMatch(l -> l.type() == LinkInfo.Type.CGROUP && l.cgroupId() == cgroup);
        long refused = guardStat(DropReason.DROP_GUARD_CONNECT);

        List<String> seen = capturedUntilUdp(xb, () -> {
            assertThat(sockclient("tcp", xb, 80)).isEqualTo("err op=connect errno=" + EPERM + " EPERM");
            // the marker: UDP to the same pod is allowed, so the capture ends after it
            assertThat(sockclient("udp", xb, 80)).isEqualTo("ok id=x/b");
        });
        assertThat(seen).as("the capture saw the marker").anyMatch(l -> l.contains("UDP"));
        assertThat(seen).as("no TCP packet to x/b left y/a").noneMatch(l -> l.contains("Flags ["));
        assertThat(guardStat(DropReason.DROP_GUARD_CONNECT) - refused).isEqualTo(1);
    }

    @Test
    @Order(2)
    void anAllowedDestinationConnectsAndOtherPodsAreNotGuarded() throws Exception {
        assertThat(sockclient("tcp", xc, 80)).isEqualTo("ok id=x/c");
        assertThat(sockclient("tcp", xa, 80)).isEqualTo("ok id=x/a");
        assertThat(sockclient("y/b", "tcp", xb, 80, null)).as("y/b is not selected").isEqualTo("ok id=x/b");
    }

    @Test
    @Order(3)
    void aDeniedUdpSendtoAndABindOfAPortNotListedGetEperm() throws Exception {
        long sendmsg = guardStat(DropReason.DROP_GUARD_SENDMSG);
        long bind = guardStat(DropReason.DROP_GUARD_BIND);
        assertThat(sockclient("udp", xc, 81)).isEqualTo("err op=sendto errno=" + EPERM + " EPERM");
        assertThat(sockclient("tcp", xc, 80, "0.0.0.0", "0")).as("port 0: the kernel's pick is not 8080")
                .isEqualTo("err op=bind errno=" + EPERM + " EPERM");
        assertThat(sockclient("tcp", xc, 80, "0.0.0.0", "9090")).isEqualTo("err op=bind errno=" + EPERM + " EPERM");
        assertThat(sockclient("tcp", xc, 80, "0.0.0.0", "8080")).as("8080 is listed").isEqualTo("ok id=x/c");
        assertThat(sockclient("udp", xc, 80)).as("sendto() on an unbound socket: its implicit bind is not judged")
                .isEqualTo("ok id=x/c");
        assertThat(sockclient("listen", "0.0.0.0", 0)).as("listen() without bind(): nor is this one")
                .isEqualTo("ok id=listen");
        assertThat(guardStat(DropReason.DROP_GUARD_SENDMSG) - sendmsg).isEqualTo(1);
        assertThat(guardStat(DropReason.DROP_GUARD_BIND) - bind).isEqualTo(2);
    }

    @Test
    @Order(4)
    void aClusterIpIsJudgedOnTheBackendTheSocketLbChose() throws Exception {
        // x/b's TCP 80 is denied: the service's connects that land on x/b are refused, the others answer
        Set<String> outcomes = new HashSet<>();
        for (int i = 0; i < 40 && !outcomes.contains("err op=connect errno=1 EPERM"); i++) {
            outcomes.add(sockclient("tcp", "10.96.0.10", 80));
        }
        assertThat(outcomes).isSubsetOf("ok id=x/a", "ok id=x/c", "err op=connect errno=1 EPERM")
                .contains("err op=connect errno=1 EPERM");
    }

    @Test
    @Order(5)
    void observeShowsTheDroppedFlowWithItsReasonCallAndRule() throws Exception {
        JsonNode connect = flow("DROPPED", "connect()");
        assertThat(connect.path("drop_reason").asInt()).isEqualTo(DropReason.DROP_GUARD_CONNECT.code());
        assertThat(connect.path("drop_reason_desc").asText()).isEqualTo("GUARD_CONNECT");
        assertThat(connect.path("Summary").asText()).isEqualTo("TCP connect() refused by WeirWorkloadGuard y/guard-a spec.egress[0]");
        assertThat(connect.path("source").path("pod_name").asText()).isEqualTo("a");
        assertThat(connect.path("IP").path("destination").asText()).isEqualTo(xb);
        assertThat(connect.path("egress_denied_by").get(0).path("name").asText()).isEqualTo("guard-a");
        JsonNode sendto = flow("DROPPED", "sendmsg()");
        assertThat(sendto.path("Summary").asText()).isEqualTo("UDP sendmsg() refused by WeirWorkloadGuard y/guard-a spec.egress[1]");
        JsonNode bind = flow("DROPPED", "bind()");
        assertThat(bind.path("drop_reason_desc").asText()).isEqualTo("GUARD_BIND");
        assertThat(bind.path("Summary").asText()).isEqualTo("TCP bind() refused by WeirWorkloadGuard y/guard-a spec.bind");
        JsonNode bind0 = flow("DROPPED", "port 0");
        assertThat(bind0.path("drop_reason").asInt()).isEqualTo(DropReason.DROP_GUARD_BIND.code());
        assertThat(bind0.path("Summary").asText()).isEqualTo("TCP bind() of port 0 refused by WeirWorkloadGuard y/guard-a spec.bind");
        assertThat(bind0.path("l4").path("TCP").path("source_port").asInt()).as("the port the kernel picked").isNotIn(0, 8080);
        InProcess.Result compact = Cli.run("observe", "--verdict", "DROPPED", "--from-pod", CLIENT, "--last", "0");
        assertThat(compact.out()).contains("DROPPED (TCP connect() refused by WeirWorkloadGuard y/guard-a spec.egress[0])");
    }

    @Test
    @Order(6)
    void theSocketLbAttachedAgainRunsBeforeTheGuardAgain() throws Exception {
        InProcess.Result off = Cli.run("lab", "restart-agents", "--socket-lb", "off");
        assertThat(off.exit()).as(off.toString()).isZero();
        // TC translates now: the guard sees the ClusterIP, which it does not deny, whichever backend TC picks
        for (int i = 0; i < 10; i++) {
            assertThat(sockclient("tcp", "10.96.0.10", 80)).startsWith("ok id=x/");
        }
        InProcess.Result on = Cli.run("lab", "restart-agents", "--socket-lb", "on");
        assertThat(on.exit()).as(on.toString()).isZero();
        assertThat(guardLinkIds()).hasSize(GuardMaps.HOOKS.size());
        aClusterIpIsJudgedOnTheBackendTheSocketLbChose();
    }

    @Test
    @Order(7)
    void auditModeLetsTheCallsThroughAndShowsAuditFlows() throws Exception {
        apply("audit");
        long audit = guardStat(DropReason.PASS_AUDIT);
        assertThat(sockclient("tcp", xb, 80)).isEqualTo("ok id=x/b");
        assertThat(sockclient("tcp", xc, 80, "0.0.0.0", "9091")).isEqualTo("ok id=x/c");
        assertThat(sockclient("tcp", xc, 80, "0.0.0.0", "0")).isEqualTo("ok id=x/c");
        assertThat(guardStat(DropReason.PASS_AUDIT) - audit).as("each call reported once").isEqualTo(3);
        assertThat(flow("AUDIT", "connect()").path("Summary").asText())
                .isEqualTo("TCP connect() would be refused (audit) by WeirWorkloadGuard y/guard-a spec.egress[0]");
        assertThat(flow("AUDIT", "bind()").path("source").path("pod_name").asText()).isEqualTo("a");
    }

    @Test
    @Order(8)
    void deletingTheGuardRestoresAccessAndDetachesItsLinks() throws Exception {
        apply("enforce");
        assertThat(sockclient("tcp", xb, 80)).startsWith("err op=connect");
        Set<Integer> attached = guardLinkIds();
        InProcess.Result r = Cli.run("delete", "-f", dir.resolve("guard.yaml").toString());
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(sockclient("tcp", xb, 80)).isEqualTo("ok id=x/b");
        assertThat(sockclient("tcp", xc, 80, "0.0.0.0", "9090")).isEqualTo("ok id=x/c");
        assertThat(guardLinkIds()).isEmpty();
        assertThat(BpfSystem.links()).as("detached").noneMatch(l -> attached.contains(l.id()));
        try (var pods = dev.weir.ebpf.BpfMap.fromPin(PINS.resolve("node1").resolve(GuardMaps.PODS), Codec.u64(),
                Codec.bytes((int) dev.weir.datapath.guard.GuardVal.LAYOUT.byteSize()))) {
            assertThat(pods.keys()).as("guard_pods emptied").isEmpty();
        }
    }

    @Test
    @Order(9)
    void toEndpointsDeniesThePodsItSelectsByLabels() throws Exception {
        Path file = dir.resolve("peers.yaml");
        Files.writeString(file, """
                apiVersion: weir.dev/v1
                kind: WeirWorkloadGuard
                metadata: {name: peers, namespace: y}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  egress:
                  - {action: deny, toEndpoints: {podSelector: {matchLabels: {pod: b}}}, protocol: TCP}
                  - {action: deny, toEndpoints: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: x}},
                                                 podSelector: {matchExpressions: [{key: pod, operator: In, values: [c]}]}},
                     protocol: TCP, port: 80}
                """);
        InProcess.Result r = Cli.run("apply", "-f", file.toString());
        assertThat(r.exit()).as(r.toString()).isZero();
        try {
            assertThat(sockclient("tcp", xc, 80)).as("x/c by labels in namespace x").isEqualTo("err op=connect errno=" + EPERM + " EPERM");
            assertThat(sockclient("tcp", xb, 80)).as("x/b: pod=b, but the first rule looks in y only").isEqualTo("ok id=x/b");
            assertThat(sockclient("tcp", xa, 80)).isEqualTo("ok id=x/a");
            assertThat(sockclient("tcp", ip("y", "b"), 80)).as("y/b by labels in the guard's namespace")
                    .startsWith("err op=connect errno=" + EPERM);
            JsonNode f = flow("DROPPED", "connect()");
            assertThat(f.path("Summary").asText()).isEqualTo("TCP connect() refused by WeirWorkloadGuard y/peers spec.egress[0]");
            assertThat(f.path("destination").path("pod_name").asText()).isEqualTo("b");
        } finally {
            assertThat(Cli.run("delete", "-f", file.toString()).exit()).isZero();
        }
        assertThat(sockclient("tcp", xc, 80)).isEqualTo("ok id=x/c");
    }

    @Test
    @Order(10)
    void severalGuardsOnOnePodEachRefuseWhatTheyDeny() throws Exception {
        Path file = dir.resolve("several.yaml");
        String guard = """
                apiVersion: weir.dev/v1
                kind: WeirWorkloadGuard
                metadata: {name: %s, namespace: y}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  mode: %s
                  egress: [{action: deny, toCIDR: %s/32, protocol: TCP, port: 80}]
                """;
        Files.writeString(file, guard.formatted("one", "enforce", xb) + "---\n" + guard.formatted("two", "enforce", xc)
                + "---\n" + guard.formatted("three", "audit", xa));
        InProcess.Result r = Cli.run("apply", "-f", file.toString());
        assertThat(r.exit()).as(r.toString()).isZero();
        try {
            assertThat(guardLinkIds()).as("one set of links for the pod").hasSize(GuardMaps.HOOKS.size());
            assertThat(sockclient("tcp", xb, 80)).isEqualTo("err op=connect errno=" + EPERM + " EPERM");
            assertThat(flow("DROPPED", "connect()").path("Summary").asText())
                    .isEqualTo("TCP connect() refused by WeirWorkloadGuard y/one spec.egress[0]");
            assertThat(sockclient("tcp", xc, 80)).isEqualTo("err op=connect errno=" + EPERM + " EPERM");
            assertThat(flow("DROPPED", "connect()").path("Summary").asText())
                    .isEqualTo("TCP connect() refused by WeirWorkloadGuard y/two spec.egress[0]");
            long audit = guardStat(DropReason.PASS_AUDIT);
            assertThat(sockclient("tcp", xa, 80)).as("only the auditing guard refuses x/a").isEqualTo("ok id=x/a");
            assertThat(guardStat(DropReason.PASS_AUDIT) - audit).isEqualTo(1);
            assertThat(flow("AUDIT", "connect()").path("Summary").asText())
                    .isEqualTo("TCP connect() would be refused (audit) by WeirWorkloadGuard y/three spec.egress[0]");
        } finally {
            assertThat(Cli.run("delete", "-f", file.toString()).exit()).isZero();
        }
        assertThat(sockclient("tcp", xc, 80)).isEqualTo("ok id=x/c");
        assertThat(guardLinkIds()).isEmpty();
    }

    @Test
    @Order(11)
    void theExampleDeniesOneDestination() throws Exception {
        String example = "../examples/guards/01-deny-metadata.yaml";
        InProcess.Result r = Cli.run("apply", "-f", example);
        assertThat(r.exit()).as(r.toString()).isZero();
        try {
            assertThat(sockclient("x/a", "tcp", "169.254.169.254", 80, null)).isEqualTo("err op=connect errno=" + EPERM + " EPERM");
            assertThat(sockclient("x/a", "tcp", xc, 80, null)).isEqualTo("ok id=x/c");
            assertThat(flow("x/a", "DROPPED", "connect()").path("Summary").asText())
                    .isEqualTo("TCP connect() refused by WeirWorkloadGuard x/deny-metadata spec.egress[0]");
        } finally {
            assertThat(Cli.run("delete", "-f", example).exit()).isZero();
        }
    }

    @Test
    @Order(12)
    void labDownLeavesNothing() throws Exception {
        apply("enforce");
        Set<Integer> attached = guardLinkIds();
        assertThat(attached).hasSize(GuardMaps.HOOKS.size());
        InProcess.Result down = Cli.run("lab", "down");
        assertThat(down.exit()).as(down.toString()).isZero();
        assertThat(BpfSystem.links()).as("lab down released them").noneMatch(l -> attached.contains(l.id()));
        assertThat(PINS.resolve("node1")).doesNotExist();
        assertThat(PINS.resolve("node2")).doesNotExist();
    }

    /** Applies the guard of y/a in this mode. */
    private static void apply(String mode) throws IOException {
        Path file = dir.resolve("guard.yaml");
        Files.writeString(file, """
                apiVersion: weir.dev/v1
                kind: WeirWorkloadGuard
                metadata: {name: guard-a, namespace: y}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  mode: %s
                  egress:
                  - {action: deny, toCIDR: %s/32, protocol: TCP, port: 80}
                  - {action: deny, toCIDR: %s/32, protocol: UDP, port: 81}
                  bind:
                  - {port: 8080, protocol: TCP}
                """.formatted(mode, xb, xc));
        InProcess.Result r = Cli.run("apply", "-f", file.toString());
        assertThat(r.exit()).as(r.toString()).isZero();
    }

    /** The newest flow of the client with this verdict whose summary names the call (a few reads: the ring is read in the background). */
    private static JsonNode flow(String verdict, String call) throws Exception {
        return flow(CLIENT, verdict, call);
    }

    private static JsonNode flow(String pod, String verdict, String call) throws Exception {
        for (int i = 0; i < 50; i++) {
            InProcess.Result r = Cli.run("observe", "--verdict", verdict, "--from-pod", pod, "--last", "0", "-o", "json");
            assertThat(r.exit()).as(r.toString()).isZero();
            JsonNode found = null;
            for (String line : r.out().lines().filter(l -> !l.isBlank()).toList()) {
                JsonNode f = Json.mapper().readTree(line);
                if (f.path("Summary").asText().contains(" " + call + " ")) {
                    found = f;
                }
            }
            if (found != null) {
                return found;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no " + verdict + " flow of " + pod + " for " + call);
    }

    /**
     * tcpdump's lines for traffic to or from {@code host} in the client pod's namespace while {@code run} runs,
     * up to and with the first UDP packet (which {@code run} must send last).
     */
    private static List<String> capturedUntilUdp(String host, ThrowingRunnable run) throws Exception {
        Process dump = lab.command(CLIENT, List.of("tcpdump", "-i", "any", "-n", "-l", "host " + host)).start();
        try {
            BufferedReader err = new BufferedReader(new InputStreamReader(dump.getErrorStream(), StandardCharsets.UTF_8));
            for (String l = err.readLine(); l != null && !l.contains("listening on"); l = err.readLine()) {
                // tcpdump's banner before it captures
            }
            BufferedReader out = new BufferedReader(new InputStreamReader(dump.getInputStream(), StandardCharsets.UTF_8));
            CompletableFuture<List<String>> lines = CompletableFuture.supplyAsync(() -> {
                List<String> seen = new ArrayList<>();
                try {
                    for (String l = out.readLine(); l != null; l = out.readLine()) {
                        seen.add(l);
                        if (l.contains("UDP")) {
                            break;
                        }
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return seen;
            });
            run.run();
            return lines.get(60, TimeUnit.SECONDS);
        } finally {
            dump.destroy();
            dump.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static String sockclient(String mode, String address, int port, String... bind) throws Exception {
        return sockclient(CLIENT, mode, address, port, bind.length == 0 ? null : bind);
    }

    /** One try of {@code sockclient MODE ADDR PORT 1 [BINDADDR BINDPORT]} in the pod; its line. */
    private static String sockclient(String pod, String mode, String address, int port, String[] bind) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(SOCKCLIENT.toAbsolutePath().toString(), mode, address,
                Integer.toString(port), "1"));
        if (bind != null) {
            cmd.addAll(List.of(bind));
        }
        Process p = lab.command(pod, cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        // "ok id=x/b peer=10.1.0.20:80 local=40000" -> "ok id=x/b"
        return out.startsWith("ok ") ? out.substring(0, out.indexOf(" peer=")) : out;
    }

    private static String ip(String ns, String name) {
        return lab.model().pods().stream().filter(p -> p.namespace().equals(ns) && p.name().equals(name))
                .map(PodSpec::ipv4).findFirst().orElseThrow();
    }

    /** The ids of the guard links pinned on node1 (y/a's node). */
    private static Set<Integer> guardLinkIds() throws IOException {
        Path d = PINS.resolve("node1").resolve("guard-links");
        Set<Integer> ids = new HashSet<>();
        if (!Files.isDirectory(d)) {
            return ids;
        }
        try (Stream<Path> s = Files.list(d)) {
            for (Path pin : s.toList()) {
                PinnedObject.inspect(pin).ifPresent(o -> ids.add(o.id()));
            }
        }
        return ids;
    }

    /** The guard's counter for the reason on node1, over every CPU. */
    private static long guardStat(DropReason reason) {
        Path pin = PINS.resolve("node1").resolve(GuardMaps.STATS);
        try (BpfPerCpuMap<Integer, Counter> m = BpfPerCpuMap.fromPinPerCpu(pin, Codec.u32(), Counter.CODEC)) {
            return m.lookupPerCpu(reason.code()).stream().mapToLong(Counter::packets).sum();
        }
    }
}
