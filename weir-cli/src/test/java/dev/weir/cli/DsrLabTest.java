package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.weir.datapath.DropReason;
import dev.weir.lab.Lab;
import dev.weir.lab.model.Family;
import dev.weir.lab.model.PortSpec;
import dev.weir.lab.probe.ProbeResult;

/**
 * Direct server return (docs/service-datapath.md, "Direct server return"), native routing, two nodes, the agents with
 * {@code --nodeport-mode dsr}: ext reaches a NodePort on node1 whose backends are on node2, over IPv4 (the IPv4 option)
 * and IPv6 (the Destination Options header); the backend sees ext's own address and node2 answers ext directly, as
 * node1's NodePort: node1 sends no reply (tcpdump on its underlay, outgoing packets only), node2 does.
 * externalTrafficPolicy Local is unaffected, a datagram the option would not fit is answered with fragmentation
 * needed / packet too big, and ext's port unreachable about a reply reaches the backend through node1. Services in {@code dsr/services.yaml}; SNAT mode is {@link NativeNodePortLabTest}'s.
 */
class DsrLabTest {

    static final String SERVICES = "src/test/resources/dsr/services.yaml";
    static final String NODE1 = "192.168.100.1";
    static final String NODE1_6 = "fd00:192:168:100::1";
    static final String EXT = "192.168.100.200";
    static final String EXT6 = "fd00:192:168:100::200";
    static final Set<String> ON_NODE2 = Set.of("y/b", "y/c");
    static Lab lab;

    @BeforeAll
    static void up() {
        lab = NodePortLabTest.labUp(SERVICES, "--routing", "native", "--nodeport-mode", "dsr");
    }

    @AfterAll
    static void down() {
        NodePortLabTest.down();
    }

    static ProbeResult allowed(String to, String port) {
        ProbeResult r = lab.probe("ext", to, PortSpec.parse(port), to.contains(":") ? Family.IPV6 : Family.IPV4,
                Lab.PROBE_TIMEOUT);
        assertThat(r.allowed()).as("ext -> " + to + " " + port + ": " + r.summary() + " " + r.reason()).isTrue();
        return r;
    }

    @Test
    void tunnelRoutingRefusesDsr() {
        InProcess.Result r = Cli.run("lab", "up", "--routing", "tunnel", "--nodeport-mode", "dsr");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("--nodeport-mode dsr needs --routing native");
        assertThat(Lab.current()).as("the running lab is untouched").isPresent();
    }

    @Test
    void theBackendsNodeAnswersTheClientDirectlyTcpAndUdp() throws Exception {
        try (UnderlayCapture node1 = UnderlayCapture.start("node1", "src port 30190 or src port 30191");
             UnderlayCapture node2 = UnderlayCapture.start("node2",
                     "(src host " + NODE1 + " or src host " + NODE1_6 + ") and src port 30190")) {
            for (int i = 0; i < 6; i++) {
                for (String[] fe : new String[][] {{NODE1, EXT}, {NODE1_6, EXT6}}) {
                    ProbeResult tcp = allowed(fe[0], "TCP/30190");
                    assertThat(tcp.backend()).isIn(ON_NODE2);
                    assertThat(tcp.clientAddress()).as("the backend sees the client itself").isEqualTo(fe[1]);
                    assertThat(allowed(fe[0], "UDP/30190").backend()).isIn(ON_NODE2);
                }
            }
            // the control: externalTrafficPolicy Local's backend is on node1, its replies leave node1
            assertThat(allowed(NODE1, "TCP/30191").backend()).isEqualTo("z/a");
            node1.await(l -> l.contains(".30191 >"));
            node2.await(l -> l.contains(" IP6 ") && l.contains(" UDP"));
            List<String> fromNode1 = node1.stop();
            List<String> fromNode2 = node2.stop();
            assertThat(fromNode1).as("node1 sent no reply of 30190, only the Local ones: " + node1).isNotEmpty()
                    .allMatch(l -> l.contains(".30191 >"));
            assertThat(fromNode2).as("node2 sent the replies as node1's NodePort: " + node2)
                    .anyMatch(l -> l.contains(" IP ") && l.contains(" UDP"))
                    .anyMatch(l -> l.contains(" IP ") && l.contains("Flags [S.]"))
                    .anyMatch(l -> l.contains(" IP6 ") && l.contains(" UDP"))
                    .anyMatch(l -> l.contains(" IP6 ") && l.contains("Flags [S.]"));
        }
        InProcess.Result np = Cli.run("bpf", "nodeport", "list", "--node", "node2");
        assertThat(np.out()).as(np.toString()).contains("dsr-reply", NODE1 + ":30190");
        assertThat(Cli.run("bpf", "nodeport", "list", "--node", "node1").out()).contains("dsr");
    }


