package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.weir.datapath.DropReason;
import dev.weir.datapath.endpoint.Counter;
import dev.weir.datapath.nodeport.NodePortMaps;
import dev.weir.ebpf.BpfPerCpuMap;
import dev.weir.ebpf.Codec;
import dev.weir.lab.Lab;
import dev.weir.lab.model.Family;
import dev.weir.lab.model.PortSpec;
import dev.weir.lab.probe.ProbeResult;
import dev.weir.testkit.Requirements;

/**
 * Services reached from outside the node, end to end: ext, which runs no weir program, reaches NodePorts
 * on both nodes' underlay addresses (TCP and UDP, both families) with backends on both nodes, LoadBalancer
 * ingress IPs of both pools and an external IP; externalTrafficPolicy Cluster hides the client behind the
 * node (SNAT), Local keeps it and only uses the node's own backends; loadBalancerSourceRanges that do not
 * admit ext drop it. The underlay link is pinned while the lab is up and gone after {@code lab down}.
 */
class NodePortLabTest {

    private static final String SERVICES = "src/test/resources/nodeport/services.yaml";
    private static final String NODE1 = "192.168.100.1";
    private static final String NODE2 = "192.168.100.2";
    private static final String NODE1_6 = "fd00:192:168:100::1";
    private static final String NODE2_6 = "fd00:192:168:100::2";
    private static final String EXT = "192.168.100.200";
    private static final Set<String> Y = Set.of("y/a", "y/b", "y/c");
    private static final Path PINS = Path.of("/sys/fs/bpf/weir");
    private static Lab lab;

    @BeforeAll
    static void up() {
        upWith();
    }

    /** {@code weir lab up} with these options (a subclass runs the tests on another lab), and the services. */
    static void upWith(String... options) {
        lab = labUp(SERVICES, options);
    }

    /** {@code weir lab up} with these options, then {@code weir apply -f services}: the lab. */
    static Lab labUp(String services, String... options) {
        Requirements.rootWithBpffs();
        InProcess.Result r = Cli.run(LabOptions.up(options));
        assertThat(r.exit()).as(r.toString()).isZero();
        InProcess.Result applied = Cli.run("apply", "-f", services);
        assertThat(applied.exit()).as(applied.toString()).isZero();
        return Lab.current().orElseThrow();
    }

    @AfterAll
    static void down() {
        if (Requirements.isRoot()) {
            Cli.run("lab", "down");
            assertThat(PINS.resolve("node1")).as("node1's pins after lab down").doesNotExist();
            assertThat(PINS.resolve("node2")).as("node2's pins after lab down").doesNotExist();
        }
    }

    private static ProbeResult probe(String to, String port) {
        return lab.probe("ext", to, PortSpec.parse(port), to.contains(":") ? Family.IPV6 : Family.IPV4, Lab.PROBE_TIMEOUT);
    }

    private static ProbeResult allowed(String to, String port) {
        ProbeResult r = probe(to, port);
        assertThat(r.allowed()).as("ext -> " + to + " " + port + ": " + r.summary() + " " + r.reason()).isTrue();
        return r;
    }

    @Test
    void theUnderlayProgramIsAttachedAndPinnedOnEachNode() {
        for (String node : List.of("node1", "node2")) {
            assertThat(PINS.resolve(node).resolve("links").resolve("underlay_eth0_in")).exists();
        }
    }

    @Test
    void nodePortsOnBothNodesBothFamiliesTcpAndUdp() {
        for (String node : List.of(NODE1, NODE2, NODE1_6, NODE2_6)) {
            for (String port : List.of("TCP/30090", "UDP/30090")) {
                assertThat(allowed(node, port).backend()).isIn(Y);
            }
        }
    }

    @Test
    void aNodePortReachesBackendsOnBothNodes() {
        for (String node : List.of(NODE1, NODE2_6)) {
            for (String port : List.of("TCP/30090", "UDP/30090")) {
                Set<String> seen = new HashSet<>();
                // y/a is on node1, y/b and y/c on node2: a local and a remote backend each time
                for (int i = 0; i < 40 && !(seen.contains("y/a") && seen.size() >= 2); i++) {
                    seen.add(allowed(node, port).backend());
                }
                assertThat(seen).as(node + " " + port).contains("y/a").hasSizeGreaterThanOrEqualTo(2);
            }
        }
    }

