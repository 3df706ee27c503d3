package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
import dev.weir.datapath.lb.LbMaps;
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
 * Socket-level service translation attached by the agents: a pod's {@code connect()}/{@code sendto()} to a
 * ClusterIP goes straight to a backend (the socket counters rise, TC's service DNAT counter does not), the
 * application sees the service address ({@code getpeername()}, {@code recvfrom()}), the hooks sit on the
 * local pods' cgroups only; restarting the agents with {@code --socket-lb off} detaches them and TC
 * translates the same requests; {@code weir uninstall} and {@code lab down} leave no link or pin behind.
 * The probe is {@code sockclient} (weir-datapath/src/test/c/sockclient.c) run in the pod's netns and cgroup,
 * as {@code weir lab exec} runs it. The tests run in order on one lab.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SocketLbLabTest {

    private static final String SERVICE = "../examples/services/01-x-web-clusterip.yaml";
    private static final Set<String> BACKENDS = Set.of("x/a", "x/b", "x/c");
    private static final Path SOCKCLIENT = Path.of("target", "sockclient");
    private static final Path PINS = Path.of("/sys/fs/bpf/weir");
    private static final Map<String, String> FRONTENDS = Map.of("10.96.0.10", "10.96.0.10:80",
            "fd00:10:96::a", "[fd00:10:96::a]:80");
    /** A client on each node: y/a on node1, y/b on node2. */
    private static final Map<String, String> CLIENTS = Map.of("y/a", "node1", "y/b", "node2");
    private static final Pattern OK = Pattern.compile("ok id=(\\S*) peer=(\\S+) local=\\d+");

    private static Lab lab;

    @BeforeAll
    static void up() {
        Requirements.rootWithBpffs();
        Probe hooks = Features.cgroupSockAddr(AttachType.CGROUP_INET6_GETPEERNAME);
        Requirements.require(hooks.isSupported(), () -> "needs the cgroup sock_addr hooks: " + hooks.reason());
        Requirements.require(Files.isExecutable(SOCKCLIENT), "needs " + SOCKCLIENT.toAbsolutePath()
                + " (built by weir-cli's compile-test-client step)");
        lab = ServiceLabTest.labWith(SERVICE);
    }

    @AfterAll
    static void down() {
        if (Requirements.isRoot()) {
            Cli.run("lab", "down");
        }
    }

    @Test
    @Order(1)
    void onByDefaultAndOnlyOnTheLocalPodsCgroups() throws IOException {
        assertThat(serviceLb()).containsOnly("socket+tc");
        Set<Long> podCgroups = new HashSet<>();
        for (PodSpec p : lab.model().pods()) {
            Path cgroup = Path.of(lab.status().agents().get(p.ref().toString()).cgroup());
            long id = (Long) Files.getAttribute(cgroup, "unix:ino");
            podCgroups.add(id);
            List<LinkInfo> on = BpfSystem.links().stream().filter(l -> l.cgroupId() == id).toList();
            assertThat(on).as(p.ref() + ": one link per hook").hasSize(LbMaps.SOCK_HOOKS.size());
            assertThat(on).extracting(l -> l.attachType().orElseThrow())
                    .containsExactlyInAnyOrderElementsOf(LbMaps.SOCK_HOOKS.stream().map(LbMaps.Hook::attachType).toList());
            assertThat(pins(p.node())).as(p.ref() + " pinned on its own node")
                    .contains(p.namespace() + "_" + p.name() + "_connect4", p.namespace() + "_" + p.name() + "_getpeer6");
        }
        // and on each node's own cgroup (host-reachable services), nowhere else
        for (String node : List.of("node1", "node2")) {
            Path cgroup = lab.state().paths().cgroupOf(dev.weir.lab.host.LabPaths.nodeKey(node));
            podCgroups.add((Long) Files.getAttribute(cgroup, "unix:ino"));
            assertThat(pins(node)).contains("host_connect4", "host_getpeer6");
        }
        long root = (Long) Files.getAttribute(Path.of(lab.status().paths().cgroup()).getParent(), "unix:ino");
        Set<Integer> pinned = linkIds();
        assertThat(BpfSystem.links().stream().filter(l -> pinned.contains(l.id())))
                .as("the agents' links are on pod and node cgroups only").hasSize(pinned.size())
                .allMatch(l -> podCgroups.contains(l.cgroupId()));
        assertThat(sockLinks()).as("no socket-LB program on the cgroup2 root").noneMatch(l -> l.cgroupId() == root);
        int pods = lab.model().pods().size();
        assertThat(pins("node1").size() + pins("node2").size()).isEqualTo((pods + 2) * LbMaps.SOCK_HOOKS.size());
    }

    @Test
    @Order(2)
    void tcpAndUdpToAClusterIpGoStraightToABackendAndShowTheServiceAddress() throws Exception {
        everyRequestTranslatedAt(true);
    }

    @Test
    @Order(3)
    void restartedWithSocketLbOffTheLinksGoAndTcTranslates() throws Exception {
        Set<Integer> before = linkIds();
        assertThat(before).isNotEmpty();
        InProcess.Result r = Cli.run("lab", "restart-agents", "--socket-lb", "off");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(serviceLb()).containsOnly("tc (socket LB off)");
        assertThat(pins("node1")).isEmpty();
        assertThat(pins("node2")).isEmpty();
        assertThat(BpfSystem.links()).as("detached").noneMatch(l -> before.contains(l.id()));
        everyRequestTranslatedAt(false);
    }

    @Test
    @Order(4)
    void onAgainAttachesAndARestartWithTheSameSettingKeepsTheLinks() throws Exception {
        InProcess.Result r = Cli.run("lab", "restart-agents", "--socket-lb", "on");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(serviceLb()).containsOnly("socket+tc");
        Set<Integer> attached = linkIds();
        assertThat(attached).hasSize((lab.model().pods().size() + 2) * LbMaps.SOCK_HOOKS.size());
        long sockDnat = sockStat("node1", DropReason.PASS_SERVICE_DNAT);
        assertThat(sockclient("y/a", "tcp", "10.96.0.10").peer()).isEqualTo("10.96.0.10:80");
        assertThat(sockStat("node1", DropReason.PASS_SERVICE_DNAT)).isGreaterThan(sockDnat);

        assertThat(Cli.run("lab", "restart-agents", "--socket-lb", "on").exit()).isZero();
        assertThat(linkIds()).as("a restart keeps the pinned links").isEqualTo(attached);
    }

    @Test
    @Order(5)
    void uninstallDetachesThemAndLabDownLeavesNothing() throws Exception {
        Set<Integer> attached = linkIds();
        InProcess.Result r = Cli.run("uninstall");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("detached cgroup link");
        assertThat(BpfSystem.links()).as("uninstall released them").noneMatch(l -> attached.contains(l.id()));
        assertThat(PINS).doesNotExist();

        assertThat(Cli.run("lab", "restart-agents").exit()).isZero();
        Set<Integer> again = linkIds();
        assertThat(again).hasSize(attached.size());
        InProcess.Result down = Cli.run("lab", "down");
        assertThat(down.exit()).as(down.toString()).isZero();
        assertThat(BpfSystem.links()).as("lab down released them").noneMatch(l -> again.contains(l.id()));
        assertThat(PINS.resolve("node1")).doesNotExist();
        assertThat(PINS.resolve("node2")).doesNotExist();
    }

    /**
     * TCP, UDP {@code sendto()} and connected UDP to both frontends from a pod on each node: answered by a
     * backend, the frontend shown to the application, translated at the socket (its DNAT and reverse
     * counters rise, TC's DNAT counter does not) or, with {@code socket} false, at TC (the reverse).
     */
    private static void everyRequestTranslatedAt(boolean socket) throws Exception {
        for (var client : CLIENTS.entrySet()) {
            for (String frontend : FRONTENDS.keySet()) {
                for (String mode : List.of("tcp", "udp", "udpc")) {
                    String what = client.getKey() + " " + mode + " " + frontend;
                    String node = client.getValue();
                    long sockDnat = sockStat(node, DropReason.PASS_SERVICE_DNAT);
                    long sockRevnat = sockStat(node, DropReason.PASS_SERVICE_REVNAT);
                    long tcDnat = tcStat(node, DropReason.PASS_SERVICE_DNAT);
                    Reply r = sockclient(client.getKey(), mode, frontend);
                    assertThat(r.backend()).as(what).isIn(BACKENDS);
                    assertThat(r.peer()).as(what + ": getpeername()/recvfrom() show the frontend").isEqualTo(FRONTENDS.get(frontend));
                    long sock = sockStat(node, DropReason.PASS_SERVICE_DNAT) - sockDnat;
                    long tc = tcStat(node, DropReason.PASS_SERVICE_DNAT) - tcDnat;
                    if (socket) {
                        assertThat(sock).as(what + ": translated at the socket").isPositive();
                        assertThat(sockStat(node, DropReason.PASS_SERVICE_REVNAT)).as(what + ": restored at the socket").isGreaterThan(sockRevnat);
                        assertThat(tc).as(what + ": TC saw the backend already").isZero();
                    } else {
                        assertThat(tc).as(what + ": translated at TC").isPositive();
                        assertThat(sock).as(what + ": not at the socket").isZero();
                    }
                }
            }
        }
    }

    /** A backend's answer and the peer address the application saw. */
    private record Reply(String backend, String peer) {
    }

    /** One try of {@code sockclient MODE ADDR 80 1} inside the pod (its netns and cgroup). */
    private static Reply sockclient(String pod, String mode, String address) throws Exception {
        List<String> cmd = List.of(SOCKCLIENT.toAbsolutePath().toString(), mode, address, "80", "1");
        Process p = lab.command(pod, cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        Matcher m = OK.matcher(out);
        assertThat(m.matches()).as(pod + " " + cmd + " -> exit " + p.exitValue() + ": " + out).isTrue();
        return new Reply(m.group(1), m.group(2));
    }

    /** {@code serviceLb} of every agent's status. */
    private static List<String> serviceLb() throws IOException {
        InProcess.Result r = Cli.run("status", "-o", "json");
        assertThat(r.exit()).as(r.toString()).isZero();
        List<String> out = new ArrayList<>();
        Json.mapper().readTree(r.out()).path("nodes").forEach(n -> out.add(n.path("serviceLb").asText()));
        assertThat(out).hasSize(2);
        return out;
    }

    private static List<String> pins(String node) throws IOException {
        Path dir = PINS.resolve(node).resolve("sock-links");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    /** Cgroup links whose program is one of sock_lb's (names are cut to 15 characters by the kernel). */
    private static List<LinkInfo> sockLinks() {
        Set<String> names = new HashSet<>();
        LbMaps.SOCK_HOOKS.forEach(h -> names.add(h.program()));
        Set<Integer> programs = new HashSet<>();
        BpfSystem.programs().stream().filter(p -> names.contains(p.name())).forEach(p -> programs.add(p.id()));
        return BpfSystem.links().stream().filter(l -> l.type() == LinkInfo.Type.CGROUP)
                .filter(l -> programs.contains(l.programId())).toList();
    }

    /** The ids of the links the agents pinned (other tests may have socket-LB programs of their own). */
    private static Set<Integer> linkIds() throws IOException {
        Set<Integer> ids = new HashSet<>();
        for (String node : List.of("node1", "node2")) {
            for (String pin : pins(node)) {
                PinnedObject.inspect(PINS.resolve(node).resolve("sock-links").resolve(pin)).ifPresent(o -> ids.add(o.id()));
            }
        }
        return ids;
    }

    private static long sockStat(String node, DropReason reason) {
        return counter(PINS.resolve(node).resolve(LbMaps.SOCK_STATS), reason);
    }

    private static long tcStat(String node, DropReason reason) {
        return counter(PINS.resolve(node).resolve(EndpointMaps.STATS), reason);
    }

    /** Packets counted for the reason over every CPU; 0 when the map is not pinned. */
    private static long counter(Path pin, DropReason reason) {
        if (!Files.exists(pin)) {
            return 0;
        }
        try (BpfPerCpuMap<Integer, Counter> m = BpfPerCpuMap.fromPinPerCpu(pin, Codec.u32(), Counter.CODEC)) {
            return m.lookupPerCpu(reason.code()).stream().mapToLong(Counter::packets).sum();
        }
    }
}
