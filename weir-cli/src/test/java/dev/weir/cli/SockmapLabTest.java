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
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import dev.weir.cli.output.Json;
import dev.weir.datapath.DropReason;
import dev.weir.datapath.endpoint.Counter;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.datapath.sockmap.SockmapMaps;
import dev.weir.ebpf.AttachType;
import dev.weir.ebpf.BpfPerCpuMap;
import dev.weir.ebpf.BpfSystem;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.Features;
import dev.weir.ebpf.LinkInfo;
import dev.weir.ebpf.PinnedObject;
import dev.weir.ebpf.ProgramType;
import dev.weir.lab.Lab;
import dev.weir.lab.model.Family;
import dev.weir.lab.model.PodSpec;
import dev.weir.lab.model.PortSpec;
import dev.weir.testkit.Requirements;

/**
 * Same-node acceleration ({@code weir lab up --sockmap}): TCP between two pods of node1 goes socket to socket
 * both ways and in both families, byte for byte (TC's counters see the handshake, not the payload, while the
 * sockmap counter counts every byte); cross-node and denied connections are not redirected; a policy that
 * denies an established connection stops its redirect and the connection then follows TC as without sockmap
 * (it goes on until conntrack forgets it, then it is cut), which the same steps with sockmap off show too;
 * agents restarted without {@code --sockmap} remove every link, program and map of it, and {@code weir
 * uninstall} then {@code lab down} leave nothing. The client and server are {@code tcpecho} (weir-datapath/src/test/c/tcpecho.c) in
 * the pods' netns and cgroup. The tests run in order on one lab.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SockmapLabTest {

    private static final Path TCPECHO = Path.of("target", "tcpecho");
    private static final Path PINS = Path.of("/sys/fs/bpf/weir");
    private static final String DENY = "src/test/resources/sockmap/y-a-deny-ingress.yaml";
    private static final int PORT = 9000;
    private static final long MIB = 1 << 20;
    /** Servers: two on node1 (x/a, y/a), one on node2 (x/b). */
    private static final List<String> SERVERS = List.of("x/a", "y/a", "x/b");

    private static Lab lab;
    private static final List<Process> servers = new ArrayList<>();

    @BeforeAll
    static void up() throws Exception {
        Requirements.rootWithBpffs();
        for (ProgramType t : List.of(ProgramType.SOCK_OPS, ProgramType.SK_MSG)) {
            var p = Features.programType(t);
            Requirements.require(p.isSupported(), () -> "needs " + t + " programs: " + p.reason());
        }
        Requirements.require(Files.isExecutable(TCPECHO), "needs " + TCPECHO.toAbsolutePath()
                + " (built by weir-cli's compile-test-tcpecho step)");
        InProcess.Result r = Cli.run(LabOptions.up("--sockmap"));
        assertThat(r.exit()).as(r.toString()).isZero();
        lab = Lab.current().orElseThrow();
        startServers();
    }

    @AfterAll
    static void down() {
        servers.forEach(Process::destroyForcibly);
        if (Requirements.isRoot()) {
            Cli.run("lab", "down");
        }
    }

    @Test
    @Order(1)
    void onTheLocalPodsCgroupsAndTheSockhash() throws IOException {
        assertThat(sockmapState()).containsOnly("on");
        for (PodSpec p : lab.model().pods()) {
            long id = (Long) Files.getAttribute(Path.of(lab.status().agents().get(p.ref().toString()).cgroup()), "unix:ino");
            assertThat(BpfSystem.links()).as(p.ref() + ": sock_ops on its cgroup")
                    .filteredOn(l -> l.cgroupId() == id && l.attachType().orElse(null) == AttachType.CGROUP_SOCK_OPS)
                    .hasSize(1);
            assertThat(pins(p.node())).contains(p.namespace() + "_" + p.name() + "_sockops");
        }
        for (String node : List.of("node1", "node2")) {
            assertThat(pins(node)).contains("sk_msg");
            assertThat(PINS.resolve(node).resolve(SockmapMaps.SOCKS)).exists();
        }
        assertThat(BpfSystem.links()).filteredOn(l -> l.type() == LinkInfo.Type.SOCKMAP && linkIds().contains(l.id()))
                .as("an sk_msg link per node").hasSize(2)
                .allMatch(l -> l.attachType().orElse(null) == AttachType.SK_MSG_VERDICT);
    }

    @Test
    @Order(2)
    void sameNodeTcpGoesSocketToSocketBothWaysAndBothFamilies() throws Exception {
        for (String[] pair : List.of(new String[] {"x/a", "y/a"}, new String[] {"y/a", "x/a"})) {
            for (Family family : Family.values()) {
                String what = pair[0] + " -> " + pair[1] + " " + family;
                long redirected = sockmapBytes("node1", DropReason.PASS_SOCKMAP);
                long tc = tcBytes("node1");
                assertThat(check(pair[0], pair[1], family, 8 * MIB, 65536)).as(what).isEqualTo("ok bytes=" + 8 * MIB);
                assertThat(sockmapBytes("node1", DropReason.PASS_SOCKMAP) - redirected)
                        .as(what + ": every byte both ways redirected (and the mode byte)").isGreaterThan(2 * 8 * MIB);
                assertThat(tcBytes("node1") - tc).as(what + ": TC saw the handshake and the close, not the payload")
                        .isLessThan(MIB);
            }
        }
        // small writes, many messages
        long msgs = sockmapPackets("node1", DropReason.PASS_SOCKMAP);
        assertThat(check("x/a", "y/a", Family.IPV4, 1_000_000, 1000)).isEqualTo("ok bytes=1000000");
        assertThat(sockmapPackets("node1", DropReason.PASS_SOCKMAP) - msgs).isGreaterThanOrEqualTo(1000);
    }

    @Test
    @Order(3)
    void crossNodeTcpIsNotRedirected() throws Exception {
        for (Family family : Family.values()) {
            long node1 = sockmapPackets("node1", DropReason.PASS_SOCKMAP);
            long node2 = sockmapPackets("node2", DropReason.PASS_SOCKMAP);
            long tc = tcBytes("node1");
            assertThat(check("x/a", "x/b", family, 4 * MIB, 65536)).isEqualTo("ok bytes=" + 4 * MIB);
            assertThat(sockmapPackets("node1", DropReason.PASS_SOCKMAP)).as(family + " node1").isEqualTo(node1);
            assertThat(sockmapPackets("node2", DropReason.PASS_SOCKMAP)).as(family + " node2").isEqualTo(node2);
            assertThat(tcBytes("node1") - tc).as("through TC").isGreaterThan(2 * 4 * MIB);
        }
    }

    @Test
    @Order(4)
    void aDenyStopsTheRedirectAndTheConnectionFollowsTcAsWithoutSockmap() throws Exception {
        denyScenario(true);
    }

    @Test
    @Order(5)
    void restartedWithoutSockmapTheLinksProgramsAndMapsGo() throws Exception {
        Set<Integer> links = linkIds();
        Set<Integer> programs = programIds();
        assertThat(links).hasSize(lab.model().pods().size() + 2);
        assertThat(programs).hasSize(4);
        InProcess.Result r = Cli.run("lab", "restart-agents");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(sockmapState()).containsOnly("off");
        for (String node : List.of("node1", "node2")) {
            assertThat(PINS.resolve(node).resolve("sockmap-links")).doesNotExist();
            for (String map : SockmapMaps.OWN) {
                assertThat(PINS.resolve(node).resolve(map)).doesNotExist();
            }
        }
        assertThat(BpfSystem.links()).as("detached").noneMatch(l -> links.contains(l.id()));
        assertThat(BpfSystem.programs()).as("unloaded").noneMatch(p -> programs.contains(p.id()));
        assertThat(BpfSystem.maps()).as("no sockhash of weir's").noneMatch(m -> m.name().equals(SockmapMaps.SOCKS));

        long tc = tcBytes("node1");
        assertThat(check("x/a", "y/a", Family.IPV4, 4 * MIB, 65536)).isEqualTo("ok bytes=" + 4 * MIB);
        assertThat(tcBytes("node1") - tc).as("through TC").isGreaterThan(2 * 4 * MIB);
    }

    @Test
    @Order(6)
    void withoutSockmapTheSameDenyStepsHaveTheSameOutcome() throws Exception {
        denyScenario(false);
    }

    @Test
    @Order(7)
    void onAgainThenUninstallAndLabDownLeaveNothing() throws Exception {
        InProcess.Result r = Cli.run("lab", "restart-agents", "--sockmap");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(sockmapState()).containsOnly("on");
        long redirected = sockmapBytes("node1", DropReason.PASS_SOCKMAP);
        assertThat(check("y/a", "x/a", Family.IPV6, MIB, 65536)).isEqualTo("ok bytes=" + MIB);
        assertThat(sockmapBytes("node1", DropReason.PASS_SOCKMAP) - redirected).isGreaterThan(2 * MIB);

        Set<Integer> links = linkIds();
        Set<Integer> programs = programIds();
        Set<Integer> maps = new HashSet<>();
        BpfSystem.maps().stream().filter(m -> SockmapMaps.OWN.contains(m.name())).forEach(m -> maps.add(m.id()));
        assertThat(maps).hasSize(2 * SockmapMaps.OWN.size());
        InProcess.Result u = Cli.run("uninstall");
        assertThat(u.exit()).as(u.toString()).isZero();
        assertThat(PINS).doesNotExist();
        assertThat(BpfSystem.links()).as("uninstall released them").noneMatch(l -> links.contains(l.id()));
        // the running agents still hold their objects; lab down stops them
        InProcess.Result down = Cli.run("lab", "down");
        assertThat(down.exit()).as(down.toString()).isZero();
        assertThat(BpfSystem.programs()).as("programs gone").noneMatch(p -> programs.contains(p.id()));
        assertThat(BpfSystem.maps()).as("maps gone").noneMatch(m -> maps.contains(m.id()));
    }

    /**
     * An established x/a -> y/a connection, then a policy isolating y/a for ingress: new connections are
     * blocked, the established one goes on (conntrack holds it) but, with sockmap, no longer redirected; after
     * {@code weir bpf ct flush} its next message is dropped at TC. The same outcomes with sockmap off.
     */
    private static void denyScenario(boolean sockmap) throws Exception {
        try (TcpEchoSession s = TcpEchoSession.open(lab, "x/a", lab.model().pod(dev.weir.lab.model.PodRef.parse("y/a")).orElseThrow().address(Family.IPV4), PORT)) {
            long redirected = sockmapPackets("node1", DropReason.PASS_SOCKMAP);
            assertThat(s.send(65536)).isEqualTo("ok 65536");
            assertThat(sockmapPackets("node1", DropReason.PASS_SOCKMAP) > redirected).as("redirected").isEqualTo(sockmap);

            InProcess.Result applied = Cli.run("apply", "-f", DENY);
            assertThat(applied.exit()).as(applied.toString()).isZero();
            try {
                redirected = sockmapPackets("node1", DropReason.PASS_SOCKMAP);
                long stack = sockmapPackets("node1", DropReason.PASS);
                assertThat(lab.probe("x/a", "y/a", PortSpec.parse("TCP/80"), Family.IPV4, Lab.PROBE_TIMEOUT).allowed())
                        .as("a new connection is denied").isFalse();
                long established = tcPackets("node1", DropReason.PASS_ESTABLISHED);
                assertThat(s.send(65536)).as("the established one goes on, through TC").isEqualTo("ok 65536");
                assertThat(tcPackets("node1", DropReason.PASS_ESTABLISHED)).isGreaterThan(established);
                assertThat(sockmapPackets("node1", DropReason.PASS_SOCKMAP)).as("not redirected any more").isEqualTo(redirected);
                if (sockmap) {
                    assertThat(sockmapPackets("node1", DropReason.PASS)).as("left to the stack").isGreaterThan(stack);
                }

                assertThat(Cli.run("bpf", "ct", "flush").exit()).isZero();
                assertThat(s.send(65536)).as("conntrack forgot it: the client's next bytes are denied").isEqualTo("timeout");
                assertThat(sockmapPackets("node1", DropReason.PASS_SOCKMAP)).isEqualTo(redirected);
            } finally {
                assertThat(Cli.run("delete", "-f", DENY).exit()).isZero();
            }
        }
    }

    /** One {@code tcpecho check} from a pod to another pod's server; its output line. */
    private static String check(String from, String to, Family family, long bytes, int chunk) throws Exception {
        String address = lab.model().pod(dev.weir.lab.model.PodRef.parse(to)).orElseThrow().address(family);
        Process p = lab.command(from, List.of(TCPECHO.toAbsolutePath().toString(), "check", address,
                Integer.toString(PORT), Long.toString(bytes), Integer.toString(chunk))).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    private static void startServers() throws Exception {
        for (String pod : SERVERS) {
            Process p = lab.command(pod, List.of(TCPECHO.toAbsolutePath().toString(), "server", Integer.toString(PORT)))
                    .redirectErrorStream(true).start();
            servers.add(p);
            String first = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
            assertThat(first).as(pod + " server").isEqualTo("listening " + PORT);
        }
    }

    /** {@code sockmap} of every agent's status. */
    private static List<String> sockmapState() throws IOException {
        InProcess.Result r = Cli.run("status", "-o", "json");
        assertThat(r.exit()).as(r.toString()).isZero();
        List<String> out = new ArrayList<>();
        Json.mapper().readTree(r.out()).path("nodes").forEach(n -> out.add(n.path("sockmap").asText()));
        assertThat(out).hasSize(2);
        return out;
    }

    private static List<String> pins(String node) throws IOException {
        Path dir = PINS.resolve(node).resolve("sockmap-links");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    /** The ids of the links the agents pinned. */
    private static Set<Integer> linkIds() {
        Set<Integer> ids = new HashSet<>();
        try {
            for (String node : List.of("node1", "node2")) {
                for (String pin : pins(node)) {
                    PinnedObject.inspect(PINS.resolve(node).resolve("sockmap-links").resolve(pin)).ifPresent(o -> ids.add(o.id()));
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return ids;
    }

    /** The programs of those links. */
    private static Set<Integer> programIds() {
        Set<Integer> links = linkIds();
        Set<Integer> ids = new HashSet<>();
        BpfSystem.links().stream().filter(l -> links.contains(l.id())).forEach(l -> ids.add(l.programId()));
        return ids;
    }

    private static long sockmapPackets(String node, DropReason reason) {
        return counter(PINS.resolve(node).resolve(SockmapMaps.STATS), reason, false);
    }

    private static long sockmapBytes(String node, DropReason reason) {
        return counter(PINS.resolve(node).resolve(SockmapMaps.STATS), reason, true);
    }

    private static long tcPackets(String node, DropReason reason) {
        return counter(PINS.resolve(node).resolve(EndpointMaps.STATS), reason, false);
    }

    /** Bytes TC passed on the node's pods, every pass reason. */
    private static long tcBytes(String node) {
        long sum = 0;
        for (DropReason r : DropReason.values()) {
            if (r.code() < 128) {
                sum += counter(PINS.resolve(node).resolve(EndpointMaps.STATS), r, true);
            }
        }
        return sum;
    }

    /** Packets or bytes counted for the reason over every CPU; 0 when the map is not pinned. */
    private static long counter(Path pin, DropReason reason, boolean bytes) {
        if (!Files.exists(pin)) {
            return 0;
        }
        try (BpfPerCpuMap<Integer, Counter> m = BpfPerCpuMap.fromPinPerCpu(pin, Codec.u32(), Counter.CODEC)) {
            return m.lookupPerCpu(reason.code()).stream().mapToLong(bytes ? Counter::bytes : Counter::packets).sum();
        }
    }
}
