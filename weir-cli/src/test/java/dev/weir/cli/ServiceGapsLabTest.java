package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.lab.Lab;
import dev.weir.lab.model.Family;
import dev.weir.lab.model.PortSpec;
import dev.weir.lab.probe.ProbeResult;
import dev.weir.testkit.Requirements;

/**
 * The service gaps of issue 11 with real traffic (docs/service-datapath.md): a Service without endpoints
 * refuses at once, inside (socket path here, TC in {@link TcServiceGapsLabTest}) and from outside, while a
 * Local policy without a local endpoint drops; endpoint conditions (ready decides, serving terminating
 * endpoints as the fallback, per backend set); loadBalancerSourceRanges for pods; healthCheckNodePort. Services in
 * {@code svcgaps/services.yaml}.
 */
class ServiceGapsLabTest {

    static final String SERVICES = "src/test/resources/svcgaps/services.yaml";
    static final String NODE1 = "192.168.100.1";
    static final String NODE2 = "192.168.100.2";
    static final String NODE1_6 = "fd00:192:168:100::1";
    /**
     * Connects (TCP), or connects and sends and waits for an answer (UDP), and prints what happened:
     * {@code connected}, {@code timeout}, or the errno's name ({@code ECONNREFUSED}).
     */
    private static final String CLIENT = """
            import errno, socket, sys
            host, port, proto, timeout = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
            s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET,
                              socket.SOCK_STREAM if proto == 'tcp' else socket.SOCK_DGRAM)
            s.settimeout(timeout)
            try:
                s.connect((host, port))
                if proto == 'udp':
                    s.send(b'x')
                    s.recv(100)
                print('connected')
            except socket.timeout:
                print('timeout')
            except OSError as e:
                print(errno.errorcode.get(e.errno, str(e.errno)))
            """;

    @TempDir
    static Path dir;
    static Lab lab;
    /** The sizes of the lab's agents' policy and conntrack maps ({@code --map-size} of {@link #upWith}, else the defaults). */
    static java.util.Map<String, Integer> mapSizes;

    @BeforeAll
    static void up() {
        upWith();
    }

    /** {@code weir lab up} with these options (a subclass runs the tests on another lab), then the services. */
    static void upWith(String... options) {
        Requirements.rootWithBpffs();
        List<String> sizes = new java.util.ArrayList<>();
        for (int i = 0; i + 1 < options.length; i++) {
            if (options[i].equals("--map-size")) {
                sizes.add(options[i + 1]);
            }
        }
        mapSizes = dev.weir.datapath.endpoint.NodeMapSizes.parse(sizes).sizes();
        InProcess.Result r = Cli.run(LabOptions.up(options));
        assertThat(r.exit()).as(r.toString()).isZero();
        InProcess.Result applied = Cli.run("apply", "-f", SERVICES);
        assertThat(applied.exit()).as(applied.toString()).isZero();
        lab = Lab.current().orElseThrow();
    }

    @AfterAll
    static void down() {
        if (Requirements.isRoot()) {
            Cli.run("lab", "down");
        }
    }

    @Test
    void theNodeMapsHaveTheConfiguredSizes() throws Exception {
        for (var e : mapSizes.entrySet()) {
            Path pin = Path.of("/sys/fs/bpf/weir/node1", e.getKey());
            Process p = new ProcessBuilder("bpftool", "-j", "map", "show", "pinned", pin.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(out).path("max_entries").asInt())
                    .as(pin + ": " + out).isEqualTo(e.getValue());
        }
    }

    @Test
    void aServiceWithoutEndpointsRefusesPodsAtOnce() throws Exception {
        for (String client : List.of("y/b", "x/a")) {
            for (String proto : List.of("tcp", "udp")) {
                assertThat(connect(client, "10.96.0.50", 80, proto)).as(client + " -> 10.96.0.50 " + proto).isEqualTo("ECONNREFUSED");
                assertThat(connect(client, "fd00:10:96::50", 80, proto)).as(client + " -> [fd00:10:96::50] " + proto)
                        .isEqualTo("ECONNREFUSED");
            }
            // a NodePort of either node, reached from a pod, is translated where the pod is
            assertThat(connect(client, NODE2, 30050, "tcp")).as(client + " -> node2:30050").isEqualTo("ECONNREFUSED");
        }
        InProcess.Result lb = Cli.run("bpf", "lb", "list", "--node", "node1");
        assertThat(lb.out().lines().filter(l -> l.contains("10.96.0.50:80/TCP"))).as(lb.out()).anyMatch(l -> l.contains("reject"));
    }

    @Test
    void aServiceWithoutEndpointsRefusesOutsideClientsAtOnce() throws Exception {
        for (String node : List.of(NODE1, NODE2, NODE1_6)) {
            for (String proto : List.of("tcp", "udp")) {
                assertThat(connect("ext", node, 30050, proto)).as("ext -> " + node + ":30050 " + proto).isEqualTo("ECONNREFUSED");
            }
        }
    }

    @Test
    void aLocalPolicyWithoutALocalEndpointDropsAsKubeProxyDoes() throws Exception {
        assertThat(connect("ext", NODE1, 30051, "tcp")).as("node1 has no local endpoint").isEqualTo("timeout");
        assertThat(connect("ext", NODE2, 30051, "tcp")).as("node2 has x/b").isEqualTo("connected");
    }

