package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
 * How services behave with real connections in the lab, through the agents: new connections spread
 * evenly, ClientIP affinity sticks, a terminating backend keeps its established connection while new ones
 * go elsewhere, and removing one Maglev backend moves only its share of clients. Clients run in pod y/b.
 */
class ServiceBehaviourLabTest {

    private static final String CLIENT = "y/b";
    /** Pods and their IPv4 addresses (DESIGN.md's lab model). */
    private static final Map<String, String> PODS = new TreeMap<>(Map.of("x/a", "10.244.1.10", "x/b", "10.244.1.20",
            "x/c", "10.244.1.30", "y/a", "10.244.2.10", "y/c", "10.244.2.30", "z/a", "10.244.3.10", "z/b", "10.244.3.20",
            "z/c", "10.244.3.30"));
    private static final Map<String, String> NODE_OF = Map.of("x/a", "node1", "y/a", "node1", "z/a", "node1", "x/c", "node1",
            "x/b", "node2", "z/b", "node2", "y/c", "node2", "z/c", "node2");

    @TempDir
    static Path dir;
    private static Lab lab;
    private static final List<Process> servers = new ArrayList<>();

    @BeforeAll
    static void up() throws IOException {
        upWith();
    }

    /** {@code weir lab up} with these options (a subclass runs the tests on another lab), and the echo servers. */
    static void upWith(String... options) throws IOException {
        Requirements.rootWithBpffs();
        Requirements.require(Files.isExecutable(Path.of("/usr/bin/socat")), "socat is not installed (scripts/setup.sh installs it)");
        InProcess.Result r = Cli.run(LabOptions.up(options));
        assertThat(r.exit()).as(r.toString()).isZero();
        lab = Lab.current().orElseThrow();
        for (String pod : List.of("x/a", "x/b", "x/c")) {
            // an echo server that names itself first, so one connection can be followed across changes
            servers.add(lab.command(pod, List.of("socat", "TCP-LISTEN:8080,fork,reuseaddr", "SYSTEM:echo " + pod + "; cat"))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
        }
    }

    @AfterAll
    static void down() {
        servers.forEach(p -> {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        });
        if (Requirements.isRoot()) {
            Cli.run("lab", "down");
        }
    }

    @Test
    void newConnectionsSpreadEvenly() throws IOException {
        apply("spread", service("spread", "10.96.0.20", "TCP", 80, "maglev", "", List.of("x/a", "x/b", "x/c")));
        Map<String, Integer> seen = new TreeMap<>();
        int n = 300;
        for (int i = 0; i < n; i++) {
            ProbeResult p = probe("10.96.0.20", "TCP/80");
            assertThat(p.allowed()).as(p.summary()).isTrue();
            seen.merge(p.backend(), 1, Integer::sum);
        }
        assertThat(seen).containsOnlyKeys("x/a", "x/b", "x/c");
        double expected = n / 3.0;
        double chi2 = seen.values().stream().mapToDouble(o -> (o - expected) * (o - expected) / expected).sum();
        // 2 degrees of freedom: P(chi2 > 13.82) = 0.001 for a uniform choice
        assertThat(chi2).as("chi-square of " + seen).isLessThan(13.82);
    }

    @Test
    void clientIpAffinitySticks() throws IOException {
        apply("sticky", service("sticky", "10.96.0.21", "TCP", 80, "random", """
                  sessionAffinity: ClientIP
                  sessionAffinityConfig: {clientIP: {timeoutSeconds: 600}}
                """, List.of("x/a", "x/b", "x/c")));
        for (String client : List.of(CLIENT, "z/a")) {
            Map<String, Integer> seen = new TreeMap<>();
            for (int i = 0; i < 30; i++) {
                ProbeResult p = lab.probe(client, "10.96.0.21", PortSpec.parse("TCP/80"), Family.IPV4, Lab.PROBE_TIMEOUT);
                assertThat(p.allowed()).as(p.summary()).isTrue();
                seen.merge(p.backend(), 1, Integer::sum);
            }
            assertThat(seen).as(client + "'s 30 connections (random selection would spread them)").hasSize(1);
        }
    }

    @Test
    void aTerminatingBackendKeepsItsConnectionWhileNewOnesGoElsewhere() throws Exception {
        List<String> three = List.of("x/a", "x/b", "x/c");
        apply("drain", service("drain", "10.96.0.22", "TCP", 80, 8080, "random", "", three, null));
        Process client = lab.command(CLIENT, List.of("socat", "-", "TCP:10.96.0.22:80")).start();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
             OutputStream out = client.getOutputStream()) {
            String backend = in.readLine();
            assertThat(backend).as("the echo server's name").isIn(three);
            apply("drain", service("drain", "10.96.0.22", "TCP", 80, 8080, "random", "", three, backend));
            assertThat(Cli.run("service", "list").out()).contains("terminating");
            out.write("still there\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            assertThat(in.readLine()).as("the established connection to the terminating " + backend).isEqualTo("still there");
            for (int i = 0; i < 30; i++) {
                ProbeResult p = probe("10.96.0.22", "TCP/80");
                assertThat(p.allowed()).as(p.summary()).isTrue();
                assertThat(p.backend()).as("a new connection").isNotEqualTo(backend).isIn("x/a", "x/b", "x/c");
            }
        } finally {
            client.destroy();
            client.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void removingAMaglevBackendMovesOnlyItsShareOfClients() throws Exception {
        List<String> all = new ArrayList<>(PODS.keySet());
        apply("ring", service("ring", "10.96.0.23", "UDP", 80, "maglev", "", all));
        Map<Integer, String> before = udpClients("10.96.0.23");
        assertThat(new java.util.HashSet<>(before.values())).as("200 clients over 8 backends").containsAll(all);

        String gone = "z/c";
        apply("ring", service("ring", "10.96.0.23", "UDP", 80, "maglev", "", all.stream().filter(p -> !p.equals(gone)).toList()));
        Map<Integer, String> after = udpClients("10.96.0.23");
        int ofGone = 0;
        int others = 0;
        int othersMoved = 0;
        for (var e : before.entrySet()) {
            String now = after.get(e.getKey());
            if (e.getValue().equals(gone)) {
                ofGone++;
                assertThat(now).as("client port " + e.getKey() + " of the removed backend").isNotEqualTo(gone);
            } else {
                others++;
                othersMoved += now.equals(e.getValue()) ? 0 : 1;
            }
        }
        assertThat(ofGone).as("the removed backend had clients").isPositive();
        // Maglev moves a little more than the removed share (docs: ×1.05 at 10 backends); 5% of the rest is generous
        assertThat(othersMoved).as(othersMoved + " of " + others + " clients of the other backends moved").isLessThanOrEqualTo(others / 20);

        apply("ring", service("ring", "10.96.0.23", "UDP", 80, "maglev", "", all));
        assertThat(udpClients("10.96.0.23")).as("the same backends give the same table: every client back where it was")
                .isEqualTo(before);
    }

    @Test
    void flowsNameTheServiceAndTheBackend() throws Exception {
        apply("named", service("named", "10.96.0.24", "TCP", 80, "random", "", List.of("x/a", "x/b", "x/c")));
        ProbeResult p = probe("10.96.0.24", "TCP/80");
        assertThat(p.allowed()).as(p.summary()).isTrue();
        String[] nsPod = p.backend().split("/");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        while (true) {
            InProcess.Result r = Cli.run("observe", "--service", "x/named", "--from-pod", CLIENT, "-o", "json", "--last", "0");
            assertThat(r.exit()).as(r.toString()).isZero();
            boolean named = false;
            for (String line : r.out().split("\n")) {
                var f = line.isBlank() ? null : json.readTree(line);
                named |= f != null && f.path("destination_service").path("name").asText().equals("named")
                        && f.path("destination_service").path("frontend").asText().equals("10.96.0.24:80")
                        && f.path("destination").path("pod_name").asText().equals(nsPod[1])
                        && f.path("destination").path("namespace").asText().equals(nsPod[0]);
            }
            if (named) {
                break;
            }
            assertThat(System.nanoTime()).as("a flow from " + CLIENT + " to " + p.backend() + " naming x/named:\n" + r.out())
                    .isLessThan(deadline);
            Thread.sleep(200);
        }
        assertThat(Cli.run("observe", "--service", "x/named", "--last", "0").out()).contains("via x/named (10.96.0.24:80)");
    }

    /**
     * 200 UDP clients from fixed source ports 40000..40199 of the client pod, 20 at a time, after emptying
     * conntrack (so the datapath selects again rather than remembering): source port to backend.
     */
    private static Map<Integer, String> udpClients(String frontend) throws Exception {
        assertThat(Cli.run("bpf", "ct", "flush").exit()).isZero();
        String script = "seq 40000 40199 | xargs -P 20 -I{} sh -c 'r=$(printf x | socat -t 0.5 - UDP:" + frontend
                + ":80,sourceport={},reuseaddr); echo \"{} $r\"'";
        Process p = lab.command(CLIENT, List.of("sh", "-c", script)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        Map<Integer, String> clients = new HashMap<>();
        for (String line : out.split("\n")) {
            String[] f = line.strip().split(" ");
            if (f.length == 2 && f[0].matches("\\d+")) {
                clients.put(Integer.parseInt(f[0]), f[1]);
            }
        }
        assertThat(clients).as("every client answered:\n" + out).hasSize(200);
        return clients;
    }

    private static ProbeResult probe(String to, String port) {
        return lab.probe(CLIENT, to, PortSpec.parse(port), Family.IPV4, Lab.PROBE_TIMEOUT);
    }

    private static void apply(String name, String yaml) throws IOException {
        Path f = dir.resolve(name + ".yaml");
        Files.writeString(f, yaml);
        InProcess.Result r = Cli.run("apply", "-f", f.toString());
        assertThat(r.exit()).as(r.toString()).isZero();
    }

    /** A ClusterIP service in namespace x over the given pods (any namespace), one port, with its EndpointSlice. */
    private static String service(String name, String ip, String protocol, int port, String algorithm, String extraSpec,
                                  List<String> backends) {
        return service(name, ip, protocol, port, port, algorithm, extraSpec, backends, null);
    }

    /** The same with a target port, and one backend (or none: null) terminating. */
    private static String service(String name, String ip, String protocol, int port, int targetPort, String algorithm,
                                  String extraSpec, List<String> backends, String terminating) {
        StringBuilder eps = new StringBuilder();
        for (String pod : backends) {
            String[] nsPod = pod.split("/");
            String conditions = pod.equals(terminating) ? "{ready: false, serving: true, terminating: true}" : "{ready: true}";
            eps.append("- {addresses: [").append(PODS.get(pod)).append("], conditions: ").append(conditions).append(", nodeName: ")
                    .append(NODE_OF.get(pod)).append(", targetRef: {kind: Pod, namespace: ").append(nsPod[0])
                    .append(", name: ").append(nsPod[1]).append("}}\n");
        }
        return """
                apiVersion: v1
                kind: Service
                metadata:
                  name: %1$s
                  namespace: x
                  annotations: {weir.dev/lb-algorithm: %5$s}
                spec:
                  type: ClusterIP
                  clusterIP: %2$s
                %6$s  ports:
                  - {name: p, protocol: %3$s, port: %4$d, targetPort: %7$d}
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: %1$s-v4
                  namespace: x
                  labels: {kubernetes.io/service-name: %1$s}
                addressType: IPv4
                ports:
                - {name: p, protocol: %3$s, port: %7$d}
                endpoints:
                """.formatted(name, ip, protocol, port, algorithm, extraSpec, targetPort) + eps;
    }
}
