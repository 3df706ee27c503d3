package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.cli.agent.LabAgents;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.ebpf.PinnedObject;
import dev.weir.ebpf.TcDirection;
import dev.weir.ebpf.TcFilter;
import dev.weir.ebpf.netns.NetworkNamespace;
import dev.weir.testkit.Requirements;

/**
 * Restart without disruption: {@code kill -9} both agents while a TCP stream runs between policy-enforced
 * pods on two nodes; the stream keeps flowing, new connections keep being allowed or denied by the policy
 * in force while no agent runs (programs stay attached, maps pinned), and the restarted agents restore from
 * the pins without re-creating compatible maps or cutting the stream.
 */
class AgentRestartLabTest {

    private static final int PORT = 9000;

    @TempDir
    static Path files;

    @BeforeAll
    static void up() {
        Requirements.rootWithBpffs();
        InProcess.Result r = Cli.run("lab", "up");
        assertThat(r.exit()).as(r.toString()).isZero();
    }

    @AfterAll
    static void down() {
        if (Requirements.isRoot()) {
            Cli.run("lab", "down");
        }
    }

    @Test
    void killedAgentsDisturbNothing() throws Exception {
        Path policy = files.resolve("x-a.yaml");
        Files.writeString(policy, """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: a-from-b, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  ingress:
                  - from: [{podSelector: {matchLabels: {pod: b}}}]
                    ports: [{port: 9000}]
                """);
        assertThat(Cli.run("apply", "-f", policy.toString()).exit()).isZero();
        try (ServerSocket server = NetworkNamespace.named("weir-pod-x-a").call(() -> new ServerSocket(PORT))) {
            Thread acceptor = Thread.ofPlatform().daemon().start(() -> serve(server));
            Stream stream = Stream.open("weir-pod-x-b", "10.244.1.10");
            assertThat(connects("weir-pod-x-b")).as("x/b may connect").isTrue();
            assertThat(connects("weir-pod-y-b")).as("y/b may not").isFalse();
            long polBefore = mapId("node1", "pol");
            long ctBefore = mapId("node1", "ct");
            int toEpBefore = slot(TcDirection.EGRESS);
            assertThat(toEpBefore).as("weir_to_ep in weir's clsact slot on lxc-x-a").isPositive();

            kill9("node1");
            kill9("node2");
            long atKill = stream.received();
            Thread.sleep(1000);
            assertThat(stream.received()).as("the stream flows with no agent").isGreaterThan(atKill);
            assertThat(connects("weir-pod-x-b")).as("policy still allows x/b").isTrue();
            assertThat(connects("weir-pod-y-b")).as("policy still denies y/b").isFalse();

            LabAgents.start(List.of("node1", "node2"), Duration.ofSeconds(30), s -> { });
            InProcess.Result status = Cli.run("status");
            assertThat(status.exit()).as(status.toString()).isZero();
            assertThat(mapId("node1", "pol")).as("pinned maps reused, not re-created").isEqualTo(polBefore);
            assertThat(mapId("node1", "ct")).isEqualTo(ctBefore);
            for (int i = 0; i < 100 && slot(TcDirection.EGRESS) == toEpBefore; i++) {
                Thread.sleep(100); // the restarted agent's first sync replaces the filters
            }
            assertThat(slot(TcDirection.EGRESS)).as("the restarted agent's weir_to_ep replaced the old one in place")
                    .isPositive().isNotEqualTo(toEpBefore);
            assertThat(slot(TcDirection.INGRESS)).isPositive();
            assertThat(tcFilters("egress").lines().filter(l -> l.contains("weir_to_ep")).count())
                    .as("one filter in the slot, not one beside the other").isEqualTo(1);
            long afterRestart = stream.received();
            Thread.sleep(500);
            assertThat(stream.received()).as("still flowing after the restart").isGreaterThan(afterRestart);
            assertThat(stream.failed()).as("the stream was never cut").isFalse();
            assertThat(connects("weir-pod-y-b")).isFalse();
            stream.close();
            acceptor.interrupt();
        }
    }

    /** The program id in weir's clsact slot on node1's lxc-x-a; 0 for none. */
    private static int slot(TcDirection d) throws Exception {
        return NetworkNamespace.named("weir-node1").call(() -> TcFilter.query("lxc-x-a", d, EndpointMaps.FILTER_SLOT)).orElse(0);
    }

