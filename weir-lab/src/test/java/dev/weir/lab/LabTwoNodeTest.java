package dev.weir.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import dev.weir.lab.host.Shell;
import dev.weir.lab.model.Family;
import dev.weir.lab.model.PodRef;
import dev.weir.lab.model.PortSpec;
import dev.weir.lab.probe.MatrixResult;
import dev.weir.lab.probe.ProbeResult;
import dev.weir.testkit.Requirements;

/** The standard two-node lab, brought up once for the class: real namespaces, agents and traffic. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LabTwoNodeTest {

    private static final Duration TIMEOUT = Lab.PROBE_TIMEOUT;
    private static Lab lab;

    @BeforeAll
    static void up() {
        Requirements.root();
        long start = System.nanoTime();
        lab = Lab.up(LabConfig.defaults(), System.out::println);
        System.out.println("lab up took " + (System.nanoTime() - start) / 1_000_000 + " ms");
    }

    @AfterAll
    static void down() {
        if (Requirements.isRoot()) {
            Lab.down(System.out::println);
        }
    }

    @Test
    void fullMatrixIsAllowedOnIpv4() {
        MatrixResult m = lab.matrix(Family.IPV4, PortSpec.SERVED, TIMEOUT);
        System.out.println("IPv4 matrix took " + m.millis() + " ms");
        assertThat(m.truth()).hasSize(4);
        m.truth().values().forEach(rows -> rows.values().forEach(row -> assertThat(row).hasSize(8)));
        assertThat(m.blockedCount()).as(m.truth().toString()).isZero();
    }

    @Test
    void fullMatrixIsAllowedOnIpv6() {
        MatrixResult m = lab.matrix(Family.IPV6, PortSpec.SERVED, TIMEOUT);
        assertThat(m.blockedCount()).as(m.truth().toString()).isZero();
    }

    @Test
    void probeReportsTheBackendAcrossNodes() {
        ProbeResult r = lab.probe("x/a", "y/b", PortSpec.parse("UDP/81"), null, TIMEOUT);
        assertThat(r.allowed()).isTrue();
        assertThat(r.backend()).isEqualTo("y/b");
        assertThat(r.summary()).isEqualTo("allowed (y/b)");
        assertThat(lab.probe("z/c", "10.244.1.30", PortSpec.parse("TCP/80"), null, TIMEOUT).backend()).isEqualTo("x/c");
    }

    @Test
    void tcp81SeesThePodsOwnAddressNoNat() {
        assertThat(lab.probe("x/a", "y/b", PortSpec.parse("TCP/81"), Family.IPV4, TIMEOUT).clientAddress())
                .isEqualTo("10.244.1.10");
        assertThat(lab.probe("x/a", "y/b", PortSpec.parse("TCP/81"), Family.IPV6, TIMEOUT).clientAddress())
                .isEqualTo("fd00:10:244:1::10");
        assertThat(lab.probe("z/b", "z/c", PortSpec.parse("TCP/81"), Family.IPV6, TIMEOUT).reply())
                .isEqualTo("z/c fd00:10:244:3::20");
    }

    @Test
    void unusedPortIsBlockedQuickly() {
        ProbeResult r = lab.probe("x/a", "x/b", PortSpec.parse("TCP/8080"), null, TIMEOUT);
        assertThat(r.allowed()).isFalse();
        assertThat(r.reason()).isEqualTo("refused");
        assertThat(r.summary()).isEqualTo("blocked");
    }

    @Test
    void extReachesNodesButNotPods() {
        ProbeResult node = lab.probe("ext", "192.168.100.2", PortSpec.parse("TCP/80"), null, TIMEOUT);
        assertThat(node.reason()).as("a node answers (with a reset)").isEqualTo("refused");
        ProbeResult node6 = lab.probe("ext", "fd00:192:168:100::1", PortSpec.parse("TCP/80"), null, TIMEOUT);
        assertThat(node6.reason()).isEqualTo("refused");
        for (Family f : Family.values()) {
            ProbeResult pod = lab.probe("ext", "x/a", PortSpec.parse("TCP/80"), f, TIMEOUT);
            assertThat(pod.allowed()).isFalse();
            assertThat(pod.reason()).startsWith("unreachable");
        }
    }

    @Test
    void execRunsInThePodsNetnsAndCgroupAndReturnsTheExitCode() throws Exception {
        assertThat(lab.exec("x/a", List.of("sh", "-c", "exit 7"))).isEqualTo(7);
        String out = run("y/c", "cat /proc/self/cgroup; ip -br addr show dev eth0");
        assertThat(out).contains("0::/weir-lab/y-c").contains("10.244.2.30/32").contains("fd00:10:244:2::30/128");
        assertThat(run("ext", "ip -br addr show dev eth0")).contains("192.168.100.200/24");
    }

    @Test
    void agentsRunInTheirPodsNetnsAndCgroup() throws IOException {
        AgentState agent = lab.status().agents().get("x/b");
        assertThat(agent.alive()).isTrue();
        Path proc = Path.of("/proc", String.valueOf(agent.pid()));
        assertThat(Files.readString(proc.resolve("cgroup"))).contains("0::/weir-lab/x-b");
        Object nsInode = Files.getAttribute(Path.of("/run/netns/weir-pod-x-b"), "unix:ino");
        assertThat(Files.readSymbolicLink(proc.resolve("ns/net")).toString()).isEqualTo("net:[" + nsInode + "]");
        assertThat(lab.status().agents()).hasSize(10).allSatisfy((id, a) -> assertThat(a.alive()).isTrue());
    }

    @Test
    void answersTopologyQuestions() {
        assertThat(lab.netnsOf("node1")).isEqualTo("weir-node1");
        assertThat(lab.interfacesOf("node1")).containsExactly("eth0", "lxc-x-a", "lxc-x-c", "lxc-y-a", "lxc-z-a");
        assertThat(lab.nodeOf(PodRef.parse("y/c")).name()).isEqualTo("node2");
        String links = Shell.run("ip", "-n", "weir-node1", "-br", "link");
        assertThat(links).contains("lxc-x-a@", "eth0@");
        assertThatThrownBy(() -> lab.probe("x/q", "y/b", PortSpec.parse("TCP/80"), null, TIMEOUT))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no pod x/q in the lab (pods: x/a, x/b, x/c, y/a, y/b, y/c, z/a, z/b, z/c)");
    }

    /** Cuts x/b, y/b and z/b off (their veths down): 42 of 72 pairs per port time out. */
    @Test
    @Order(Integer.MAX_VALUE - 1)
    void matrixIsFastWhenHalfIsBlocked() {
        for (String pod : List.of("x/b", "y/b", "z/b")) {
            var spec = lab.pod(PodRef.parse(pod));
            Shell.run("ip", "-n", lab.netnsOf(spec.node()), "link", "set", spec.hostInterface(), "down");
        }
        MatrixResult m = lab.matrix(Family.IPV4, PortSpec.SERVED, TIMEOUT);
        System.out.println("half-blocked matrix took " + m.millis() + " ms");
        assertThat(m.blockedCount()).isEqualTo(4 * 42);
        assertThat(m.truth().get("TCP/80").get("x/a")).containsEntry("x/c", true).containsEntry("x/b", false);
        assertThat(m.millis()).isLessThan(10_000);
    }

    @Test
    @Order(Integer.MAX_VALUE)  // unannotated tests run at Order.DEFAULT, before this
    void downLeavesNothingBehind() {
        long start = System.nanoTime();
        DownReport r = Lab.down(System.out::println);
        System.out.println("lab down took " + (System.nanoTime() - start) / 1_000_000 + " ms");
        assertThat(r.namespaces()).isEqualTo(13);
        LabLeftovers.assertNone();
        assertThat(Lab.current()).isEmpty();
        assertThat(Lab.down(s -> { }).nothing()).isTrue();
    }

    private static String run(String who, String script) throws Exception {
        Process p = lab.command(who, List.of("sh", "-c", script)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }
}
