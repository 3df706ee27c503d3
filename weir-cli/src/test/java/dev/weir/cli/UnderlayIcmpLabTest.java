package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.weir.lab.Lab;

/**
 * ICMP errors about connections the underlay translated, from outside (docs/service-datapath.md, "ICMP errors from
 * outside"), SNAT mode, native routing: y/b's link on node2 gets an MTU of 1280, so node2 cannot forward ext's full-size
 * segments to it and answers node1 (the SNAT address) with fragmentation needed; node1 translates the error back, and
 * ext's path-MTU discovery lets a 2 MB upload through the NodePort complete. A UDP NodePort whose backend has nothing
 * on the port refuses ext (y/b's port unreachable, translated back). Services in {@code dsr/services.yaml}.
 */
class UnderlayIcmpLabTest {

    static final String NODE1 = "192.168.100.1";
    static final int SMALL_MTU = 1280;
    /** Reads everything a client sends and answers with the byte count. */
    private static final String SINK = """
            import socket
            l = socket.socket()
            l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            l.bind(('0.0.0.0', 8080))
            l.listen(8)
            print('listening', flush=True)
            while True:
                c, _ = l.accept()
                n = 0
                while True:
                    b = c.recv(65536)
                    if not b:
                        break
                    n += len(b)
                c.sendall(str(n).encode())
                c.close()
            """;
    /** Sends argv[3] bytes, then reads the answer. */
    private static final String UPLOAD = """
            import socket, sys
            s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)
            s.sendall(b'x' * int(sys.argv[3]))
            s.shutdown(socket.SHUT_WR)
            print(s.recv(100).decode())
            """;
    static Lab lab;
    static Process sink;

    @BeforeAll
    static void up() throws Exception {
        lab = NodePortLabTest.labUp(DsrLabTest.SERVICES, "--routing", "native");
        sink = lab.command("y/b", List.of("/usr/bin/python3", "-c", SINK)).redirectErrorStream(true).start();
        // the test must not connect before the sink listens (it did, once, on a loaded machine: connection refused)
        String first = new java.io.BufferedReader(new java.io.InputStreamReader(sink.getInputStream(),
                java.nio.charset.StandardCharsets.UTF_8)).readLine();
        assertThat(first).as("the sink in y/b").isEqualTo("listening");
        run("ip", "-n", "weir-node2", "link", "set", "dev", podLink("node2", "10.244.2.20"), "mtu", String.valueOf(SMALL_MTU));
    }

    @AfterAll
    static void down() {
        if (sink != null) {
            sink.destroyForcibly();
        }
        NodePortLabTest.down();
    }

    @Test
    void fragmentationNeededOnTheBackendsPathReachesTheClientAndALargeUploadCompletes() throws Exception {
        String out = inExt(UPLOAD, NODE1, "30195", "2000000");
        assertThat(out).as("the sink's byte count").isEqualTo("2000000");
        // ext learnt the smaller path MTU from node2's error, as node1 translated it
        assertThat(inExt("import subprocess; print(subprocess.run(['ip', 'route', 'get', '" + NODE1
                + "'], capture_output=True, text=True).stdout)")).contains("mtu " + SMALL_MTU);
    }

    @Test
    void aBackendsPortUnreachableRefusesTheClient() throws Exception {
        assertThat(ServiceGapsLabTest.connect(lab, "ext", NODE1, 30196, "udp")).isEqualTo("ECONNREFUSED");
    }

    /** A python script run in ext: its output. */
    static String inExt(String script, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("/usr/bin/python3", "-c", script));
        cmd.addAll(List.of(args));
        Process p = lab.command("ext", cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    /** The node-side interface of the pod with this address: the node's route to it. */
    static String podLink(String node, String address) throws Exception {
        String route = run("ip", "-n", "weir-" + node, "route", "get", address);
        Matcher m = Pattern.compile(" dev (\\S+)").matcher(route);
        assertThat(m.find()).as(route).isTrue();
        return m.group(1);
    }

    static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + ": " + out).isZero();
        return out;
    }
}