    private static String tcFilters(String dir) throws Exception {
        Process p = new ProcessBuilder("nsenter", "--net=/run/netns/weir-node1", "tc", "filter", "show", "dev", "lxc-x-a", dir)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }

    /**
     * A policy that denies a connection already established does not cut it: policy is consulted when a
     * connection is created, conntrack passes its later packets (docs/policy-datapath.md). New connections
     * see the deny at once.
     */
    @Test
    void aNewDenyLeavesEstablishedConnectionsAlone() throws Exception {
        Path allow = files.resolve("z-a-open.yaml");
        Files.writeString(allow, """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: open, namespace: z}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  ingress: [{}]
                """);
        Path deny = files.resolve("z-a-closed.yaml");
        Files.writeString(deny, """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: open, namespace: z}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                """);
        assertThat(Cli.run("apply", "-f", allow.toString()).exit()).isZero();
        try (ServerSocket server = NetworkNamespace.named("weir-pod-z-a").call(() -> new ServerSocket(PORT))) {
            Thread.ofPlatform().daemon().start(() -> serve(server));
            Stream stream = Stream.open("weir-pod-x-b", "10.244.3.10");
            assertThat(Cli.run("apply", "-f", deny.toString()).exit()).as("the policy now denies all ingress").isZero();
            assertThat(connects("weir-pod-x-b", "10.244.3.10")).as("a new connection is denied").isFalse();
            long before = stream.received();
            Thread.sleep(500);
            assertThat(stream.received()).as("the established connection keeps flowing").isGreaterThan(before);
            assertThat(stream.failed()).isFalse();
            stream.close();
        }
        assertThat(Cli.run("delete", "-f", deny.toString()).exit()).isZero();
    }

    private static void serve(ServerSocket server) {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread.ofPlatform().daemon().start(() -> sink(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void sink(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    private static boolean connects(String netns) throws Exception {
        return connects(netns, "10.244.1.10");
    }

    private static boolean connects(String netns, String to) throws Exception {
        return NetworkNamespace.named(netns).call(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(to, PORT), 1000);
                return true;
            } catch (IOException e) {
                return false;
            }
        });
    }

    private static long mapId(String node, String map) {
        return PinnedObject.inspect(Path.of("/sys/fs/bpf/weir", node, map)).orElseThrow().id();
    }

    private static void kill9(String node) throws IOException {
        long pid = Long.parseLong(Files.readString(Path.of("/run/weir", node, "agent.pid")).strip());
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        ProcessHandle.of(pid).ifPresent(h -> h.onExit().join());
        Files.deleteIfExists(Path.of("/run/weir", node, "agent.pid"));
    }

    /** A TCP echo stream from a pod: a writer sends continuously, a reader counts the echoed bytes. */
    private record Stream(Socket socket, AtomicLong bytes, AtomicBoolean error, AtomicBoolean done) {

        static Stream open(String netns, String to) throws Exception {
            Socket s = NetworkNamespace.named(netns).call(() -> {
                Socket c = new Socket();
                c.connect(new InetSocketAddress(to, PORT), 2000);
                return c;
            });
            Stream st = new Stream(s, new AtomicLong(), new AtomicBoolean(), new AtomicBoolean());
            Thread.ofPlatform().daemon().start(st::write);
            Thread.ofPlatform().daemon().start(st::read);
            return st;
        }

        private void write() {
            byte[] chunk = new byte[1024];
            try {
                OutputStream out = socket.getOutputStream();
                while (!done.get()) {
                    out.write(chunk);
                    Thread.sleep(2);
                }
            } catch (IOException | InterruptedException e) {
                error.compareAndSet(false, !done.get());
            }
        }

        private void read() {
            byte[] buf = new byte[8192];
            try {
                InputStream in = socket.getInputStream();
                int n;
                while ((n = in.read(buf)) > 0) {
                    bytes.addAndGet(n);
                }
            } catch (IOException e) {
                error.compareAndSet(false, !done.get());
            }
        }

        long received() {
            return bytes.get();
        }

        boolean failed() {
            return error.get();
        }

        void close() throws IOException {
            done.set(true);
            socket.close();
        }
    }
}