    /**
     * ext closes its UDP socket before the reply comes, so its port unreachable about the reply goes to the reply's
     * source, node1's NodePort: node1 sends it on to the backend on node2, about the reply as the backend sent it.
     */
    @Test
    void anErrorAboutAReplyGoesFromTheFrontendsNodeToTheBackend() throws Exception {
        String script = """
                import socket, sys, time
                for i in range(10):
                    s = socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET, socket.SOCK_DGRAM)
                    s.connect((sys.argv[1], int(sys.argv[2])))
                    s.send(b'x')
                    s.close()
                    time.sleep(0.2)
                """;
        try (UnderlayCapture node1 = UnderlayCapture.start("node1", "icmp or icmp6")) {
            for (String fe : List.of(NODE1, NODE1_6)) {
                Process p = lab.command("ext", List.of("/usr/bin/python3", "-c", script, fe, "30190"))
                        .redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
                assertThat(out).isEmpty();
            }
            node1.await(l -> l.contains("fd00:10:244:2::") && l.contains("unreachable"));
            List<String> sent = node1.stop();
            assertThat(sent).as("node1 sent ext's errors on to the backends: " + sent)
                    .anyMatch(l -> l.contains(EXT + " > 10.244.2.") && l.contains("unreachable"))
                    .anyMatch(l -> l.contains(EXT6 + " > fd00:10:244:2::") && l.contains("unreachable"));
        }
    }

    @Test
    void externalTrafficPolicyLocalIsUnaffected() {
        for (int i = 0; i < 4; i++) {
            ProbeResult r = allowed(NODE1, "TCP/30191");
            assertThat(r.backend()).isEqualTo("z/a");
            assertThat(r.clientAddress()).isEqualTo(EXT);
        }
    }

    @Test
    void aDatagramTheOptionWouldNotFitIsAnsweredWithFragmentationNeeded() throws Exception {
        long before = NodePortLabTest.dropped("node1", DropReason.DROP_DSR_NO_ROOM);
        // 1472 bytes of UDP fill the underlay's 1500; with the option's 8 the packet would not leave node1
        String script = """
                import socket, sys
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.setsockopt(socket.IPPROTO_IP, 10, 2)  # IP_MTU_DISCOVER: IP_PMTUDISC_DO
                s.connect((sys.argv[1], int(sys.argv[2])))
                s.settimeout(2)
                s.send(b'x' * 1472)
                try:
                    s.recv(2000)
                except OSError:
                    pass
                print(s.getsockopt(socket.IPPROTO_IP, 14))  # IP_MTU
                """;
        Process p = lab.command("ext", List.of("/usr/bin/python3", "-c", script, NODE1, "30190")).redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(out).as("ext's path MTU to node1 after the answer").isEqualTo("1492");
        assertThat(NodePortLabTest.dropped("node1", DropReason.DROP_DSR_NO_ROOM)).isGreaterThan(before);
        // datagrams that fit still go through
        assertThat(allowed(NODE1, "UDP/30190").backend()).isIn(ON_NODE2);
    }

    @Test
    void anIpv6DatagramTheHeaderWouldNotFitIsAnsweredWithPacketTooBig() throws Exception {
        long before = NodePortLabTest.dropped("node1", DropReason.DROP_DSR_NO_ROOM);
        // 1452 bytes of UDP fill the underlay's 1500; with the header's 24 the packet would not leave node1
        String script = """
                import socket, sys
                s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
                s.setsockopt(socket.IPPROTO_IPV6, 23, 2)  # IPV6_MTU_DISCOVER: IPV6_PMTUDISC_DO
                s.connect((sys.argv[1], int(sys.argv[2])))
                s.settimeout(2)
                s.send(b'x' * 1452)
                try:
                    s.recv(2000)
                except OSError:
                    pass
                print(s.getsockopt(socket.IPPROTO_IPV6, 24))  # IPV6_MTU
                """;
        Process p = lab.command("ext", List.of("/usr/bin/python3", "-c", script, NODE1_6, "30190"))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(out).as("ext's path MTU to node1 after the answer").isEqualTo("1476");
        assertThat(NodePortLabTest.dropped("node1", DropReason.DROP_DSR_NO_ROOM)).isGreaterThan(before);
        assertThat(allowed(NODE1_6, "UDP/30190").backend()).isIn(ON_NODE2);
    }
}
