package dev.weir.cli.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.cli.Cli;
import dev.weir.cli.InProcess;
import dev.weir.cli.agent.AgentDirectory;
import dev.weir.datapath.capture.CapCfg;
import dev.weir.datapath.capture.CaptureMaps;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.Codec;
import dev.weir.cli.output.Json;
import dev.weir.lab.Lab;
import dev.weir.lab.model.Family;
import dev.weir.lab.model.PortSpec;
import dev.weir.testkit.Requirements;
import picocli.CommandLine;

/**
 * {@code weir capture} on a real lab: a policy drop at TC (x/a isolated, UDP from y/b) and an XDP prefilter
 * drop (ext's UDP to node1's port 31999, which no tcpdump on node1 sees) are captured with Hubble filters;
 * {@code tcpdump -r} reads exactly the expected packets, {@code weir capture --read} shows each one's node,
 * hook, verdict and reason; payloads are cut after the headers unless {@code --payload}; capture is off in
 * the kernel once it ends.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CaptureLabTest {

    static final String DENY_X = "../examples/policies/01-x-default-deny.yaml";
    static final String DENY_EXT = "src/test/resources/capture/deny-ext-udp-node1.yaml";
    static final String NODEPORT = "../examples/services/02-y-web-nodeport.yaml";
    static final Path PINS = Path.of("/sys/fs/bpf/weir");
    static Lab lab;

    @TempDir
    Path tmp;

    @BeforeAll
    static void up() {
        Requirements.rootWithBpffs();
        Requirements.require(Files.isExecutable(Path.of("/usr/bin/tcpdump")) || Files.isExecutable(Path.of("/usr/sbin/tcpdump")),
                "tcpdump is not installed (scripts/setup.sh installs it)");
        ok("lab", "up");
        lab = Lab.current().orElseThrow();
        ok("apply", "-f", DENY_X);
        ok("apply", "-f", DENY_EXT);
        ok("apply", "-f", NODEPORT);
    }

    @AfterAll
    static void down() {
        if (Requirements.isRoot()) {
            Cli.run("lab", "down");
            assertThat(PINS.resolve("node1")).as("node1's pins after lab down").doesNotExist();
        }
    }

    static InProcess.Result ok(String... args) {
        InProcess.Result r = Cli.run(args);
        assertThat(r.exit()).as(String.join(" ", args) + "\n" + r).isZero();
        return r;
    }

    /**
     * Runs {@code weir capture ARGS} (as its command parses them) while {@code traffic} runs, until
     * {@code expected} packets are in the file and a second has passed for any unexpected one.
     */
    static PacketCapture.Result capture(Path file, int expected, Runnable traffic, String... args) throws Exception {
        CaptureCommand cmd = new CaptureCommand();
        String[] all = new String[args.length + 2];
        all[0] = "-w";
        all[1] = file.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        new CommandLine(cmd).parseArgs(all);
        PacketCapture c = new PacketCapture(AgentDirectory.select(null), cmd.params(), cmd.limits(), file);
        CountDownLatch started = new CountDownLatch(1);
        AtomicReference<PacketCapture.Result> result = new AtomicReference<>();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                result.set(c.run(started::countDown));
            } catch (Throwable e) {
                failed.set(e);
                started.countDown();
            }
        });
        assertThat(started.await(30, TimeUnit.SECONDS)).as("capture started").isTrue();
        traffic.run();
        for (int i = 0; i < 150 && c.packets() < expected && t.isAlive(); i++) {
            Thread.sleep(200);
        }
        Thread.sleep(1000); // room for a packet that should not be there
        c.stop("test");
        t.join();
        assertThat(failed.get()).isNull();
        assertThat(result.get().failures()).isEmpty();
        return result.get();
    }

    static List<String> tcpdump(Path file) throws Exception {
        Process p = new ProcessBuilder("tcpdump", "-nn", "-r", file.toString()).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("tcpdump -r: " + err).isZero();
        return out.lines().toList();
    }

    static void send(String who, String address, int port, int n) {
        String loop = "for i in $(seq " + n + "); do echo x > /dev/udp/" + address + "/" + port + "; done";
        assertThat(lab.exec(who, List.of("bash", "-c", loop))).isZero();
    }

    static String listing(Path file) {
        return Cli.run("capture", "--read", file.toString()).out();
    }

    /**
     * The kernel's capture settings in a pin directory, once they are off or after 5 s (the agent switches
     * capture off at the stream's next heartbeat after the client went).
     */
    static CapCfg kernelCfg(String dir) throws InterruptedException {
        try (BpfMap<Integer, CapCfg> m = BpfMap.fromPin(PINS.resolve(dir).resolve(CaptureMaps.CFG), Codec.u32(), CapCfg.CODEC)) {
            for (int i = 0; i < 50 && !m.lookup(0).orElseThrow().equals(CapCfg.OFF); i++) {
                Thread.sleep(100);
            }
            return m.lookup(0).orElseThrow();
        }
    }

    @Test
    @Order(1)
    void aPolicyDropAtTcIsCapturedWithHookAndReasonHeadersOnly() throws Exception {
        Path file = tmp.resolve("policy.pcapng");
        PacketCapture.Result r = capture(file, 3, () -> send("y/b", "10.244.1.10", 80, 3),
                "--verdict", "DROPPED", "--to-pod", "x/a", "--protocol", "udp");
        assertThat(r.packets()).as(listing(file)).isEqualTo(3);

        List<String> dump = tcpdump(file);
        assertThat(dump).hasSize(3).allSatisfy(l -> assertThat(l).contains("IP 10.244.2.20.").contains("> 10.244.1.10.80: UDP"));

        List<Pcapng.Packet> packets = Pcapng.read(file);
        assertThat(packets).hasSize(3).allSatisfy(p -> {
            assertThat(p.iface()).isEqualTo("node1/lxc-x-a");
            assertThat(p.comment()).startsWith("node=node1 hook=tc/weir_to_ep verdict=DROPPED reason=DROP_POLICY(142)")
                    .endsWith("from=y/b to=x/a");
            assertThat(p.data()).as("Ethernet, IPv4 and UDP headers, no payload").hasSize(14 + 20 + 8);
            assertThat(p.originalLength()).isEqualTo(14 + 20 + 8 + 2);
        });

        String listed = ok("capture", "--read", file.toString()).out();
        assertThat(listed.lines()).hasSize(3).allSatisfy(l -> assertThat(l)
                .contains("hook=tc/weir_to_ep verdict=DROPPED reason=DROP_POLICY(142)", "UDP 10.244.2.20:", "-> 10.244.1.10:80",
                        "caplen 42 len 44"));
        assertThat(kernelCfg("node1")).as("capture off once it ended").isEqualTo(CapCfg.OFF);
        assertThat(kernelCfg("node2")).isEqualTo(CapCfg.OFF);
    }

    @Test
    @Order(2)
    void anXdpDropIsCapturedWithItsPayloadWhenAsked() throws Exception {
        Path file = tmp.resolve("xdp.pcapng");
        PacketCapture.Result r = capture(file, 4, () -> send("ext", "192.168.100.1", 31999, 4),
                "--verdict", "DROPPED", "--port", "31999", "--payload");
        assertThat(r.packets()).as(listing(file)).isEqualTo(4);

        assertThat(tcpdump(file)).hasSize(4).allSatisfy(l -> assertThat(l)
                .contains("IP 192.168.100.200.").contains("> 192.168.100.1.31999: UDP, length 2"));
        assertThat(Pcapng.read(file)).hasSize(4).allSatisfy(p -> {
            assertThat(p.iface()).isEqualTo("node1/eth0");
            assertThat(p.comment()).isEqualTo("node=node1 hook=xdp/weir_prefilter verdict=DROPPED reason=DROP_DENY_RULE(128)");
            assertThat(p.data()).as("the whole frame with --payload").hasSize(14 + 20 + 8 + 2);
            assertThat(new String(p.data(), 42, 2, StandardCharsets.US_ASCII)).isEqualTo("x\n");
        });
        assertThat(kernelCfg("node1/prefilter")).as("the prefilter's capture is off again").isEqualTo(CapCfg.OFF);
    }

    @Test
    @Order(3)
    void forwardedPacketsAtTheEndpointHooksAreCapturedByHook() throws Exception {
        // x/b's socket is closed when z/a answers: its ICMP port unreachable is left out by --protocol udp
        Path file = tmp.resolve("forwarded.pcapng");
        PacketCapture.Result r = capture(file, 2, () -> send("x/b", "10.244.3.10", 81, 2),
                "--verdict", "FORWARDED", "--from-pod", "x/b", "--to-pod", "z/a", "--protocol", "udp", "--hook", "from-ep",
                "--node", "node2");
        assertThat(r.packets()).as(listing(file)).isEqualTo(2);
        assertThat(Pcapng.read(file)).hasSize(2).allSatisfy(p -> assertThat(p.comment())
                .startsWith("node=node2 hook=tc/weir_from_ep verdict=FORWARDED reason=PASS")
                .endsWith("from=x/b to=z/a"));
    }

    @Test
    @Order(4)
    void aSecondCaptureOnANodeIsRefusedAndBadInputChangesNothing() throws Exception {
        InProcess.Result traced = Cli.run("capture", "-w", tmp.resolve("t.pcapng").toString(), "--verdict", "TRACED");
        assertThat(traced.exit()).isEqualTo(2);
        assertThat(traced.err()).contains("--verdict TRACED: a capture sees FORWARDED and DROPPED packets only");
        assertThat(tmp.resolve("t.pcapng")).doesNotExist();
        Files.writeString(tmp.resolve("not.pcapng"), "hello");
        InProcess.Result notPcap = Cli.run("capture", "--read", tmp.resolve("not.pcapng").toString());
        assertThat(notPcap.exit()).isEqualTo(2);
        assertThat(notPcap.err()).contains("not a little-endian pcapng file");

        Path first = tmp.resolve("first.pcapng");
        CaptureCommand cmd = new CaptureCommand();
        new CommandLine(cmd).parseArgs("-w", first.toString(), "--node", "node1");
        PacketCapture c = new PacketCapture(AgentDirectory.select("node1"), cmd.params(), cmd.limits(), first);
        CountDownLatch started = new CountDownLatch(1);
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                c.run(started::countDown);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
            InProcess.Result second = Cli.run("capture", "-w", tmp.resolve("second.pcapng").toString(), "--node", "node1",
                    "--duration", "1s");
            assertThat(second.exit()).as(second.toString()).isEqualTo(1);
            assertThat(second.err()).contains("node node1: a capture is already running on this node");
        } finally {
            c.stop("test");
            t.join();
        }
        assertThat(kernelCfg("node1")).isEqualTo(CapCfg.OFF);
    }

    /** The flows {@code weir observe ARGS --last 0 -o json} shows, once there are {@code atLeast} or after 10 s. */
    static List<JsonNode> flows(int atLeast, String... args) throws Exception {
        List<String> all = new java.util.ArrayList<>(List.of("observe", "--last", "0", "-o", "json"));
        all.addAll(List.of(args));
        List<JsonNode> flows = List.of();
        for (int i = 0; i < 50 && flows.size() < atLeast; i++) {
            Thread.sleep(i == 0 ? 0 : 200);
            flows = new java.util.ArrayList<>();
            for (String line : ok(all.toArray(String[]::new)).out().lines().toList()) {
                flows.add(Json.mapper().readTree(line));
            }
        }
        return flows;
    }

    @Test
    @Order(5)
    void traceSamplingTurnsForwardedPacketsIntoTracedFlowsAtTheOperatorsRate() throws Exception {
        assertThat(ok("trace").out()).contains("node1", "off");
        assertThat(ok("trace", "--every", "1", "--node", "node1").out()).contains("node1", "1 in 1 forwarded packets");
        // one socket, three datagrams: the first is the connection's policy verdict, the next two are traced
        String send = "exec 3>/dev/udp/10.244.3.10/81; for i in 1 2 3; do echo x >&3; sleep 0.1; done";
        assertThat(lab.exec("y/a", List.of("bash", "-c", send))).isZero();
        List<JsonNode> traced = flows(2, "--verdict", "TRACED", "--from-pod", "y/a", "--to-pod", "z/a", "--node", "node1");
        assertThat(traced).hasSizeGreaterThanOrEqualTo(2).allSatisfy(f -> {
            assertThat(f.path("verdict").asText()).isEqualTo("TRACED");
            assertThat(f.path("l4").path("UDP").path("destination_port").asInt()).isEqualTo(81);
        });
        JsonNode off = Json.mapper().readTree(ok("trace", "--every", "0", "-o", "json").out());
        assertThat(off.findValuesAsText("every")).containsOnly("0").hasSize(2);
        int before = flows(0, "--verdict", "TRACED", "--node", "node1").size();
        assertThat(lab.exec("y/a", List.of("bash", "-c", send))).isZero();
        Thread.sleep(1000); // the flow pump drains every 100 ms
        assertThat(flows(0, "--verdict", "TRACED", "--node", "node1")).as("tracing is off").hasSize(before);
        InProcess.Result bad = Cli.run("trace", "--every", "-3");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--every -3");
    }

    @Test
    @Order(6)
    void theUnderlayReportsANewNodePortConnectionAsTranslated() throws Exception {
        assertThat(lab.probe("ext", "192.168.100.1", PortSpec.parse("TCP/30080"), Family.IPV4, Lab.PROBE_TIMEOUT).allowed()).isTrue();
        List<JsonNode> translated = flows(1, "--verdict", "TRANSLATED", "--node", "node1", "--port", "30080");
        assertThat(translated).isNotEmpty().allSatisfy(f -> {
            assertThat(f.path("IP").path("source").asText()).isEqualTo("192.168.100.200");
            assertThat(f.path("IP").path("destination").asText()).isEqualTo("192.168.100.1");
            assertThat(f.path("Summary").asText()).isEqualTo("TCP translated to a backend by the underlay");
            assertThat(f.path("destination_service").path("name").asText()).isEqualTo("web");
        });
    }

    @Test
    @Order(7)
    void anInterfaceCaptureFiltersInTheKernelAndCannotSeeXdpDrops() throws Exception {
        Path file = tmp.resolve("iface.pcapng");
        CaptureCommand cmd = new CaptureCommand();
        new CommandLine(cmd).parseArgs("-w", file.toString(), "--iface", "eth0", "--netns", "weir-node1",
                "--host", "192.168.100.200", "--protocol", "udp");
        IfaceCapture c = new IfaceCapture("weir-node1", "eth0", cmd.socketFilter(), cmd.limits(), file);
        CountDownLatch started = new CountDownLatch(1);
        AtomicReference<PacketCapture.Result> result = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> result.set(c.run(started::countDown)));
        try {
            assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
            send("ext", "192.168.100.1", 31999, 2); // dropped at XDP: before any AF_PACKET socket
            send("ext", "192.168.100.1", 31998, 3); // reaches the stack (which answers ICMP: not UDP, filtered)
            Thread.sleep(1500);
        } finally {
            c.stop("test");
            t.join();
        }
        assertThat(result.get().packets()).as(listing(file)).isEqualTo(3);
        assertThat(tcpdump(file)).hasSize(3).allSatisfy(l -> assertThat(l).contains("IP 192.168.100.200.")
                .contains("> 192.168.100.1.31998: UDP, length 2"));
        assertThat(Pcapng.read(file)).allSatisfy(p -> {
            assertThat(p.iface()).isEqualTo("weir-node1/eth0");
            assertThat(p.comment()).isEqualTo("netns=weir-node1 iface=eth0 hook=socket/weir_sock_filter dir=in");
            assertThat(p.data()).as("cut after the UDP header in the kernel").hasSize(42);
            assertThat(p.originalLength()).isEqualTo(44);
        });
        InProcess.Result bad = Cli.run("capture", "-w", tmp.resolve("bad.pcapng").toString(), "--iface", "eth0", "--to-pod", "x/a");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--iface takes --host, one --port, one --protocol and --netns");
    }
}