    @Test
    void theHealthCheckNodePortSaysWhichNodesHaveLocalEndpoints() throws Exception {
        // x/elsewhere: externalTrafficPolicy Local, its one endpoint on node2
        assertThat(healthz(NODE1, 30151)).isEqualTo(
                "503 {\"service\":{\"namespace\":\"x\",\"name\":\"elsewhere\"},\"localEndpoints\":0,\"serviceProxyHealthy\":true}");
        assertThat(healthz(NODE2, 30151)).isEqualTo(
                "200 {\"service\":{\"namespace\":\"x\",\"name\":\"elsewhere\"},\"localEndpoints\":1,\"serviceProxyHealthy\":true}");
        assertThat(healthz(NODE1_6, 30151)).startsWith("503 ");
    }

    @Test
    void readyDecidesAndServingTerminatingEndpointsAreTheFallback() throws IOException {
        // x/a ready while terminating (publishNotReadyAddresses): used; x/c serving and terminating: not while x/a is ready
        apply("cond", cond("{ready: true, terminating: true}", "{ready: false, serving: true, terminating: true}"));
        assertThat(backends("y/b", "10.96.0.54", 20)).containsExactly("x/a");
        assertThat(Cli.run("service", "list").out()).contains("serving_terminating");
        // no ready endpoint left: the serving terminating one takes new connections, the non-serving one none
        apply("cond", cond("{ready: false, serving: false, terminating: true}", "{ready: false, serving: true, terminating: true}"));
        assertThat(backends("y/b", "10.96.0.54", 20)).containsExactly("x/c");
    }

    @Test
    void theFallbackHoldsForALocalPolicyFromOutside() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            ProbeResult r = lab.probe("ext", NODE1, PortSpec.parse("TCP/30052"), Family.IPV4, Lab.PROBE_TIMEOUT);
            assertThat(r.clientAddress()).as("Local keeps the client's address").isEqualTo("192.168.100.200");
            assertThat(r.allowed()).as(r.summary()).isTrue();
            seen.add(r.backend());
        }
        assertThat(seen).as("node1's only local endpoint is serving and terminating").containsExactly("x/a");
    }

    @Test
    void sourceRangesFilterPodsToo() {
        ProbeResult admitted = lab.probe("y/b", "203.0.113.11", PortSpec.parse("TCP/80"), Family.IPV4, Lab.PROBE_TIMEOUT);
        assertThat(admitted.allowed()).as("y/b is in the ranges: " + admitted.summary()).isTrue();
        for (String client : List.of("z/a", "y/c", "ext")) {
            ProbeResult r = lab.probe(client, "203.0.113.11", PortSpec.parse("TCP/80"), Family.IPV4, Lab.PROBE_TIMEOUT);
            assertThat(r.allowed()).as(client + " is not: " + r.summary()).isFalse();
        }
        // the ClusterIP of the same Service has no ranges (kube-proxy filters the LoadBalancer IP only)
        assertThat(lab.probe("z/a", "10.96.0.53", PortSpec.parse("TCP/80"), Family.IPV4, Lab.PROBE_TIMEOUT).allowed()).isTrue();
    }

    /** The set of backends {@code n} TCP/81 connections from {@code client} to {@code to} reached. */
    private static Set<String> backends(String client, String to, int n) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < n; i++) {
            ProbeResult r = lab.probe(client, to, PortSpec.parse("TCP/81"), Family.IPV4, Lab.PROBE_TIMEOUT);
            assertThat(r.allowed()).as(r.summary()).isTrue();
            seen.add(r.backend());
        }
        return seen;
    }

    /** {@code GET /healthz} from ext: the status and the body. */
    static String healthz(String node, int port) throws Exception {
        String url = "http://" + (node.contains(":") ? "[" + node + "]" : node) + ":" + port + "/healthz";
        String script = """
                import sys, urllib.request, urllib.error
                try:
                    r = urllib.request.urlopen(sys.argv[1], timeout=5)
                    print(r.status, r.read().decode())
                except urllib.error.HTTPError as e:
                    print(e.code, e.read().decode())
                except Exception as e:
                    print('error', e)
                """;
        Process p = lab.command("ext", List.of("/usr/bin/python3", "-c", script, url)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    /** {@link #CLIENT} run in {@code who}; its one line. */
    static String connect(String who, String host, int port, String proto) throws Exception {
        return connect(lab, who, host, port, proto);
    }

    /** {@link #CLIENT} run in {@code who} of that lab; its one line. */
    static String connect(Lab lab, String who, String host, int port, String proto) throws Exception {
        Process p = lab.command(who, List.of("/usr/bin/python3", "-c", CLIENT, host, String.valueOf(port), proto, "3"))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    private static void apply(String name, String yaml) throws IOException {
        Path f = dir.resolve(name + ".yaml");
        Files.writeString(f, yaml);
        InProcess.Result r = Cli.run("apply", "-f", f.toString());
        assertThat(r.exit()).as(r.toString()).isZero();
    }

    /**
     * x/cond: ClusterIP 10.96.0.54, TCP/81, over x/a and x/c (both on node1) with these conditions (x/cond-local
     * lists x/a:81 as serving and terminating: each Service goes by its own).
     */
    private static String cond(String a, String c) {
        return """
                apiVersion: v1
                kind: Service
                metadata: {name: cond, namespace: x}
                spec:
                  clusterIP: 10.96.0.54
                  ports:
                  - {name: tcp, port: 81, protocol: TCP}
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: cond-ipv4, namespace: x, labels: {kubernetes.io/service-name: cond}}
                addressType: IPv4
                ports:
                - {name: tcp, protocol: TCP, port: 81}
                endpoints:
                - {addresses: [10.244.1.10], nodeName: node1, conditions: %s}
                - {addresses: [10.244.1.30], nodeName: node1, conditions: %s}
                """.formatted(a, c);
    }
}