    @Test
    void externalTrafficPolicyClusterHidesTheClientBehindTheNode() {
        assertThat(allowed(NODE1, "TCP/30091").clientAddress()).isEqualTo(NODE1);
        assertThat(allowed(NODE2, "TCP/30091").clientAddress()).isEqualTo(NODE2);
        assertThat(allowed(NODE1_6, "TCP/30091").clientAddress()).isEqualTo(NODE1_6);
    }

    @Test
    void loadBalancerIpsOfBothPoolsAndAnExternalIp() {
        Set<String> x = Set.of("x/a", "x/b", "x/c");
        for (String ip : List.of("203.0.113.6", "203.0.113.22", "203.0.113.7")) {
            for (String port : List.of("TCP/80", "UDP/80")) {
                assertThat(allowed(ip, port).backend()).isIn(x);
            }
        }
    }

    @Test
    void externalTrafficPolicyLocalKeepsTheClientAndTheNodesOwnBackends() {
        for (int i = 0; i < 8; i++) {
            ProbeResult r = allowed("203.0.113.8", "TCP/81"); // routed via node1, which holds z/a only
            assertThat(r.backend()).isEqualTo("z/a");
            assertThat(r.clientAddress()).isEqualTo(EXT);
        }
        ProbeResult r = allowed(NODE2, "TCP/30093");
        assertThat(r.backend()).isIn("z/b", "z/c");
        assertThat(r.clientAddress()).isEqualTo(EXT);
    }

    @Test
    void podsOnBothNodesReachNodePortsAndLoadBalancerIpsToo() {
        // in the cluster these are translated where the client is (socket or TC), not on the underlay
        for (String client : List.of("x/a", "z/b")) {
            for (String to : List.of(NODE1, NODE2)) {
                for (String port : List.of("TCP/30090", "UDP/30090")) {
                    ProbeResult r = lab.probe(client, to, PortSpec.parse(port), Family.IPV4, Lab.PROBE_TIMEOUT);
                    assertThat(r.allowed()).as(client + " -> " + to + " " + port + ": " + r.summary()).isTrue();
                    assertThat(r.backend()).isIn(Y);
                }
            }
            ProbeResult v6 = lab.probe(client, NODE2_6, PortSpec.parse("TCP/30090"), Family.IPV6, Lab.PROBE_TIMEOUT);
            assertThat(v6.allowed()).as(client + " -> [" + NODE2_6 + "]:30090: " + v6.summary()).isTrue();
            ProbeResult lb = lab.probe(client, "203.0.113.6", PortSpec.parse("TCP/80"), Family.IPV4, Lab.PROBE_TIMEOUT);
            assertThat(lb.allowed()).as(client + " -> 203.0.113.6:80: " + lb.summary()).isTrue();
            assertThat(lb.backend()).isIn("x/a", "x/b", "x/c");
        }
    }

    @Test
    void sourceRangesThatDoNotAdmitExtDropIt() {
        long before = dropped("node1", DropReason.DROP_LB_SRC_RANGE);
        assertThat(probe("203.0.113.9", "TCP/80").allowed()).as("10.0.0.0/8 only").isFalse();
        assertThat(dropped("node1", DropReason.DROP_LB_SRC_RANGE)).isGreaterThan(before);
        assertThat(allowed("203.0.113.10", "TCP/80").backend()).isEqualTo("y/a");
    }

    @Test
    void listedByTheCli() {
        allowed(NODE2, "UDP/30090");
        InProcess.Result np = Cli.run("bpf", "nodeport", "list", "--node", "node2");
        assertThat(np.exit()).as(np.toString()).isZero();
        assertThat(np.out()).contains(EXT + ":", NODE2 + ":30090", "UDP");
        InProcess.Result lb = Cli.run("bpf", "lb", "list", "--node", "node1");
        assertThat(lb.out()).contains("203.0.113.9:80/TCP", "10.0.0.0/8", "ext-local");
    }

    /** Packets node's underlay program counted for a reason (its pinned np_stats). */
    static long dropped(String node, DropReason reason) {
        try (BpfPerCpuMap<Integer, Counter> stats = BpfPerCpuMap.fromPinPerCpu(
                PINS.resolve(node).resolve(NodePortMaps.STATS), Codec.u32(), Counter.CODEC)) {
            Counter c = stats.lookupSum(reason.code(), Counter::plus);
            return c == null ? 0 : c.packets();
        }
    }
}
