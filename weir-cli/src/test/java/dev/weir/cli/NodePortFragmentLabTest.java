package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.weir.lab.Lab;

/**
 * Fragments of translated UDP through a NodePort (docs/service-datapath.md, "Fragments"): from ext, a 4000-byte
 * datagram (three fragments on the 1500-byte underlay) to a NodePort on node1 arrives whole at the backend, on node2
 * or on node1, and the backend's 4000-byte answer arrives whole back at ext, from the frontend. SNAT mode with native
 * routing (both families, the first datagram goes through), with tunnel routing (IPv4, remote backend) and DSR mode (IPv4; the first fragment has no room for the option, so
 * the first datagram is answered with fragmentation needed and the client's next one, fragmented smaller, goes
 * through; a local backend gets the option too). Services in {@code npfrag/services.yaml}.
 */
class NodePortFragmentLabTest {

    static final String NODE1 = "192.168.100.1";
    static final String NODE1_6 = "fd00:192:168:100::1";
    static final int SIZE = 4000;
    /** Answers each datagram with one of the same size that starts with the size it received. */
    static final String ECHO = """
            import socket
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            s.bind(('::', 7000))
            print('bound', flush=True)
            while True:
                d, a = s.recvfrom(65536)
                s.sendto((b'%d ' % len(d) + b'y' * len(d))[:len(d)], a)
            """;
    /** Sends argv[3] bytes to argv[1]:argv[2] up to 3 times: the try that got an answer, its size, what it says, from. */
    static final String CLIENT = """
            import socket, sys
            host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
            s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(3)
            for i in range(3):
                s.sendto(b'x' * n, (host, port))
                try:
                    d, a = s.recvfrom(65536)
                except OSError:
                    continue
                print(i, len(d), d.split(b' ')[0].decode(), a[0])
                break
            else:
                print('no answer')
            """;

    static Lab lab;
    static final List<Process> servers = new ArrayList<>();

    static void up(String... options) throws Exception {
        lab = NodePortLabTest.labUp("src/test/resources/npfrag/services.yaml", options);
        for (String pod : List.of("y/b", "x/a")) {
            Process p = lab.command(pod, List.of("/usr/bin/python3", "-c", ECHO)).redirectErrorStream(true).start();
            servers.add(p);
            // the first datagram must not arrive before the server is bound (in a CI run it did: "1 4000 ..." for "0 ...")
            String first = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8)).readLine();
            assertThat(first).as("the echo server in " + pod).isEqualTo("bound");
        }
    }

    static void down() {
        servers.forEach(Process::destroyForcibly);
        servers.clear();
        NodePortLabTest.down();
    }

    /** The client's line: "TRY SIZE SAID FROM". */
    static String send(String host, int port) throws Exception {
        Process p = lab.command("ext", List.of("/usr/bin/python3", "-c", CLIENT, host, String.valueOf(port),
                String.valueOf(SIZE))).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class Snat {

        @BeforeAll
        void labUp() throws Exception {
            up("--routing", "native");
        }

        @AfterAll
        void labDown() {
            down();
        }

        @ParameterizedTest(name = "NodePort {0}, IPv4")
        @ValueSource(ints = {30197, 30198})
        void aLargeDatagramReachesTheBackendWholeAndItsLargeAnswerComesBack(int port) throws Exception {
            assertThat(send(NODE1, port)).isEqualTo("0 " + SIZE + " " + SIZE + " " + NODE1);
        }

        @ParameterizedTest(name = "NodePort {0}, IPv6")
        @ValueSource(ints = {30197, 30198})
        void ipv6Too(int port) throws Exception {
            assertThat(send(NODE1_6, port)).isEqualTo("0 " + SIZE + " " + SIZE + " " + NODE1_6);
        }
    }

    /**
     * Tunnel routing: the pods' links have the tunnel's MTU (1450), smaller than ext's 1500; node2's stack refragments
     * an IPv4 fragment for the remote backend. (A local backend, and IPv6, are not reached at that size: see
     * docs/service-datapath.md, "Fragments from outside".)
     */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class SnatTunnel {

        @BeforeAll
        void labUp() throws Exception {
            up("--routing", "tunnel");
        }

        @AfterAll
        void labDown() {
            down();
        }

        @Test
        void aLargeDatagramToARemoteBackendAndItsAnswer() throws Exception {
            assertThat(send(NODE1, 30197)).isEqualTo("0 " + SIZE + " " + SIZE + " " + NODE1);
        }
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class Dsr {

        @BeforeAll
        void labUp() throws Exception {
            up("--routing", "native", "--nodeport-mode", "dsr");
        }

        @AfterAll
        void labDown() {
            down();
        }

        /** The first try goes through only when ext already learnt the path MTU (from the other NodePort's). */
        @ParameterizedTest(name = "NodePort {0}")
        @ValueSource(ints = {30197, 30198})
        void aLargeDatagramGoesThroughOnceTheClientLearntTheRoomForTheOption(int port) throws Exception {
            assertThat(send(NODE1, port)).matches("[01] " + SIZE + " " + SIZE + " " + NODE1.replace(".", "\\."));
        }
    }
}
