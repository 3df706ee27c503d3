package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.cli.output.Json;
import dev.weir.ebpf.netns.NetworkNamespace;
import dev.weir.lab.model.LabNames;
import dev.weir.testkit.Requirements;

/**
 * The prefilter's SYN proxy with real traffic: node1's prefilter answers SYNs to a server on node1's own address
 * with cookies, and ext's connections succeed through it (the cookie ACK passes, the kernel's listener takes it:
 * tcp_syncookies=2); a spoofed SYN flood (hping3) is answered from XDP while ext keeps connecting; a flood of
 * ACKs without cookies drops; the per-CPU SYN counter of {@code weir prefilter stats} counts the SYNs. No timing
 * is asserted.
 */
class SynProxyLabTest {

    static final String NS = "weir-node1";
    static final String SERVER = "192.168.100.1";
    static final int PORT = 8080;
    static Process server;

    @BeforeAll
    static void up() throws Exception {
        Requirements.rootWithBpffs();
        Requirements.require(Files.isExecutable(Path.of("/usr/sbin/hping3")), "hping3 is not installed (scripts/setup.sh)");
        ok(LabOptions.up("--nodes", "1"));
        sh("nsenter", "--net=/run/netns/" + NS, "sysctl", "-q", "-w", "net.ipv4.tcp_syncookies=2");
        server = new ProcessBuilder("nsenter", "--net=/run/netns/" + NS, "socat",
                "TCP-LISTEN:" + PORT + ",fork,reuseaddr", "SYSTEM:echo hello").redirectErrorStream(true).start();
        ok("prefilter", "attach", "--netns", NS, "eth0", "--mode", "generic");
    }

    @AfterAll
    static void down() {
        if (server != null) {
            server.descendants().forEach(ProcessHandle::destroy);
            server.destroy();
        }
        if (Requirements.isRoot()) {
            Cli.run("lab", "down");
            assertThat(Path.of("/run/netns/" + NS)).doesNotExist();
        }
    }

    static InProcess.Result ok(String... args) {
        InProcess.Result r = Cli.run(args);
        assertThat(r.exit()).as(String.join(" ", args) + "\n" + r).isZero();
        return r;
    }

    static void sh(String... argv) throws Exception {
        assertThat(run(argv)).as(String.join(" ", argv)).isZero();
    }

    /** Runs a command to its end; its exit code (hping3's says whether replies came, which they need not). */
    static int run(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(String.join(" ", argv) + " ends").isTrue();
        return p.exitValue();
    }

    /** True when ext connects to the server and reads its greeting. */
    static boolean connects() {
        return NetworkNamespace.named(LabNames.EXT_NETNS).callUnchecked(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(SERVER, PORT), 3000);
                s.setSoTimeout(3000);
                return new String(s.getInputStream().readAllBytes()).equals("hello\n");
            } catch (IOException e) {
                return false;
            }
        });
    }

    static JsonNode stats() throws Exception {
        return Json.mapper().readTree(ok("prefilter", "stats", "--netns", NS, "-o", "json").out());
    }

    static long tcp(JsonNode stats, String counter) {
        for (JsonNode r : stats.path("tcp")) {
            if (r.path("counter").asText().equals(counter)) {
                return r.path("packets").asLong();
            }
        }
        return 0;
    }

    static long reason(JsonNode stats, String name) {
        for (JsonNode r : stats.path("reasons")) {
            if (r.path("reason").asText().equals(name) && r.path("verdict").asText().equals("DROP")) {
                return r.path("packets").asLong();
            }
        }
        return 0;
    }

    @Test
    void connectionsSucceedThroughTheProxyAndAFloodIsAnsweredFromXdp() throws Exception {
        assertThat(connects()).as("before the proxy").isTrue();
        long synsBefore = tcp(stats(), "SYN");
        assertThat(synsBefore).as("SYNs counted per CPU, proxy or not").isPositive();

        InProcess.Result set = ok("prefilter", "set", "--netns", NS, "--syn-proxy", String.valueOf(PORT));
        assertThat(set.out()).contains("WeirPrefilter imperative-node1 configured");
        for (int i = 0; i < 5; i++) {
            assertThat(connects()).as("connection %d through the proxy", i).isTrue();
        }
        JsonNode s = stats();
        assertThat(tcp(s, "COOKIE-SENT")).as("SYNs answered from XDP (the first went up to the listener)").isPositive();
        assertThat(tcp(s, "COOKIE-VALID")).as("cookie ACKs that passed").isPositive();
        assertThat(reason(s, "DROP_SYNPROXY_SYN")).isEqualTo(tcp(s, "COOKIE-SENT"));
        assertThat(s.path("tcp").get(0).path("perCpu").size()).as("one column per CPU").isPositive();

        // a spoofed SYN flood: answered from XDP, ext still connects
        run("nsenter", "--net=/run/netns/" + LabNames.EXT_NETNS, "hping3", "-q", "-S", "-p", String.valueOf(PORT), "-c", "3000",
                "-i", "u100", "--rand-source", SERVER);
        assertThat(connects()).as("a connection after the flood").isTrue();
        JsonNode flooded = stats();
        assertThat(tcp(flooded, "COOKIE-SENT") - tcp(s, "COOKIE-SENT")).as("the flood's SYNs answered with cookies")
                .isGreaterThanOrEqualTo(2500);

        // ACKs without a cookie (and no connection) drop
        run("nsenter", "--net=/run/netns/" + LabNames.EXT_NETNS, "hping3", "-q", "-A", "-p", String.valueOf(PORT), "-c", "200",
                "-i", "u100", SERVER);
        assertThat(reason(stats(), "DROP_SYNPROXY_ACK")).as("ACKs without a valid cookie").isGreaterThanOrEqualTo(190);
        assertThat(connects()).isTrue();

        ok("prefilter", "set", "--netns", NS, "--syn-proxy", "none");
        long sent = tcp(stats(), "COOKIE-SENT");
        assertThat(connects()).as("without the proxy").isTrue();
        assertThat(tcp(stats(), "COOKIE-SENT")).as("no cookie from XDP once the port is off").isEqualTo(sent);
    }
}
