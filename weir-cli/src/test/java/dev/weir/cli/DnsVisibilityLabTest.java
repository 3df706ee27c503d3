package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import dev.weir.cli.output.Json;
import dev.weir.ebpf.netns.NetworkNamespace;
import dev.weir.lab.Lab;
import dev.weir.lab.model.Family;
import dev.weir.lab.model.PodRef;
import dev.weir.lab.model.PodSpec;
import dev.weir.lab.model.PortSpec;
import dev.weir.testkit.DnsWire;
import dev.weir.testkit.Requirements;

/**
 * DNS visibility on a real lab, real traffic: a DNS server in y/b (node2; a small responder on UDP 53 inside
 * the pod's network namespace) answers x/a (node1). {@code weir observe --fqdn} shows the query and the
 * response with its rcode and addresses, seen at both pods' hooks; an NXDOMAIN shows; x/a's later connection
 * to the address it resolved carries the name ({@code destination_names}); glob filters select by name; with
 * visibility off nothing is copied; a query over TCP shows and names too; a query a policy denies at y/b shows
 * as DROPPED with its name.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DnsVisibilityLabTest {

    static final String SERVER = "y/b";
    static final String ONLY_FROM_X_A = "src/test/resources/dns/y-b-only-from-x-a.yaml";
    /** z/a: where web.example.org points, on node1 with x/a. */
    static final String WEB = "10.244.3.10";
    static final AtomicInteger IDS = new AtomicInteger(100);
    static Lab lab;
    static Thread server;
    static DatagramSocket serverSocket;
    static Thread tcpServer;
    static java.net.ServerSocket tcpServerSocket;

    @BeforeAll
    static void up() throws Exception {
        Requirements.rootWithBpffs();
        ok("lab", "up");
        lab = Lab.current().orElseThrow();
        startServer();
    }

    @AfterAll
    static void down() throws Exception {
        if (serverSocket != null) {
            serverSocket.close();
            server.join(5000);
        }
        if (tcpServerSocket != null) {
            tcpServerSocket.close();
            tcpServer.join(5000);
        }
        if (Requirements.isRoot()) {
            Cli.run("lab", "down");
        }
    }

    static InProcess.Result ok(String... args) {
        InProcess.Result r = Cli.run(args);
        assertThat(r.exit()).as(String.join(" ", args) + "\n" + r).isZero();
        return r;
    }

    static PodSpec pod(String ref) {
        return lab.pod(PodRef.parse(ref));
    }

    /**
     * The responder: web.example.org and www.example.org (a CNAME to it) answer A {@link #WEB} with a 300 s
     * TTL; every other name NXDOMAIN. Its socket lives in y/b's network namespace; closing it ends the thread.
     */
    static void startServer() throws Exception {
        NetworkNamespace ns = NetworkNamespace.named(pod(SERVER).netns());
        java.util.concurrent.CountDownLatch bound = new java.util.concurrent.CountDownLatch(1);
        server = Thread.ofPlatform().name("dns-server").daemon().start(() -> ns.callUnchecked(() -> {
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("0.0.0.0", 53))) {
                serverSocket = s;
                bound.countDown();
                byte[] buf = new byte[512];
                while (!s.isClosed()) {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    s.receive(p);
                    byte[] a = answer(Arrays.copyOf(p.getData(), p.getLength()));
                    s.send(new DatagramPacket(a, a.length, p.getSocketAddress()));
                }
            } catch (java.net.SocketException closed) {
                // closed by down()
            }
            return null;
        }));
        assertThat(bound.await(10, java.util.concurrent.TimeUnit.SECONDS)).as("the DNS server bound UDP 53 in y/b").isTrue();
        java.util.concurrent.CountDownLatch listening = new java.util.concurrent.CountDownLatch(1);
        tcpServer = Thread.ofPlatform().name("dns-server-tcp").daemon().start(() -> ns.callUnchecked(() -> {
            try (java.net.ServerSocket s = new java.net.ServerSocket(53)) {
                tcpServerSocket = s;
                listening.countDown();
                while (!s.isClosed()) {
                    try (java.net.Socket c = s.accept()) {
                        c.getOutputStream().write(framed(answer(unframed(c.getInputStream()))));
                    }
                }
            } catch (java.net.SocketException closed) {
                // closed by down()
            }
            return null;
        }));
        assertThat(listening.await(10, java.util.concurrent.TimeUnit.SECONDS)).as("the DNS server listens on TCP 53 in y/b").isTrue();
    }

    /** A message with its 2-byte length before it, as DNS over TCP sends it: one write, one segment. */
    static byte[] framed(byte[] m) {
        byte[] out = new byte[m.length + 2];
        out[0] = (byte) (m.length >> 8);
        out[1] = (byte) m.length;
        System.arraycopy(m, 0, out, 2, m.length);
        return out;
    }

    static byte[] unframed(java.io.InputStream in) throws java.io.IOException {
        byte[] len = in.readNBytes(2);
        return in.readNBytes((len[0] & 0xff) << 8 | len[1] & 0xff);
    }

    static byte[] answer(byte[] q) {
        String name = DnsWire.questionName(q);
        return switch (name) {
            case "web.example.org." -> DnsWire.response(q, DnsWire.NOERROR, List.of(new DnsWire.Answer(null, DnsWire.A, 300, WEB)));
            case "www.example.org." -> DnsWire.response(q, DnsWire.NOERROR, List.of(
                    new DnsWire.Answer(null, DnsWire.CNAME, 300, "web.example.org"),
                    new DnsWire.Answer("web.example.org", DnsWire.A, 300, WEB)));
            default -> DnsWire.response(q, DnsWire.NXDOMAIN, List.of());
        };
    }

    /** Resolves a name from a pod through y/b's server; the response, or null when none came within a second. */
    static byte[] resolve(String from, String name) throws Exception {
        byte[] query = DnsWire.query(IDS.incrementAndGet(), name, DnsWire.A);
        String server = pod(SERVER).ipv4();
        return NetworkNamespace.named(pod(from).netns()).call(() -> {
            try (DatagramSocket s = new DatagramSocket()) {
                s.setSoTimeout(1000);
                s.send(new DatagramPacket(query, query.length, new InetSocketAddress(server, 53)));
                DatagramPacket p = new DatagramPacket(new byte[512], 512);
                try {
                    s.receive(p);
                    return Arrays.copyOf(p.getData(), p.getLength());
                } catch (SocketTimeoutException e) {
                    return null;
                }
            }
        });
    }

    /** Resolves a name from a pod over TCP through y/b's server. */
    static byte[] resolveTcp(String from, String name) throws Exception {
        byte[] query = DnsWire.query(IDS.incrementAndGet(), name, DnsWire.A);
        String server = pod(SERVER).ipv4();
        return NetworkNamespace.named(pod(from).netns()).call(() -> {
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new InetSocketAddress(server, 53), 2000);
                s.setSoTimeout(2000);
                s.getOutputStream().write(framed(query));
                return unframed(s.getInputStream());
            }
        });
    }

    /** The flows {@code observe --last 0 -o json ARGS} shows, once {@code done} holds for them or after 15 s. */
    static List<JsonNode> flows(Predicate<List<JsonNode>> done, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("observe", "--last", "0", "-o", "json"));
        all.addAll(List.of(args));
        List<JsonNode> flows = List.of();
        for (int i = 0; i < 75 && (i == 0 || !done.test(flows)); i++) {
            Thread.sleep(i == 0 ? 0 : 200);
            flows = new ArrayList<>();
            for (String line : ok(all.toArray(String[]::new)).out().lines().toList()) {
                flows.add(Json.mapper().readTree(line));
            }
        }
        return flows;
    }

    static Predicate<List<JsonNode>> atLeast(int n) {
        return l -> l.size() >= n;
    }

    static String query(JsonNode f) {
        return f.path("l7").path("dns").path("query").asText();
    }

    @Test
    @Order(1)
    void aQueryAndItsResponseShowWithTheirNameRcodeAndAddressesAtBothPods() throws Exception {
        JsonNode before = Json.mapper().readTree(ok("dns", "-o", "json").out());
        assertThat(before.findValuesAsText("visibility")).containsExactly("true", "true");
        assertThat(before.findValuesAsText("lost")).containsExactly("0", "0");
        byte[] r = resolve("x/a", "web.example.org");
        assertThat(r).as("y/b's server answered x/a").isNotNull();

        // the query leaves x/a (node1) and reaches y/b (node2); the response leaves y/b and reaches x/a
        List<JsonNode> dns = flows(atLeast(4), "--fqdn", "web.example.org", "--protocol", "udp");
        assertThat(dns).hasSize(4).allSatisfy(f -> {
            assertThat(f.path("Type").asText()).isEqualTo("L7");
            assertThat(query(f)).isEqualTo("web.example.org.");
            assertThat(f.path("verdict").asText()).isEqualTo("FORWARDED");
        });
        List<JsonNode> requests = dns.stream().filter(f -> f.path("l7").path("type").asText().equals("REQUEST")).toList();
        assertThat(requests).hasSize(2).allSatisfy(f -> {
            assertThat(f.path("source").path("pod_name").asText()).isEqualTo("a");
            assertThat(f.path("destination").path("pod_name").asText()).isEqualTo("b");
            assertThat(f.path("l4").path("UDP").path("destination_port").asInt()).isEqualTo(53);
            assertThat(f.path("l7").path("dns").path("qtypes").get(0).asText()).isEqualTo("A");
            assertThat(f.path("Summary").asText()).isEqualTo("DNS Query web.example.org. A");
        });
        assertThat(requests).extracting(f -> f.path("node_name").asText() + " " + f.path("traffic_direction").asText())
                .containsExactlyInAnyOrder("node1 EGRESS", "node2 INGRESS");
        List<JsonNode> responses = dns.stream().filter(f -> f.path("l7").path("type").asText().equals("RESPONSE")).toList();
        assertThat(responses).hasSize(2).allSatisfy(f -> {
            JsonNode d = f.path("l7").path("dns");
            assertThat(d.path("rcode").asInt()).isZero();
            assertThat(d.path("ips").get(0).asText()).isEqualTo(WEB);
            assertThat(d.path("ttl").asLong()).isEqualTo(300);
            assertThat(f.path("Summary").asText()).isEqualTo("DNS Answer \"" + WEB + "\" TTL: 300 (web.example.org. A)");
        });
        JsonNode after = Json.mapper().readTree(ok("dns", "-o", "json").out());
        for (int i = 0; i < 2; i++) {
            assertThat(after.get(i).path("messages").asLong()).as(after.toString())
                    .isEqualTo(before.get(i).path("messages").asLong() + 2);
        }
        String compact = ok("observe", "--last", "0", "--fqdn", "web.example.org", "--node", "node1").out();
        assertThat(compact).contains("dns-request FORWARDED (DNS Query web.example.org. A)")
                .contains("dns-response FORWARDED (DNS Answer");
    }

    @Test
    @Order(2)
    void anNxdomainShowsItsRcode() throws Exception {
        assertThat(resolve("x/a", "nope.example.org")).isNotNull();
        List<JsonNode> nx = flows(atLeast(2), "--fqdn", "nope.example.org", "--node", "node1");
        assertThat(nx).hasSize(2);
        JsonNode response = nx.stream().filter(f -> f.path("l7").path("type").asText().equals("RESPONSE")).findFirst().orElseThrow();
        assertThat(response.path("l7").path("dns").path("rcode").asInt()).isEqualTo(3);
        assertThat(response.path("l7").path("dns").has("ips")).isFalse();
        assertThat(response.path("Summary").asText()).isEqualTo("DNS Answer RCode: NXDOMAIN (nope.example.org. A)");
    }

    @Test
    @Order(3)
    void aConnectionToTheResolvedAddressCarriesTheName() throws Exception {
        assertThat(resolve("x/a", "www.example.org")).isNotNull();
        assertThat(lab.probe("x/a", WEB, PortSpec.parse("TCP/80"), Family.IPV4, Lab.PROBE_TIMEOUT).allowed()).isTrue();
        Predicate<List<JsonNode>> tcp = l -> l.stream().anyMatch(f -> f.path("l4").has("TCP"));
        List<JsonNode> named = flows(tcp, "--fqdn", "www.example.org", "--from-pod", "x/a", "--protocol", "tcp");
        assertThat(named).isNotEmpty().allSatisfy(f -> {
            assertThat(f.path("Type").asText()).isEqualTo("L3_L4");
            assertThat(f.path("IP").path("destination").asText()).isEqualTo(WEB);
            assertThat(f.path("destination").path("pod_name").asText()).isEqualTo("a");
            assertThat(f.path("l4").path("TCP").path("destination_port").asInt()).isEqualTo(80);
            assertThat(f.path("destination_names")).extracting(JsonNode::asText)
                    .containsExactly("web.example.org", "www.example.org");
        });
        // z/a's own view of the same connection: z/a resolved nothing
        List<JsonNode> atZ = flows(atLeast(1), "--from-pod", "x/a", "--to-pod", "z/a", "--protocol", "tcp", "--node", "node1");
        assertThat(atZ).anySatisfy(f -> {
            assertThat(f.path("traffic_direction").asText()).isEqualTo("INGRESS");
            assertThat(f.has("destination_names")).isFalse();
        });
    }

    @Test
    @Order(4)
    void globFiltersSelectByName() throws Exception {
        flows(atLeast(4), "--fqdn", "www.example.org", "--protocol", "udp");
        List<JsonNode> all = flows(atLeast(12), "--fqdn", "*.example.org", "--protocol", "udp");
        assertThat(all).extracting(DnsVisibilityLabTest::query).containsOnly("web.example.org.", "nope.example.org.",
                "www.example.org.");
        assertThat(flows(atLeast(1), "--fqdn", "w*.example.org", "--protocol", "udp"))
                .extracting(DnsVisibilityLabTest::query).containsOnly("web.example.org.", "www.example.org.").hasSize(8);
        assertThat(flows(atLeast(0), "--fqdn", "*.other.org")).isEmpty();
        assertThat(flows(atLeast(0), "--fqdn", "example.org")).as("* alone, or within a label").isEmpty();
        assertThat(flows(atLeast(1), "--fqdn", "*", "--protocol", "udp")).hasSizeGreaterThanOrEqualTo(12);
        InProcess.Result bad = Cli.run("observe", "--fqdn", "bad name");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--fqdn: fqdn pattern 'bad name'");
    }

    @Test
    @Order(5)
    void withVisibilityOffNothingIsCopiedAndOnAgainItIs() throws Exception {
        assertThat(ok("dns", "--visibility", "off").out()).contains("node1", "node2", "off").doesNotContain(" on");
        try {
            assertThat(resolve("x/a", "quiet.example.org")).isNotNull();
            Thread.sleep(1000); // the flow pump drains every 100 ms: room for a record that should not be there
            assertThat(flows(atLeast(0), "--fqdn", "quiet.example.org")).isEmpty();
        } finally {
            ok("dns", "--visibility", "on");
        }
        assertThat(resolve("x/a", "loud.example.org")).isNotNull();
        assertThat(flows(atLeast(4), "--fqdn", "loud.example.org")).hasSize(4);
        InProcess.Result bad = Cli.run("dns", "--visibility", "maybe");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--visibility 'maybe': on or off");
    }

    @Test
    @Order(6)
    void aQueryOverTcpShowsAndNamesTheAddressToo() throws Exception {
        assertThat(DnsWire.questionName(resolveTcp("x/c", "web.example.org"))).isEqualTo("web.example.org.");
        List<JsonNode> tcp = flows(atLeast(4), "--fqdn", "web.example.org", "--protocol", "tcp", "--pod", "x/c");
        // the handshake's and ACKs' segments carry no message: only the query and the response, at both pods
        assertThat(tcp).hasSize(4).allSatisfy(f -> {
            assertThat(f.path("Type").asText()).isEqualTo("L7");
            assertThat(query(f)).isEqualTo("web.example.org.");
            assertThat(f.path("l4").has("TCP")).isTrue();
        });
        assertThat(tcp).filteredOn(f -> f.path("l7").path("type").asText().equals("RESPONSE"))
                .hasSize(2).allSatisfy(f -> assertThat(f.path("l7").path("dns").path("ips").get(0).asText()).isEqualTo(WEB));
        assertThat(lab.probe("x/c", WEB, PortSpec.parse("TCP/81"), Family.IPV4, Lab.PROBE_TIMEOUT).allowed()).isTrue();
        assertThat(flows(l -> !l.isEmpty(), "--fqdn", "web.example.org", "--from-pod", "x/c", "--port", "81"))
                .isNotEmpty().allSatisfy(f -> assertThat(f.path("destination_names").get(0).asText()).isEqualTo("web.example.org"));
    }

    @Test
    @Order(7)
    void aQueryAPolicyDeniesShowsAsDroppedWithItsName() throws Exception {
        ok("apply", "-f", ONLY_FROM_X_A);
        try {
            assertThat(resolve("x/c", "denied.example.org")).as("y/b takes queries from x/a only").isNull();
            assertThat(resolve("x/a", "web.example.org")).as("x/a's still answered").isNotNull();
            List<JsonNode> denied = flows(l -> l.stream().anyMatch(f -> f.path("verdict").asText().equals("DROPPED")),
                    "--fqdn", "denied.example.org", "--verdict", "DROPPED");
            assertThat(denied).isNotEmpty().allSatisfy(f -> {
                assertThat(query(f)).isEqualTo("denied.example.org.");
                assertThat(f.path("node_name").asText()).isEqualTo("node2");
                assertThat(f.path("traffic_direction").asText()).isEqualTo("INGRESS");
                assertThat(f.path("drop_reason_desc").asText()).isEqualTo("POLICY_DENIED");
                assertThat(f.path("source").path("pod_name").asText()).isEqualTo("c");
                assertThat(f.path("Summary").asText()).startsWith("DNS Query denied.example.org. A (");
            });
            // seen leaving x/c too, where nothing denied it
            assertThat(flows(atLeast(1), "--fqdn", "denied.example.org", "--verdict", "FORWARDED", "--node", "node1"))
                    .isNotEmpty();
        } finally {
            ok("delete", "-f", ONLY_FROM_X_A);
        }
    }
}
