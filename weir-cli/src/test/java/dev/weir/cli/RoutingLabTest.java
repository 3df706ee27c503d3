package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.lab.Lab;
import dev.weir.lab.model.Family;
import dev.weir.lab.model.PortSpec;
import dev.weir.testkit.Requirements;

/**
 * Pod traffic between nodes, carried by weir: in tunnel mode (the lab's default) through VXLAN with nothing
 * leaking onto the underlay unencapsulated (a NodePort backend's replies to the SNATing node included), policy enforced on the receiving node, pods at the underlay's MTU less
 * the overhead and a full-size TCP stream crossing without fragments; in native mode through the routes weir
 * installs. The lab's nodes route no pod address themselves in either.
 */
class RoutingLabTest {

    private static final String POLICY = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: only-x-a, namespace: x}
            spec:
              podSelector: {matchLabels: {pod: b}}
              ingress:
              - from:
                - podSelector: {matchLabels: {pod: a}}
            """;

    /** A NodePort whose only backend, x/b, is on node2: ext reaches it through node1, which SNATs. */
    private static final String NODEPORT = """
            apiVersion: v1
            kind: Service
            metadata: {name: far, namespace: x}
            spec:
              type: NodePort
              ipFamilyPolicy: PreferDualStack
              clusterIPs: [10.96.0.111, "fd00:10:96::6f"]
              ports: [{name: p, port: 80, protocol: TCP, targetPort: 80, nodePort: 30111},
                      {name: u, port: 80, protocol: UDP, targetPort: 80, nodePort: 30111}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: far-4, namespace: x, labels: {kubernetes.io/service-name: far}}
            addressType: IPv4
            ports: [{name: p, port: 80, protocol: TCP}, {name: u, port: 80, protocol: UDP}]
            endpoints: [{addresses: [10.244.1.20], nodeName: node2}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: far-6, namespace: x, labels: {kubernetes.io/service-name: far}}
            addressType: IPv6
            ports: [{name: p, port: 80, protocol: TCP}, {name: u, port: 80, protocol: UDP}]
            endpoints: [{addresses: ["fd00:10:244:1::20"], nodeName: node2}]
            """;

    @TempDir
    Path dir;

    @AfterEach
    void down() {
        if (Requirements.isRoot()) {
            Cli.run("lab", "down");
        }
    }

    @Test
    void tunnelCarriesPodsAcrossNodesEncapsulatedAndPolicyHoldsThere() throws Exception {
        Requirements.root();
        up("lab", "up");
        assertThat(sh("ip", "-n", "weir-node1", "-d", "link", "show", "weir_vxlan")).contains("vxlan external", "dstport 8472",
                "mtu 1450");
        String routes = sh("ip", "-n", "weir-node1", "route", "show", "proto", "201");
        assertThat(routes).contains("10.244.1.20 ", "encap ip id 6", "dst 192.168.100.2", "dev weir_vxlan");
        assertThat(sh("ip", "-n", "weir-node1", "route")).as("no route of the lab's to a remote pod")
                .doesNotContain("10.244.1.20 via");
        assertThat(sh("ip", "-n", "weir-pod-x-a", "link", "show", "eth0")).contains("mtu 1450");

        Lab lab = Lab.require();
        Path nodePort = dir.resolve("np.yaml");
        Files.writeString(nodePort, NODEPORT);
        assertThat(Cli.run("apply", "-f", nodePort.toString()).exit()).isZero();
        Path capture = dir.resolve("underlay.pcap");
        Path said = dir.resolve("tcpdump.log");
        Process tcpdump = new ProcessBuilder("ip", "netns", "exec", "weir-underlay", "tcpdump", "-Z", "root", "--immediate-mode", "-ni", "br0", "-U", "-w",
                capture.toString()).redirectErrorStream(true).redirectOutput(said.toFile()).start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!Files.readString(said).contains("listening on")) {
            assertThat(System.nanoTime()).as("tcpdump starts: " + Files.readString(said)).isLessThan(deadline);
            Thread.sleep(50);
        }
        for (Family f : List.of(Family.IPV4, Family.IPV6)) {
            for (String port : List.of("TCP/80", "UDP/80")) {
                assertThat(lab.probe("x/a", "x/b", PortSpec.parse(port), f, Duration.ofSeconds(2)).allowed())
                        .as("x/a -> x/b " + port + " " + f).isTrue();
            }
        }
        // a remote backend's reply to node1's SNAT address comes back through the tunnel too
        for (String node : List.of("192.168.100.1", "fd00:192:168:100::1")) {
            for (String port : List.of("TCP/30111", "UDP/30111")) {
                var r = lab.probe("ext", node, PortSpec.parse(port), node.contains(":") ? Family.IPV6 : Family.IPV4,
                        Duration.ofSeconds(2));
                assertThat(r.allowed()).as("ext -> " + node + " " + port + ": " + r.summary()).isTrue();
                assertThat(r.backend()).isEqualTo("x/b");
            }
        }
        Thread.sleep(500);
        tcpdump.destroy();
        tcpdump.waitFor(5, TimeUnit.SECONDS);
        assertThat(sh("tcpdump", "-nr", capture.toString(), "-T", "vxlan", "udp port 8472")).as("encapsulated; tcpdump said "
                        + Files.readString(said))
                .contains("VXLAN", "10.244.1.10", "10.244.1.20", "fd00:10:244:1::20");
        assertThat(sh("tcpdump", "-nr", capture.toString(), "not udp port 8472 and (net 10.244.0.0/16 or net fd00:10:244::/48)")
                .lines().filter(l -> !l.startsWith("reading from file")))
                .as("no pod address on the underlay outside VXLAN").isEmpty();

        // the receiving node enforces ingress policy on the identity the VNI carried
        Path policy = dir.resolve("p.yaml");
        Files.writeString(policy, POLICY);
        assertThat(Cli.run("apply", "-f", policy.toString()).exit()).isZero();
        assertThat(lab.probe("x/a", "x/b", PortSpec.parse("TCP/80"), null, Duration.ofSeconds(2)).allowed()).isTrue();
        assertThat(lab.probe("y/a", "x/b", PortSpec.parse("TCP/80"), null, Duration.ofSeconds(2)).allowed()).isFalse();
        assertThat(lab.probe("x/c", "x/b", PortSpec.parse("TCP/80"), null, Duration.ofSeconds(2)).allowed()).isFalse();

        // a full-size stream crosses without fragments or black holes
        String before = sh("ip", "netns", "exec", "weir-node1", "nstat", "-az", "IpFragCreates", "IpFragFails");
        stream(lab);
        String after = sh("ip", "netns", "exec", "weir-node1", "nstat", "-az", "IpFragCreates", "IpFragFails");
        assertThat(after).as("no fragments on node1").isEqualTo(before);
    }

    @Test
    void nativeRoutesEachRemotePodViaItsNode() throws Exception {
        Requirements.root();
        up("lab", "up", "--routing", "native");
        assertThat(sh("ip", "-n", "weir-node1", "link")).doesNotContain("weir_vxlan");
        assertThat(sh("ip", "-n", "weir-node1", "route", "show", "proto", "201")).contains("10.244.1.20 via 192.168.100.2");
        assertThat(sh("ip", "-n", "weir-node1", "-6", "route", "show", "proto", "201"))
                .contains("fd00:10:244:1::20 via fd00:192:168:100::2");
        assertThat(sh("ip", "-n", "weir-pod-x-a", "link", "show", "eth0")).contains("mtu 1500");
        Lab lab = Lab.require();
        for (Family f : List.of(Family.IPV4, Family.IPV6)) {
            assertThat(lab.probe("x/a", "x/b", PortSpec.parse("TCP/80"), f, Duration.ofSeconds(2)).allowed()).isTrue();
        }
        stream(lab);
    }

    /** 8 MiB from x/a (node1) to x/b (node2) over TCP, with socat at both ends. */
    private void stream(Lab lab) throws Exception {
        Path blob = dir.resolve("blob");
        byte[] data = new byte[8 << 20];
        new java.util.Random(1).nextBytes(data);
        Files.write(blob, data);
        Path received = dir.resolve("received");
        Process server = lab.command("x/b", List.of("socat", "-u", "TCP-LISTEN:5001,reuseaddr", "CREATE:" + received)).start();
        Thread.sleep(500);
        Process client = lab.command("x/a", List.of("socat", "-u", "FILE:" + blob, "TCP:10.244.1.20:5001")).start();
        assertThat(client.waitFor(30, TimeUnit.SECONDS)).as("the stream finishes").isTrue();
        assertThat(server.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(client.exitValue()).isZero();
        assertThat(Files.size(received)).isEqualTo(data.length);
        assertThat(Files.mismatch(blob, received)).isEqualTo(-1L);
    }

    private static void up(String... args) {
        InProcess.Result r = Cli.run(args);
        assertThat(r.exit()).as(r.toString()).isZero();
    }

    private static String sh(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return out;
    }
}
